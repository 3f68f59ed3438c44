"""Syndicated copies of an article, made the way republishing makes them.

`make_copy(kind, paragraphs, rng)` returns `(title, paragraphs, attribution)`
for one of the kinds syndication produces in the wild:

- "wire": the whole story under a new headline, 1-3 % of its words changed
  (synonyms, spelling and typo fixes, number formats), sometimes a sentence
  dropped or added or a middle paragraph dropped, and a line naming the source
  ("Via X" at the top or bottom, or an "(X) -" dateline on the first paragraph);
- "trimmed": a wire copy whose last 15-30 % of paragraphs are dropped, ending
  with "Read more at X";
- "excerpt": the first 30-45 % of the paragraphs (words changed as above),
  ending with "Continue reading at X";
- "second_url": the same page under another URL (an AMP or tracking-parameter
  twin): the same text, re-rendered with other quote styles and spacing.

`attribution` is the line a page shows apart from its body, for an extractor
to find and remove. Real extraction is imperfect, so about half the copies
carry the line inside their paragraphs instead (then `attribution` is None).

Everything is decided by the `random.Random` passed in: the same seed makes the
same copy. `seed_articles(folder)` turns the scraped seed pages (read at run
time, never stored here) into the article paragraphs copies are made from.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

KINDS = ("wire", "trimmed", "excerpt", "second_url")

# Fictional agencies and sites, plus the dateline style of a real wire.
SOURCES = ("Harbour Wire", "Meridian Press", "Northline News", "The Daily Ledger", "AFP", "Eastgate Media")

# Word swaps a copy editor makes; each pair is used in both directions.
_SYNONYM_PAIRS = (
    ("said", "stated"), ("says", "states"), ("however", "but"), ("government", "administration"),
    ("officials", "authorities"), ("meeting", "talks"), ("country", "nation"), ("began", "started"),
    ("large", "big"), ("many", "numerous"), ("help", "assist"), ("buy", "purchase"),
    ("shows", "demonstrates"), ("tried", "attempted"), ("people", "residents"), ("announced", "declared"),
    ("major", "significant"), ("important", "key"), ("although", "though"), ("while", "whilst"),
    ("among", "amongst"), ("toward", "towards"), ("warned", "cautioned"), ("claimed", "asserted"),
    ("criticised", "criticized"), ("organisation", "organization"), ("defence", "defense"),
    ("recognise", "recognize"), ("centre", "center"), ("labour", "labor"), ("programme", "program"),
    ("quickly", "rapidly"), ("clear", "evident"), ("whether", "if"), ("almost", "nearly"),
    ("percent", "%"), ("talks", "negotiations"), ("attack", "assault"), ("forces", "troops"),
)
SYNONYMS = {a: b for a, b in _SYNONYM_PAIRS} | {b: a for a, b in _SYNONYM_PAIRS}
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

# Sentences an editor adds to a republished story (written for this project).
ADDED_SENTENCES = (
    "The claims could not be independently verified.",
    "Officials did not immediately respond to a request for comment.",
    "This story has been updated with additional details.",
    "Further details were expected later in the day.",
    "The statement was released through official channels.",
)
_ADDED_SENTENCES_ZH = ("以上内容无法独立核实。", "本报道已更新。")
_ADDED_SENTENCES_JA = ("この記事は更新されました。", "詳細は追って発表される予定だ。")
_ADDED_SENTENCES_TH = (" ข้อมูลนี้ยังไม่ได้รับการยืนยัน",)
_KANA = re.compile(r"[\u3040-\u30ff]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")

_HEADLINE_PREFIXES = ("Report", "Update", "Analysis", "Explainer", "Latest", "In brief")
_NOSPACE = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
# A sentence ends at a full stop (or closing quote) before a capital, or at a CJK full stop.
_SENTENCE_END = re.compile(r"(?<=[.!?\"\u201d])\s+(?=[A-Z\"\u201c])|(?<=[\u3002\uff01\uff1f])")


def _is_spaceless(text: str) -> bool:
    return len(_NOSPACE.findall(text)) > len(text) / 3


# -- word-level perturbations ---------------------------------------------------

def _number_variant(word: str) -> str | None:
    core = word.rstrip(".,;:")
    tail = word[len(core):]
    if re.fullmatch(r"\d{1,3}(,\d{3})+", core):
        return core.replace(",", "") + tail
    if re.fullmatch(r"\d{4,}", core):
        return f"{int(core):,}" + tail
    if core.isdecimal() and int(core) <= 10:
        return _NUMBER_WORDS[int(core)] + tail
    if core.lower() in _NUMBER_WORDS:
        return str(_NUMBER_WORDS.index(core.lower())) + tail
    return None


def _typo_variant(word: str, rng: random.Random) -> str | None:
    letters = [i for i in range(1, len(word) - 2) if word[i].isalpha() and word[i + 1].isalpha()]
    if len(word) < 5 or not letters:
        return None
    i = rng.choice(letters)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def change_word(word: str, rng: random.Random) -> str:
    """One copy-editor change to `word`: a synonym, a number written another
    way, or a spelling/typo difference. Returns `word` when none applies."""
    core = word.strip(".,;:!?\"'()")
    swap = SYNONYMS.get(core.lower())
    if swap is not None:
        swapped = swap.capitalize() if core[:1].isupper() else swap
        return word.replace(core, swapped, 1)
    return _number_variant(word) or _typo_variant(word, rng) or word


def _changeable(word: str) -> bool:
    core = word.strip(".,;:!?\"'()")
    return core.lower() in SYNONYMS or _number_variant(word) is not None or (
        len(word) >= 5 and any(a.isalpha() and b.isalpha() for a, b in zip(word[1:-2], word[2:-1])))


def change_words(paragraphs: list[str], rate: float, rng: random.Random) -> list[str]:
    """Change about `rate` of the words of each paragraph (of its characters,
    in scripts written without spaces: at least one per paragraph there)."""
    out = []
    for para in paragraphs:
        if _is_spaceless(para):
            chars = list(para)
            alnum = [i for i, c in enumerate(chars) if c.isalnum()]
            for i in rng.sample(alnum, k=min(len(alnum), max(1, round(rate * len(alnum))))):
                chars[i] = chars[rng.choice(alnum)]
            out.append("".join(chars))
            continue
        words = para.split(" ")
        changeable = [i for i, w in enumerate(words) if _changeable(w)]
        n = len(words) * rate
        k = int(n) + (rng.random() < n - int(n))
        for i in rng.sample(changeable, k=min(k, len(changeable))):
            words[i] = change_word(words[i], rng)
        out.append(" ".join(words))
    return out


def _sentences(para: str) -> tuple[list[str], str]:
    """The paragraph's sentences and the string that joins them again."""
    if _is_spaceless(para) and not re.search("[\u3002\uff01\uff1f]", para):
        return para.split(" "), " "  # Thai: a space ends a phrase; "." marks abbreviations
    return [s for s in _SENTENCE_END.split(para) if s], "" if _is_spaceless(para) else " "


def drop_sentence(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Drop one sentence from a paragraph that has several."""
    choices = [i for i, p in enumerate(paragraphs) if len(_sentences(p)[0]) > 1]
    if not choices:
        return paragraphs
    i = rng.choice(choices)
    sents, joiner = _sentences(paragraphs[i])
    del sents[rng.randrange(len(sents))]
    return paragraphs[:i] + [joiner.join(sents)] + paragraphs[i + 1:]


def add_sentence(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Append an editor's sentence to one paragraph."""
    i = rng.randrange(len(paragraphs))
    if _is_spaceless(paragraphs[i]):
        para = paragraphs[i]
        added = rng.choice(_ADDED_SENTENCES_TH if _THAI.search(para) else
                           _ADDED_SENTENCES_JA if _KANA.search(para) else _ADDED_SENTENCES_ZH)
        return paragraphs[:i] + [paragraphs[i] + added] + paragraphs[i + 1:]
    return paragraphs[:i] + [paragraphs[i] + " " + rng.choice(ADDED_SENTENCES)] + paragraphs[i + 1:]


def drop_middle_paragraph(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Drop one paragraph that is neither the first nor the last."""
    if len(paragraphs) < 4:
        return paragraphs
    i = rng.randrange(1, len(paragraphs) - 1)
    return paragraphs[:i] + paragraphs[i + 1:]


def edit(paragraphs: list[str], rng: random.Random, *, structural: bool = True,
         word_rate: tuple[float, float] = (0.01, 0.03)) -> list[str]:
    """A copy editor's pass: a share of the words in `word_rate` changed, and
    (if `structural`) maybe a sentence dropped or added and a middle
    paragraph dropped."""
    out = change_words(paragraphs, rng.uniform(*word_rate), rng)
    if structural:
        if rng.random() < 0.3:
            out = drop_sentence(out, rng)
        if rng.random() < 0.3:
            out = add_sentence(out, rng)
        if rng.random() < 0.3:
            out = drop_middle_paragraph(out, rng)
    return out


# -- the copy kinds -------------------------------------------------------------

def new_headline(paragraphs: list[str], rng: random.Random) -> str:
    """A headline a republisher might write, from the story's first words."""
    first = paragraphs[0]
    if _is_spaceless(first):
        return first[: rng.randint(10, 16)].rstrip("，、。")
    words = first.split()[: rng.randint(6, 9)]
    return f"{rng.choice(_HEADLINE_PREFIXES)}: " + " ".join(words).rstrip(".,;:")


def _with_line(paragraphs: list[str], line: str, where: str, in_text: bool) -> tuple[list[str], str | None]:
    if not in_text:
        return paragraphs, line
    return ([line] + paragraphs if where == "top" else paragraphs + [line]), None


def _restyle(para: str, rng: random.Random) -> str:
    """The same paragraph as another template renders it."""
    para = para.replace("'", "\u2019") if rng.random() < 0.5 else para.replace("\u2019", "'")
    para = para.replace('"', "\u201c") if rng.random() < 0.5 else para
    return "  ".join(para.split(" ")) if rng.random() < 0.3 else para


def make_copy(kind: str, paragraphs: list[str], rng: random.Random, *, source: str | None = None,
              attribution_in_text: bool | None = None,
              word_rate: tuple[float, float] = (0.01, 0.03)) -> tuple[str | None, list[str], str | None]:
    """A copy of the article `paragraphs` of the given kind (see KINDS).
    `word_rate` is the range of the share of words changed (harsher editing
    for stress tests).

    Returns (headline or None to keep the original's, paragraphs, the
    attribution line shown apart from the body, or None when the copy names
    no source or names it inside its paragraphs). Deterministic given `rng`.
    Raises ValueError for an unknown kind or an empty article."""
    if kind not in KINDS:
        raise ValueError(f"unknown copy kind {kind!r}; expected one of {KINDS}")
    if not paragraphs:
        raise ValueError("cannot copy an article without paragraphs")
    paragraphs = list(paragraphs)
    if kind == "second_url":
        return None, [_restyle(p, rng) for p in paragraphs], None
    source = source or rng.choice(SOURCES)
    in_text = rng.random() < 0.5 if attribution_in_text is None else attribution_in_text
    n = len(paragraphs)
    if kind == "excerpt":
        keep = max(1, math.ceil(n * rng.uniform(0.30, 0.45)))
        body = edit(paragraphs[:keep], rng, structural=False, word_rate=word_rate)
        paras, line = _with_line(body, f"Continue reading at {source}", "bottom", in_text)
        return new_headline(paragraphs, rng), paras, line
    body = edit(paragraphs, rng, word_rate=word_rate)
    if kind == "trimmed":
        drop = min(len(body) - 1, max(1, round(n * rng.uniform(0.15, 0.30))))
        paras, line = _with_line(body[: len(body) - drop], f"Read more at {source}", "bottom", in_text)
        return new_headline(paragraphs, rng), paras, line
    style = rng.choice(("via-top", "via-bottom", "dateline"))
    if style == "dateline":
        # The dateline sits in the first paragraph in every rendering.
        body[0] = f"{rng.choice(('PARIS', 'LONDON', 'BEIRUT', 'MOSCOW'))} ({source}) \u2014 {body[0]}"
        return new_headline(paragraphs, rng), body, None
    paras, line = _with_line(body, f"Via {source}", style[4:], in_text)
    return new_headline(paragraphs, rng), paras, line


# -- article texts from the seed pages ------------------------------------------

@dataclass
class SeedArticle:
    """One article cut out of a scraped seed page."""

    name: str  # seed file stem, plus #n for the n-th article of a multi-article page
    paragraphs: list[str]


# Lines of page furniture, not article: shorter than this many words.
_MIN_WORDS = 8
_APPEAL = re.compile(r"^Liked it\? Take a second to support", re.M)
_BYLINE_END = re.compile(r"^Published\s*\n\s*\non\s*\n(?:\s*\n)*(?:[\d,]+ Views\s*\n)?", re.M)


def _paragraphs(chunk: str) -> list[str]:
    lines = (line.strip() for line in chunk.splitlines())
    return [line for line in lines if len(line.split()) >= _MIN_WORDS]


def seed_articles(folder: Path) -> list[SeedArticle]:
    """The articles in the seed pages of `folder` (*.txt, read at run time).
    A page carrying several articles (each ending with a support-appeal line)
    gives one article per part; page furniture (lines under eight words) is
    left out. Returns [] for a folder without seed pages."""
    out = []
    for path in sorted(Path(folder).glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        parts = _APPEAL.split(text)
        if len(parts) == 1:
            out.append(SeedArticle(path.stem, _paragraphs(text)))
            continue
        for i, part in enumerate(parts[:-1]):  # after the last appeal: page footer
            body = _BYLINE_END.split(part)[-1]
            out.append(SeedArticle(f"{path.stem}#{i}", _paragraphs(body)))
    return [a for a in out if a.paragraphs]
