"""Benchmark pages with the weight and the page furniture of real news article
pages, so that per-page costs (decoding, parsing, cleaning, extraction) are
measured on pages like the ones the crawler meets.

The sample-web templates (tests/sampleweb/templates.py) render an article into
a page of about 5 KB. A real news article page is 80-300 KB of HTML, and most
of it is not the article: inline CSS, inline script blobs (site config,
analytics, ad setup), hydration JSON, SVG icon sprites, a mega-menu with
hundreds of links, related-story cards with teasers, trending lists, ad slots,
cookie banners and footers with columns of links. `dress` adds all that to a
rendered page:

    html = dress(render_article_page(...), rng)       # median ~120 KB, ~60-250 KB
    html = dress(html, rng, target_kb=200)            # about 200 KB

Furniture goes into <head>, right after <body ...> and just before </body>;
everything the template wrote, the article included, stays exactly as it was,
and nothing is put inside the article's own container.

Every piece of visible furniture text (menu entries, headlines, teasers, the
cookie banner, footer links) and the text inside the script blobs is made of
`FURNITURE_WORDS`, invented words that are neither English words nor words of
any sample article. `leaked(text)` tells whether extracted article text has
furniture in it, so a benchmark can count the pages whose extraction leaked.

Pages differ the way sites do: BEM class names (`c-card__title`), utility
classes (`mt-4 flex`) or hashed CSS-module names (`css-1q2w3e`); data-*
conventions (data-component, data-testid); related-story cards that are
<article> elements on about a third of the pages. The pieces (CSS rules,
script statements, SVG symbols, stories, menu sections) are built once at
import; a page draws from them, which keeps `dress` well under 2 ms a page.
Sizes count UTF-8 bytes, 1 KB = 1024 bytes.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import random
import re
from dataclasses import dataclass
from typing import Callable

__all__ = ["FURNITURE_WORDS", "dress", "leaked"]

# ---------------------------------------------------------------- vocabulary

_ONSETS = ("b", "br", "d", "dr", "f", "fl", "g", "gl", "k", "kl", "l", "m", "n", "p", "pl", "qu", "r", "s", "sk",
           "st", "t", "tr", "v", "vr", "z", "zh")
_VOWELS = ("a", "e", "i", "o", "u", "a", "o", "ai", "ou")
_CODAS = ("", "", "", "n", "r", "l", "s", "m", "v", "k", "x")
_ENDINGS = ("ane", "ek", "ol", "ix", "ur", "is", "et", "ade", "ov", "ine", "ak", "el", "um", "oz", "isol", "ant",
            "enk", "ora", "ilt", "ux", "emo", "asp")
_ODD_LETTERS = frozenset("kqvxz")


def _invent_words(count: int = 150, seed: str = "wirecrawl page furniture") -> list[str]:
    """`count` pronounceable made-up words, 6-10 lowercase letters, each with
    at least one of k q v x z and no doubled letter, which keeps them out of
    English (checked against large English word lists) and out of our sample
    articles. Deterministic."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < count:
        syllables = (rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                     for _ in range(rng.choice((1, 2, 2))))
        word = "".join(syllables) + rng.choice(_ONSETS) + rng.choice(_ENDINGS)
        if 6 <= len(word) <= 10 and _ODD_LETTERS & set(word) and not re.search(r"(.)\1", word):
            words.add(word)
    return sorted(words)


_WORDS: list[str] = _invent_words()
FURNITURE_WORDS: frozenset[str] = frozenset(_WORDS)
_LEAK = re.compile(r"\b(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def leaked(text: str) -> bool:
    """Whether any furniture word occurs in `text` (whole words, any case)."""
    return _LEAK.search(text) is not None


def _phrase(rng: random.Random, lo: int, hi: int) -> str:
    """lo-hi furniture words, the first capitalised (a menu entry, a label)."""
    words = rng.choices(_WORDS, k=rng.randint(lo, hi))
    return " ".join(words).capitalize()


def _headline(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(5, 9))
    words = [w.capitalize() if i == 0 or rng.random() < 0.2 else w for i, w in enumerate(words)]
    return " ".join(words)


def _sentence(rng: random.Random, lo: int = 10, hi: int = 22) -> str:
    words = rng.choices(_WORDS, k=rng.randint(lo, hi))
    if len(words) > 8 and rng.random() < 0.5:
        cut = rng.randint(3, len(words) - 4)
        words[cut] += ","
    return " ".join(words).capitalize() + "."


def _slug(text: str) -> str:
    return "-".join(text.lower().replace(",", "").split())


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_B62 = _B36 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _token(rng: random.Random, length: int, alphabet: str = _B36) -> str:
    """A random id such as build hashes and CSS-module suffixes."""
    return "".join(rng.choices(alphabet, k=length))


def _short_id(rng: random.Random) -> str:
    # Leading letter: no run of digits that a date finder could read as a date.
    return rng.choice(_B36[10:]) + _token(rng, 6)


# ---------------------------------------------------------------- pools

class _Pool:
    """Pieces of text (CSS rules, script statements, SVG symbols, JSON
    records) from which a page takes a contiguous run of about a given size,
    starting at a random piece and wrapping around."""

    def __init__(self, pieces: list[str], sep: str = ""):
        self.pieces = pieces
        self.sep = sep
        self._ring = pieces + pieces
        self._ends = list(itertools.accumulate(len(p) + len(sep) for p in self._ring))
        self.size = self._ends[len(pieces) - 1]

    def take(self, rng: random.Random, budget: int, least: int = 0) -> str:
        """About `budget` characters (at least `least` pieces), pieces joined by `sep`."""
        n = len(self.pieces)
        cycles, rest = divmod(max(budget, 0), self.size)
        start = rng.randrange(n)
        base = self._ends[start - 1] if start else 0
        stop = bisect.bisect_left(self._ends, base + rest, lo=start, hi=start + n)
        if stop > start and base + rest - self._ends[stop - 1] < self._ends[stop] - base - rest:
            stop -= 1  # nearer the budget without the last piece
        count = min(max(stop - start + 1 if rest else 0, least - cycles * n), n)
        run = self._ring[start:start + count]
        return self.sep.join(self.pieces * cycles + run if cycles else run)


@dataclass(frozen=True)
class _Story:
    headline: str
    teaser: str
    section: str
    path: str
    image: str  # the image's key on the CDN
    alt: str
    json: str  # the story as the hydration data carries it


@dataclass(frozen=True)
class _Section:
    name: str
    path: str
    links: tuple[tuple[str, str], ...]  # (text, path), ten of them
    json: str


_GEN = random.Random("wirecrawl pageweight pools")


def _make_sections(count: int) -> list[_Section]:
    sections = []
    for _ in range(count):
        name = _phrase(_GEN, 1, 2)
        path = f"/{_slug(name)}/"
        links = tuple((text, f"{path}{_slug(text)}/") for text in (_phrase(_GEN, 1, 3) for _ in range(10)))
        data = {"title": name, "href": path, "id": _short_id(_GEN)}
        sections.append(_Section(name, path, links, json.dumps(data, separators=(",", ":"))))
    return sections


def _make_stories(count: int, sections: list[_Section]) -> list[_Story]:
    stories = []
    for _ in range(count):
        section = _GEN.choice(sections)
        headline, teaser, key = _headline(_GEN), _sentence(_GEN), _short_id(_GEN)
        path = f"{section.path}{_slug(headline)}-{key}"
        alt = _phrase(_GEN, 3, 7)
        data = {
            "id": key, "type": _GEN.choice(("story", "story", "story", "video", "gallery", "live")),
            "headline": headline, "standfirst": teaser, "url": path, "section": section.name,
            "image": {"src": f"/img/{key}/1200x675.jpg", "width": 1200, "height": 675, "alt": alt},
            "readingTime": _GEN.randint(2, 14), "isPremium": _GEN.random() < 0.2,
        }
        stories.append(_Story(headline, teaser, section.name, path, key, alt,
                              json.dumps(data, separators=(",", ":"))))
    return stories


_SECTIONS = _make_sections(90)
_STORIES = _make_stories(700, _SECTIONS)
_FEED = _Pool([s.json for s in _STORIES], sep=",")

# ---------------------------------------------------------------- CSS

_GREYS = ("#111", "#121212", "#1a1a1a", "#222", "#333", "#4a4a4a", "#666", "#767676", "#999", "#c8c8c8",
          "#dcdcdc", "#e5e5e5", "#eee", "#f2f2f2", "#f6f6f6", "#fafafa", "#fff")
_COLOURS = _GREYS + tuple(f"#{_GEN.randrange(0x1000000):06x}" for _ in range(24))
_LENGTHS = ("0", "1px", "2px", "4px", "8px", "12px", "16px", "24px", "32px", ".25rem", ".5rem", ".75rem", "1rem",
            "1.25rem", "1.5rem", "2rem", "3rem", "var(--space-1)", "var(--space-2)", "var(--space-3)")
_DECLARATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("display", ("block", "flex", "grid", "none", "inline-block", "inline-flex", "contents")),
    ("position", ("relative", "absolute", "sticky", "fixed", "static")),
    ("margin", ("0", "0 auto", "1rem 0", "0 0 1.5rem", "var(--space-2) 0", ".5rem", "0 -1rem")),
    ("margin-top", _LENGTHS), ("margin-bottom", _LENGTHS),
    ("padding", ("0", ".5rem 1rem", "1rem", "1.5rem 0", "var(--space-3)", "12px 16px", "0 var(--gutter)")),
    ("padding-left", _LENGTHS), ("gap", _LENGTHS),
    ("font-size", (".75rem", ".875rem", "1rem", "1.125rem", "1.25rem", "1.5rem", "2rem", "12px", "14px",
                   "clamp(1.5rem,2vw + 1rem,2.5rem)")),
    ("line-height", ("1", "1.2", "1.25", "1.35", "1.5", "1.6", "normal")),
    ("font-weight", ("400", "500", "600", "700", "800")),
    ("font-family", ("var(--font-serif)", "var(--font-sans)", "var(--font-display)", "Georgia,serif",
                     "system-ui,Helvetica,Arial,sans-serif")),
    ("color", _COLOURS + ("inherit", "currentColor", "var(--color-ink)", "var(--color-brand)")),
    ("background-color", _COLOURS + ("transparent", "var(--color-surface)")),
    ("border", ("0", "none", "1px solid #dcdcdc", "1px solid var(--color-rule)", "2px solid currentColor")),
    ("border-bottom", ("1px solid #e5e5e5", "1px solid var(--color-rule)", "4px solid var(--color-brand)")),
    ("border-radius", ("0", "2px", "4px", "8px", "50%", "999px", "var(--radius)")),
    ("grid-template-columns", ("repeat(auto-fill,minmax(240px,1fr))", "1fr", "repeat(2,1fr)", "repeat(4,1fr)",
                               "minmax(0,1fr) 300px", "1fr 2fr")),
    ("flex", ("1", "1 1 auto", "0 0 auto", "1 1 0%", "none")),
    ("flex-direction", ("row", "column", "row-reverse")), ("flex-wrap", ("wrap", "nowrap")),
    ("align-items", ("center", "flex-start", "baseline", "stretch")),
    ("justify-content", ("space-between", "center", "flex-start", "flex-end")),
    ("top", ("0", "100%", "auto", "var(--header-height)")), ("left", ("0", "50%", "auto")),
    ("z-index", ("1", "2", "10", "100", "999", "2147483647")),
    ("width", ("100%", "auto", "24px", "1rem", "50%", "calc(100% - 2rem)", "max-content")),
    ("max-width", ("100%", "1280px", "var(--max-width)", "65ch", "none")),
    ("height", ("auto", "100%", "24px", "1px", "0", "var(--header-height)")),
    ("transition", ("opacity .2s ease-in-out", "transform .3s cubic-bezier(.4,0,.2,1)", "color .15s linear",
                    "all .2s ease", "background-color .2s")),
    ("transform", ("translateY(-100%)", "none", "rotate(180deg)", "translate(-50%,-50%)", "scale(1.05)")),
    ("opacity", ("0", ".5", ".8", "1")), ("overflow", ("hidden", "auto", "visible")),
    ("text-transform", ("uppercase", "none", "capitalize")),
    ("letter-spacing", ("0", ".02em", ".05em", "-.01em", ".1em")),
    ("text-decoration", ("none", "underline", "underline dotted")),
    ("box-shadow", ("0 1px 2px rgba(0,0,0,.08)", "0 4px 16px rgba(0,0,0,.12)", "none", "inset 0 -1px 0 #e5e5e5")),
    ("aspect-ratio", ("16/9", "4/3", "1", "3/2")), ("object-fit", ("cover", "contain")),
    ("white-space", ("nowrap", "normal")), ("cursor", ("pointer", "default")),
    ("content", ('""', "none", '"\\2022"')), ("list-style", ("none", "disc")),
    ("-webkit-line-clamp", ("2", "3", "4")), ("visibility", ("hidden", "visible")),
)
_PSEUDOS = ("", "", "", "", ":hover", ":focus-visible", "::before", "::after", ":first-child", ":not(:last-child)",
            ":last-child", "[aria-expanded=true]", "[hidden]", ":nth-child(2n)")
_MEDIA = ("(min-width:600px)", "(min-width:768px)", "(min-width:1024px)", "(min-width:1280px)", "(max-width:767px)",
          "print", "(prefers-reduced-motion:reduce)", "(prefers-color-scheme:dark)", "(hover:hover)")


def _declaration_block(rng: random.Random) -> str:
    picks = rng.sample(_DECLARATIONS, k=rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6)))
    return ";".join(f"{prop}:{rng.choice(values)}" for prop, values in picks)


_BLOCKS = tuple(_declaration_block(_GEN) for _ in range(600))


def _css_pieces(selector: Callable[[random.Random], str], count: int) -> list[str]:
    """`count` rules with selectors from `selector`; some grouped under an
    @media query, a few keyframes and @supports blocks among them."""
    pieces = []
    while len(pieces) < count:
        roll = _GEN.random()
        if roll < 0.08:
            inner = "".join(f"{selector(_GEN)}{{{_GEN.choice(_BLOCKS)}}}" for _ in range(_GEN.randint(2, 7)))
            pieces.append(f"@media {_GEN.choice(_MEDIA)}{{{inner}}}")
        elif roll < 0.09:
            name = f"{_GEN.choice(('fade', 'slide', 'pulse', 'spin', 'shimmer'))}-{_token(_GEN, 4)}"
            pieces.append(f"@keyframes {name}{{0%{{opacity:0;transform:translateY(8px)}}"
                          f"to{{opacity:1;transform:none}}}}")
        elif roll < 0.095:
            pieces.append(f"@supports (display:grid){{{selector(_GEN)}{{display:grid;{_GEN.choice(_BLOCKS)}}}}}")
        else:
            group = ",".join(selector(_GEN) for _ in range(_GEN.choice((1, 1, 1, 1, 2, 3))))
            pieces.append(f"{group}{{{_GEN.choice(_BLOCKS)}}}")
    return pieces


# BEM: the page's prefix ("c-", "o-", ...) replaces this placeholder.
_PREFIX = "\x00"
_BEM_BLOCKS = ("header", "masthead", "nav", "mega-nav", "site-nav", "main-menu", "card", "teaser", "promo",
               "story-card", "footer", "site-footer", "byline", "badge", "btn", "button", "icon", "grid", "rail",
               "hero", "carousel", "ticker", "banner", "modal", "drawer", "tabs", "poll", "newsletter", "paywall",
               "share", "gallery", "video", "live-blog", "scoreboard", "weather", "most-read", "popular",
               "trending", "related", "recirc", "ad-slot", "advert", "consent", "search", "topbar", "layout",
               "container", "section", "list", "media", "caption", "toast", "tooltip", "dropdown", "pagination")
_BEM_ELEMENTS = ("title", "headline", "body", "media", "image", "img", "link", "meta", "label", "list", "item",
                 "inner", "wrapper", "caption", "kicker", "summary", "standfirst", "icon", "count", "time", "author",
                 "overlay", "content", "header", "footer", "actions", "toggle", "panel", "close", "logo")
_BEM_MODIFIERS = ("large", "small", "dark", "light", "featured", "compact", "active", "open", "hidden", "sponsored",
                  "breaking", "horizontal", "vertical", "with-image", "primary", "secondary", "ghost", "sticky")


def _bem_selector(rng: random.Random) -> str:
    block = _PREFIX + rng.choice(_BEM_BLOCKS)
    roll = rng.random()
    if roll < 0.2:
        name = block
    elif roll < 0.8:
        name = f"{block}__{rng.choice(_BEM_ELEMENTS)}"
    else:
        name = f"{block}--{rng.choice(_BEM_MODIFIERS)}"
    if rng.random() < 0.25:
        return f".{block}--{rng.choice(_BEM_MODIFIERS)} .{name}{rng.choice(_PSEUDOS)}"
    return f".{name}{rng.choice(_PSEUDOS)}"


# Utility classes: each token with the CSS it stands for.
def _utility_rules() -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = []
    scale = (("0", "0"), ("0.5", ".125rem"), ("1", ".25rem"), ("1.5", ".375rem"), ("2", ".5rem"), ("3", ".75rem"),
             ("4", "1rem"), ("5", "1.25rem"), ("6", "1.5rem"), ("8", "2rem"), ("10", "2.5rem"), ("12", "3rem"),
             ("16", "4rem"), ("20", "5rem"), ("24", "6rem"), ("auto", "auto"))
    sides = (("", ("",)), ("t", ("-top",)), ("b", ("-bottom",)), ("l", ("-left",)), ("r", ("-right",)),
             ("x", ("-left", "-right")), ("y", ("-top", "-bottom")))
    for short, prop in (("m", "margin"), ("p", "padding")):
        for side, suffixes in sides:
            for step, value in scale:
                if prop == "padding" and step == "auto":
                    continue
                rules.append((f"{short}{side}-{step}", ";".join(f"{prop}{s}:{value}" for s in suffixes)))
    for step, value in scale[:-1]:
        rules += [(f"gap-{step}", f"gap:{value}"), (f"w-{step}", f"width:{value}"), (f"h-{step}", f"height:{value}")]
    for size, rem in (("xs", ".75rem"), ("sm", ".875rem"), ("base", "1rem"), ("lg", "1.125rem"), ("xl", "1.25rem"),
                      ("2xl", "1.5rem"), ("3xl", "1.875rem"), ("4xl", "2.25rem")):
        rules.append((f"text-{size}", f"font-size:{rem};line-height:calc(1.5/{rem[:-3] or 1})"))
    hues = ("gray", "neutral", "slate", "red", "blue", "amber", "emerald")
    for hue in hues:
        for shade in (50, 100, 200, 300, 400, 500, 600, 700, 800, 900):
            colour = _GEN.choice(_COLOURS)
            rules += [(f"text-{hue}-{shade}", f"color:{colour}"), (f"bg-{hue}-{shade}", f"background-color:{colour}"),
                      (f"border-{hue}-{shade}", f"border-color:{colour}")]
    for n in range(1, 13):
        rules += [(f"grid-cols-{n}", f"grid-template-columns:repeat({n},minmax(0,1fr))"),
                  (f"col-span-{n}", f"grid-column:span {n}/span {n}")]
    for fraction, pct in (("1/2", "50%"), ("1/3", "33.333333%"), ("2/3", "66.666667%"), ("1/4", "25%"),
                          ("3/4", "75%"), ("full", "100%")):
        rules.append((f"w-{fraction}", f"width:{pct}"))
    for weight, value in (("normal", 400), ("medium", 500), ("semibold", 600), ("bold", 700), ("black", 900)):
        rules.append((f"font-{weight}", f"font-weight:{value}"))
    rules += [("flex", "display:flex"), ("grid", "display:grid"), ("block", "display:block"),
              ("hidden", "display:none"), ("inline-flex", "display:inline-flex"), ("flex-col", "flex-direction:column"),
              ("flex-row", "flex-direction:row"), ("items-center", "align-items:center"),
              ("justify-between", "justify-content:space-between"), ("justify-center", "justify-content:center"),
              ("relative", "position:relative"), ("absolute", "position:absolute"), ("sticky", "position:sticky"),
              ("overflow-hidden", "overflow:hidden"), ("rounded", "border-radius:.25rem"),
              ("rounded-lg", "border-radius:.5rem"), ("rounded-full", "border-radius:9999px"),
              ("uppercase", "text-transform:uppercase"), ("leading-tight", "line-height:1.25"),
              ("leading-snug", "line-height:1.375"), ("tracking-tight", "letter-spacing:-.025em"),
              ("font-serif", "font-family:var(--font-serif)"), ("list-none", "list-style-type:none"),
              ("object-cover", "object-fit:cover"), ("aspect-video", "aspect-ratio:16/9"),
              ("line-clamp-2", "overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2"),
              ("line-clamp-3", "overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3"),
              ("sr-only", "position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;"
                          "clip:rect(0,0,0,0);white-space:nowrap;border-width:0"),
              ("shadow-sm", "box-shadow:0 1px 2px 0 rgba(0,0,0,.05)"), ("border", "border-width:1px"),
              ("border-b", "border-bottom-width:1px"), ("divide-y", "border-top-width:1px"),
              ("transition-colors", "transition-property:color,background-color,border-color;"
                                    "transition-duration:.15s"),
              ("fill-current", "fill:currentColor"), ("shrink-0", "flex-shrink:0"), ("mx-auto", "margin:0 auto"),
              ("max-w-screen-xl", "max-width:1280px"), ("max-w-7xl", "max-width:80rem"),
              ("no-underline", "text-decoration-line:none"), ("underline", "text-decoration-line:underline")]
    return rules


def _css_escape(token: str) -> str:
    return re.sub(r"([:/.])", r"\\\1", token)


_VARIANTS = (("", ""), ("sm:", "(min-width:640px)"), ("md:", "(min-width:768px)"), ("lg:", "(min-width:1024px)"),
             ("xl:", "(min-width:1280px)"), ("hover:", ":hover"), ("focus-visible:", ":focus-visible"),
             ("dark:", "(prefers-color-scheme:dark)"))


def _utility_pieces() -> list[str]:
    """The utility stylesheet in the order utility frameworks emit it, with
    responsive and state variants of some of the classes."""
    pieces = []
    base = _utility_rules()
    for prefix, condition in _VARIANTS:
        for name, body in base:
            if prefix and _GEN.random() < 0.55:
                continue  # a site only emits the variants it uses
            token = prefix + name
            if condition.startswith(":"):
                pieces.append(f".{_css_escape(token)}{condition}{{{body}}}")
            elif condition:
                pieces.append(f"@media {condition}{{.{_css_escape(token)}{{{body}}}}}")
            else:
                pieces.append(f".{_css_escape(token)}{{{body}}}")
    return pieces


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _hashed_class(rng: random.Random, mode: str, group: str | None = None, element: str | None = None) -> str:
    """A generated class name: "short" `css-1q2w3e`, "module" `Card_title__x8Zp2`
    (of component `group`, random when None) or "pair" `sc-aXZVg kTuPlm`, as
    CSS-in-JS and CSS-module builds name classes."""
    if mode == "short":
        return f"css-{_token(rng, rng.choice((6, 7)))}"
    if mode == "module":
        if group is None:
            group, element = rng.choice(_BEM_BLOCKS), rng.choice(_BEM_ELEMENTS)
        part = element or rng.choice(("root", "container", "wrapper"))
        return f"{_pascal(group)}_{part}__{_token(rng, 5, _B62)}"
    return f"sc-{_token(rng, 6, _B62)} {_token(rng, 6, _B62)}"


def _hashed_selector(rng: random.Random) -> str:
    name = _hashed_class(rng, rng.choice(("short", "short", "module", "pair"))).split()[-1]
    return f".{name}{rng.choice(_PSEUDOS + (' a', '>*+*', ' svg', ' img'))}"


_CSS_POOLS = {
    "bem": _Pool(_css_pieces(_bem_selector, 2500)),
    "utility": _Pool(_utility_pieces() + _css_pieces(_bem_selector, 400)),  # utilities plus a few components
    "hashed": _Pool(_css_pieces(_hashed_selector, 2500)),
}
_CSS_RESET = ("*,:after,:before{box-sizing:border-box}html{-webkit-text-size-adjust:100%;line-height:1.5}"
              "body{margin:0;font-family:var(--font-sans);color:var(--color-ink);background:var(--color-surface)}"
              "img,svg,video{display:block;max-width:100%;height:auto}button{font:inherit;cursor:pointer}"
              "a{color:inherit}[hidden]{display:none!important}")

# ---------------------------------------------------------------- scripts

_JS_NAMES = ("e", "t", "n", "r", "i", "o", "a", "s", "c", "u", "l", "d", "f", "p")


def _config_pieces(count: int) -> list[str]:
    """Entries of a site-config object: ad slots, feature flags, experiments,
    tracking dimensions, endpoints."""
    pieces = []
    for i in range(count):
        w1, w2 = _GEN.choice(_WORDS), _GEN.choice(_WORDS)
        kind = _GEN.randrange(5)
        if kind == 0:
            sizes = _GEN.sample(("[300,250]", "[300,600]", "[728,90]", "[970,250]", "[320,50]", "[1,1]"), k=3)
            value = (f'{{"path":"/{_GEN.randint(1000, 99999)}/{w1}/{w2}","sizes":[{",".join(sizes)}],'
                     f'"lazy":{str(_GEN.random() < 0.7).lower()},"refresh":{_GEN.choice((0, 30, 60))},'
                     f'"targeting":{{"pos":"{w2}{i % 9}","sect":"{w1}"}}}}')
            key = f"slot_{w1}_{i}"
        elif kind == 1:
            value = (f'{{"enabled":{str(_GEN.random() < 0.6).lower()},"rollout":{_GEN.choice((0.05, 0.25, 0.5, 1))},'
                     f'"variant":"{w2}"}}')
            key = f"flag_{w1}_{i}"
        elif kind == 2:
            value = (f'{{"name":"{w1}-{w2}","buckets":[{_GEN.randint(10, 90)},{_GEN.randint(10, 90)}],'
                     f'"active":{str(_GEN.random() < 0.5).lower()},"id":"{_token(_GEN, 8)}"}}')
            key = f"exp_{i}"
        elif kind == 3:
            value = f'"{w1} {w2}"'
            key = f"dimension{i}"
        else:
            value = f'"https://api.{w1}.example/v{_GEN.randint(1, 4)}/{w2}"'
            key = f"endpoint_{w1}_{i}"
        pieces.append(f'"{key}":{value}')
    return pieces


def _code_pieces(count: int) -> list[str]:
    """Minified-looking script statements: queues, event handlers, cookie
    reads, lookup tables, as analytics and ad setup code looks inline."""
    pieces = []
    for _ in range(count):
        a, b, c = _GEN.sample(_JS_NAMES, k=3)
        w1, w2, w3 = _GEN.choice(_WORDS), _GEN.choice(_WORDS), _GEN.choice(_WORDS)
        fn = f"_{w1[:3]}{_token(_GEN, 2)}"
        kind = _GEN.randrange(7)
        if kind == 0:
            piece = (f'!function({a},{b},{c}){{var r={a}[{c}]={a}[{c}]||[];r.push({{event:"{w1}",'
                     f'ts:Date.now(),id:"{_token(_GEN, 10)}",label:"{w2} {w3}"}})}}(window,document,"_{w2}q")')
        elif kind == 1:
            piece = (f"function {fn}({a},{b}){{if(!{a})return null;for(var {c}=0;{c}<{a}.length;{c}++)"
                     f"if({a}[{c}]&&{a}[{c}].{w1}==={b})return {a}[{c}];return null}}")
        elif kind == 2:
            entries = ",".join(f'{_GEN.choice(_WORDS)}:"{_GEN.choice(_WORDS)}"' for _ in range(_GEN.randint(3, 8)))
            piece = f"var {fn}={{{entries}}}"
        elif kind == 3:
            piece = (f'window._{w1}=window._{w1}||{{cmd:[]}};window._{w1}.cmd.push(function(){{var {a}=window._{w1}'
                     f'.slot("/{_GEN.randint(1000, 99999)}/{w2}/{w3}",[[728,90],[970,250]],"ad-{w3}");'
                     f'{a}&&{a}.target("pos","{w2}").target("kw",["{w1}","{w3}"])}})')
        elif kind == 4:
            piece = (f'(function(){{try{{var {a}=document.cookie.match(/(?:^|; ){w1}=([^;]*)/);{a}&&(window.'
                     f'_{w2}={{id:decodeURIComponent({a}[1]),seen:+new Date}})}}catch({b}){{}}}})()')
        elif kind == 5:
            piece = (f'document.addEventListener("{_GEN.choice(("DOMContentLoaded", "scroll", "click"))}",'
                     f'function({a}){{var {b}=document.querySelectorAll("[data-{w1}]");Array.prototype.forEach'
                     f'.call({b},function({c}){{{c}.setAttribute("data-{w2}","{w3}")}})}},{{passive:!0}})')
        else:
            rows = ",".join(f'{{id:"{_token(_GEN, 6)}",w:{_GEN.choice((320, 640, 960, 1200))},'
                            f'h:{_GEN.choice((180, 360, 540, 675))},t:"{_GEN.choice(_WORDS)}"}}'
                            for _ in range(_GEN.randint(2, 6)))
            piece = f"var {fn}=[{rows}]"
        pieces.append(piece)
    return pieces


_CONFIG = _Pool(_config_pieces(900), sep=",")
_CODE = _Pool(_code_pieces(900), sep=";")
_GLOBALS = ("__SITE_CONFIG__", "siteConfig", "__APP_CONFIG__", "pageConfig", "__ENV__")
_STATE_GLOBALS = ("__INITIAL_STATE__", "__PRELOADED_STATE__", "__APP_STATE__", "__PAGE_DATA__")

# ---------------------------------------------------------------- SVG

_ICONS = ("arrow-left", "arrow-right", "arrow-up", "chevron-down", "chevron-right", "close", "search", "user",
          "bookmark", "share", "mail", "print", "play", "pause", "camera", "video", "headphones", "comment", "clock",
          "external", "lock", "star", "heart", "bell", "settings", "plus", "minus", "check", "info", "warning",
          "social-1", "social-2", "social-3", "message", "rss", "podcast", "gallery", "live", "weather", "quote")
_ICON_VARIANTS = ("", "-filled", "-outline", "-small", "-16", "-24", "-bold")


def _path_data(rng: random.Random) -> str:
    def num() -> str:
        return f"{rng.uniform(-8, 24):.2f}".rstrip("0").rstrip(".")

    parts = [f"M{num()} {num()}"]
    for _ in range(rng.randint(4, 24)):
        op = rng.choice("lchvaLCs")
        if op in "hv":
            parts.append(f"{op}{num()}")
        elif op in "cC":
            parts.append(f"{op}{num()} {num()} {num()} {num()} {num()} {num()}")
        elif op == "a":
            parts.append(f"a{num()} {num()} 0 0 1 {num()} {num()}")
        elif op == "s":
            parts.append(f"s{num()} {num()} {num()} {num()}")
        else:
            parts.append(f"{op}{num()} {num()}")
    return "".join(parts) + "z"


def _symbol(rng: random.Random, name: str) -> str:
    paths = "".join(f'<path d="{_path_data(rng)}"/>' for _ in range(rng.choice((1, 1, 2, 3))))
    if rng.random() < 0.3:
        paths = f'<g fill="none" fill-rule="evenodd">{paths}</g>'
    return f'<symbol id="{name}" viewBox="0 0 24 24">{paths}</symbol>'


_SYMBOLS = _Pool([_symbol(_GEN, f"icon-{name}{variant}") for name in _ICONS for variant in _ICON_VARIANTS])
_CORE_SYMBOLS = "".join(_symbol(_GEN, name) for name in ("i-menu", "i-search", "i-chevron", "i-close")) + (
    f'<symbol id="i-logo" viewBox="0 0 180 32"><path d="{_path_data(_GEN)}{_path_data(_GEN)}"/></symbol>')

# ---------------------------------------------------------------- page looks

# role: (component, BEM element, utility kind)
_ROLES: dict[str, tuple[str, str | None, str]] = {
    "topbar": ("topbar", None, "box"), "topbar_list": ("topbar", "list", "list"),
    "topbar_link": ("topbar", "link", "link"), "logo": ("topbar", "logo", "link"),
    "search": ("search", None, "box"), "search_input": ("search", "input", "text"),
    "button": ("button", None, "button"), "icon": ("icon", None, "icon"),
    "nav": ("nav", None, "box"), "nav_list": ("nav", "list", "list"), "nav_item": ("nav", "item", "box"),
    "nav_toggle": ("nav", "toggle", "button"), "nav_panel": ("nav", "panel", "box"),
    "nav_sublist": ("nav", "sublist", "list"), "nav_link": ("nav", "link", "link"),
    "cookie": ("consent", None, "box"), "cookie_title": ("consent", "title", "text"),
    "cookie_text": ("consent", "text", "text"), "cookie_actions": ("consent", "actions", "box"),
    "ad": ("ad", None, "box"),
    "related": ("related", None, "box"), "related_heading": ("related", "heading", "text"),
    "grid": ("related", "grid", "list"),
    "card": ("card", None, "box"), "card_media": ("card", "media", "link"), "card_img": ("card", "image", "media"),
    "card_kicker": ("card", "kicker", "text"), "card_title": ("card", "title", "text"),
    "card_link": ("card", "link", "link"), "card_teaser": ("card", "teaser", "text"),
    "most_read": ("most-read", None, "box"), "most_read_heading": ("most-read", "heading", "text"),
    "most_read_list": ("most-read", "list", "list"), "most_read_item": ("most-read", "item", "text"),
    "footer": ("footer", None, "box"), "footer_cols": ("footer", "columns", "list"),
    "footer_col": ("footer", "column", "box"), "footer_heading": ("footer", "heading", "text"),
    "footer_list": ("footer", "list", "list"), "footer_link": ("footer", "link", "link"),
    "footer_legal": ("footer", "legal", "text"),
}
_BLOCK_NAMES = {
    "topbar": ("topbar", "utility-bar", "top-strip", "masthead-bar"), "search": ("search", "search-box", "site-search"),
    "button": ("btn", "button"), "icon": ("icon", "svg-icon"), "nav": ("mega-nav", "site-nav", "main-menu", "nav"),
    "consent": ("consent", "cookie-banner", "privacy-notice"), "ad": ("ad-slot", "advert", "ad-unit"),
    "related": ("related", "more-stories", "story-rail", "recirc"), "card": ("card", "teaser", "promo", "story-card"),
    "most-read": ("most-read", "popular", "trending", "top-list"), "footer": ("footer", "site-footer", "page-footer"),
}
_ELEMENT_NAMES = {"teaser": ("teaser", "summary", "standfirst"), "title": ("title", "headline"),
                  "image": ("image", "img"), "kicker": ("kicker", "label", "section")}
_UTILITIES = {
    "box": ("flex", "flex-col", "items-center", "justify-between", "gap-2", "gap-4", "gap-6", "relative", "mx-auto",
            "max-w-screen-xl", "px-4", "py-2", "py-6", "mt-4", "mb-6", "border-b", "border-gray-200", "bg-white",
            "dark:bg-neutral-900", "md:flex-row", "lg:px-8", "overflow-hidden", "rounded-lg", "shadow-sm"),
    "text": ("text-sm", "text-base", "text-lg", "md:text-xl", "font-semibold", "font-bold", "leading-tight",
             "leading-snug", "tracking-tight", "text-gray-900", "text-gray-600", "line-clamp-2", "line-clamp-3",
             "mt-1", "mt-2", "mb-2", "font-serif", "uppercase", "text-xs"),
    "link": ("hover:underline", "focus-visible:ring-2", "no-underline", "block", "inline-flex", "items-center",
             "py-1", "px-2", "transition-colors", "hover:text-blue-700"),
    "list": ("list-none", "m-0", "p-0", "space-y-2", "grid", "grid-cols-1", "sm:grid-cols-2", "lg:grid-cols-4",
             "gap-4", "divide-y", "divide-gray-200"),
    "media": ("block", "w-full", "h-auto", "aspect-video", "object-cover", "rounded", "bg-gray-100"),
    "button": ("inline-flex", "items-center", "justify-center", "rounded-full", "rounded", "px-3", "px-4", "py-1.5",
               "py-2", "text-sm", "font-medium", "bg-black", "text-white", "border", "hover:bg-neutral-800"),
    "icon": ("w-4", "h-4", "w-5", "h-5", "fill-current", "shrink-0", "inline-block"),
}
_JS_HOOKS = {"nav_toggle": "js-menu-toggle", "cookie": "js-consent", "search": "js-search", "ad": "js-ad",
             "card": "js-track-card", "most_read": "js-most-read"}


def _bem_classes(rng: random.Random, prefix: str) -> dict[str, str]:
    blocks = {group: prefix + rng.choice(names) for group, names in _BLOCK_NAMES.items()}
    elements = {element: rng.choice(names) for element, names in _ELEMENT_NAMES.items()}
    classes = {}
    for role, (group, element, _) in _ROLES.items():
        name = blocks[group] if element is None else f"{blocks[group]}__{elements.get(element, element)}"
        if role in ("card", "button", "ad") and rng.random() < 0.6:
            name += f" {name}--{rng.choice(_BEM_MODIFIERS)}"
        classes[role] = name
    return classes


def _utility_classes(rng: random.Random, prefix: str) -> dict[str, str]:
    classes = {}
    for role, (group, element, kind) in _ROLES.items():
        tokens = rng.sample(_UTILITIES[kind], k=rng.randint(2, 4))
        if element is None and rng.random() < 0.3:
            tokens.insert(0, prefix + group)  # a semantic hook among the utilities, as many sites keep
        classes[role] = " ".join(tokens)
    return classes


def _hashed_classes(rng: random.Random, prefix: str) -> dict[str, str]:
    mode = rng.choice(("short", "module", "pair"))
    return {role: _hashed_class(rng, mode, group, element) for role, (group, element, _) in _ROLES.items()}


# Each style maps a role to its class attribute; `prefix` is the site's BEM
# namespace ("c-", "o-", ...), for the component rules every style's sheet has.
_STYLES: dict[str, Callable[[random.Random, str], dict[str, str]]] = {
    "bem": _bem_classes, "utility": _utility_classes, "hashed": _hashed_classes}

# The data-* attributes a site's components carry, by convention.
_COMPONENTS = {"topbar": "TopBar", "nav": "MegaMenu", "cookie": "ConsentBanner", "related": "RelatedStories",
               "card": "StoryCard", "most_read": "MostRead", "ad": "AdSlot", "footer": "SiteFooter"}


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


_DATA_CONVENTIONS: list[dict[str, str]] = [
    {role: "" for role in _COMPONENTS},
    {role: f' data-component="{name}"' for role, name in _COMPONENTS.items()},
    {role: f' data-testid="{_kebab(name)}"' for role, name in _COMPONENTS.items()},
    {role: f' data-component="{_kebab(name)}" data-testid="{_kebab(name)}"' for role, name in _COMPONENTS.items()},
    {role: f' data-module="{name}" data-track-zone="{_kebab(name)}"' for role, name in _COMPONENTS.items()},
]


@dataclass(frozen=True)
class _Look:
    """How one site marks up its furniture."""

    style: str
    prefix: str  # BEM namespace of the stylesheet's component rules
    cls: dict[str, str]  # role -> class attribute
    data: dict[str, str]
    card_tag: str  # "article" on about a third of the sites, else "div"
    heading_tag: str  # of a card's headline
    cdn: str
    brand: str


def _look(rng: random.Random) -> _Look:
    style = rng.choice(tuple(_STYLES))
    prefix = rng.choice(("c-", "o-", "", "", f"{rng.choice(_WORDS)[:2]}-"))
    cls = _STYLES[style](rng, prefix)
    if rng.random() < 0.4:
        cls = {role: f"{value} {_JS_HOOKS[role]}" if role in _JS_HOOKS else value for role, value in cls.items()}
    card_tag = "article" if rng.random() < 1 / 3 else "div"
    heading_tag = rng.choice(("h3", "h3", "h2")) if card_tag == "article" else "h3"
    host = rng.choice(_WORDS)
    return _Look(style, prefix, cls, rng.choice(_DATA_CONVENTIONS), card_tag, heading_tag,
                 f"https://{rng.choice(('cdn', 'static', 'assets', 'img'))}.{host}.example",
                 f"{host.capitalize()} {rng.choice(_WORDS).capitalize()}")


# ---------------------------------------------------------------- parts of a page

def _count(rng: random.Random, lo: int, hi: int, richness: float) -> int:
    """A count in lo..hi, larger on richer (heavier) pages."""
    r = min(max(richness + rng.uniform(-0.3, 0.3), 0.0), 1.0)
    return lo + round((hi - lo) * r)


def _head_tags(look: _Look, rng: random.Random, has_viewport: bool) -> str:
    """Meta tags and resource hints, as a news site's <head> carries them."""
    cdn = look.cdn
    tags = [] if has_viewport else ['<meta name="viewport" content="width=device-width, initial-scale=1">']
    tags += [
        f'<meta name="theme-color" content="{rng.choice(_COLOURS)}">',
        '<meta name="twitter:card" content="summary_large_image">',
        '<meta name="robots" content="index, follow, max-image-preview:large">',
        '<meta name="referrer" content="strict-origin-when-cross-origin">',
        '<meta name="format-detection" content="telephone=no">',
        f'<link rel="preconnect" href="{cdn}" crossorigin>',
    ]
    tags += [f'<link rel="dns-prefetch" href="https://{rng.choice(("api", "events", "ads", "consent"))}.'
             f'{rng.choice(_WORDS)}.example">' for _ in range(rng.randint(2, 5))]
    family = rng.choice(_WORDS)
    tags += [f'<link rel="preload" href="{cdn}/fonts/{family}-{weight}.woff2" as="font" type="font/woff2" crossorigin>'
             for weight in rng.sample(("regular", "italic", "medium", "bold", "black"), k=rng.randint(2, 4))]
    tags += [f'<link rel="preload" href="{cdn}/static/js/{name}.{_token(rng, 8)}.js" as="script">'
             for name in rng.sample(("runtime", "vendor", "main", "article", "consent", "ads"), k=rng.randint(1, 3))]
    tags += [f'<link rel="icon" href="{cdn}/favicon-32.png" sizes="32x32" type="image/png">',
             f'<link rel="apple-touch-icon" href="{cdn}/apple-touch-icon-180.png">',
             '<link rel="manifest" href="/manifest.webmanifest">']
    return "\n".join(tags) + "\n"


def _stylesheet(look: _Look, rng: random.Random, budget: int) -> str:
    """An inline <style>: custom properties, web fonts, a reset, the rules of
    this page's own furniture classes, then a run of the site's stylesheet."""
    family = rng.choice(_WORDS).capitalize()
    fonts = "".join(
        f'@font-face{{font-family:"{family} {kind}";src:url({look.cdn}/fonts/{family.lower()}-{weight}.woff2) '
        f'format("woff2");font-weight:{weight};font-style:normal;font-display:swap}}'
        for kind, weight in rng.sample((("Serif", 400), ("Serif", 700), ("Sans", 400), ("Sans", 600),
                                        ("Display", 800)), k=rng.randint(2, 5)))
    root = (f":root{{--color-brand:{rng.choice(_COLOURS)};--color-ink:#121212;--color-rule:#dcdcdc;"
            f'--color-surface:#fff;--font-serif:"{family} Serif",Georgia,serif;'
            f'--font-sans:"{family} Sans",Helvetica,Arial,sans-serif;--font-display:"{family} Display",serif;'
            f"--space-1:.25rem;--space-2:.5rem;--space-3:1rem;--gutter:{rng.choice(('16px', '20px', '1.5rem'))};"
            f"--max-width:{rng.choice(('1200px', '1280px', '1320px'))};--header-height:{rng.randint(48, 72)}px;"
            f"--radius:{rng.choice(('0', '2px', '4px', '8px'))}}}")
    own = ""
    if look.style != "utility":  # utility classes are all in the framework's sheet
        own = "".join(f".{value.split()[0]}{{{rng.choice(_BLOCKS)}}}" for value in look.cls.values())
    head = root + fonts + _CSS_RESET + own
    body = _CSS_POOLS[look.style].take(rng, budget - len(head) - 20, least=100)
    body = body.replace(_PREFIX, look.prefix)
    attrs = rng.choice(("", "", ' data-href="critical"', f' nonce="{_token(rng, 22, _B62)}"', ' id="critical-css"'))
    return f"<style{attrs}>{head}{body}</style>\n"


def _head_scripts(look: _Look, rng: random.Random, budget: int) -> str:
    """A site-config object and an inline analytics / ad setup script, plus
    the script bundles the page loads."""
    config_share = rng.uniform(0.3, 0.6)
    entries = _CONFIG.take(rng, int(budget * config_share), least=12)
    site = f'"site":"{look.brand}","env":"production","release":"{_token(rng, 12)}",'
    if rng.random() < 0.5:
        config = f"<script>window.{rng.choice(_GLOBALS)}={{{site}{entries}}};</script>"
    else:
        config = f'<script id="site-config" type="application/json">{{{site}{entries}}}</script>'
    code = _CODE.take(rng, budget - len(config) - 60, least=6)
    nonce = f' nonce="{_token(rng, 22, _B62)}"' if rng.random() < 0.3 else ""
    bundles = "".join(f'<script src="{look.cdn}/static/js/{name}.{_token(rng, 8)}.js" {rng.choice(("defer", "async"))}>'
                      f"</script>" for name in rng.sample(("runtime", "vendor", "main", "consent", "ads"), k=2))
    return f"{config}\n<script{nonce}>{code}</script>\n{bundles}\n"


def _icon(look: _Look, name: str) -> str:
    return f'<svg class="{look.cls["icon"]}" aria-hidden="true" focusable="false"><use href="#{name}"></use></svg>'


def _sprite(rng: random.Random, budget: int) -> str:
    symbols = _SYMBOLS.take(rng, budget - len(_CORE_SYMBOLS), least=4)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">'
            f"{_CORE_SYMBOLS}{symbols}</svg>\n")


def _cookie_banner(look: _Look, rng: random.Random) -> str:
    c = look.cls
    text = " ".join(_sentence(rng, 12, 24) for _ in range(rng.randint(2, 3)))
    buttons = "".join(f'<button type="button" class="{c["button"]}" data-action="{action}">'
                      f"{_phrase(rng, 1, 2)}</button>" for action in ("accept", "reject", "settings"))
    return (f'<div id="consent-banner" class="{c["cookie"]}" role="dialog" aria-modal="false" aria-live="polite" '
            f'aria-labelledby="consent-title" aria-describedby="consent-text"{look.data["cookie"]}>'
            f'<p id="consent-title" class="{c["cookie_title"]}"><strong>{_phrase(rng, 2, 4)}</strong></p>'
            f'<p id="consent-text" class="{c["cookie_text"]}">{text} '
            f'<a href="/{_slug(_phrase(rng, 1, 2))}/">{_phrase(rng, 2, 3)}</a></p>'
            f'<div class="{c["cookie_actions"]}">{buttons}</div></div>\n')


def _top_bar(look: _Look, rng: random.Random) -> str:
    c = look.cls
    links = "".join(f'<li><a class="{c["topbar_link"]}" href="/{_slug(text)}/">{text}</a></li>'
                    for text in (_phrase(rng, 1, 2) for _ in range(rng.randint(3, 6))))
    return (f'<div class="{c["topbar"]}"{look.data["topbar"]}>'
            f'<button type="button" class="{c["nav_toggle"]}" aria-expanded="false" aria-controls="mega-menu" '
            f'aria-label="Open menu">{_icon(look, "i-menu")}</button>'
            f'<a class="{c["logo"]}" href="/" aria-label="Home">{_icon(look, "i-logo")}</a>'
            f'<ul class="{c["topbar_list"]}">{links}</ul>'
            f'<form class="{c["search"]}" role="search" action="/search"><label class="sr-only" for="site-q">'
            f'{_phrase(rng, 1, 1)}</label><input id="site-q" class="{c["search_input"]}" name="q" type="search" '
            f'placeholder="{_phrase(rng, 2, 3)}"><button type="submit" class="{c["button"]}" aria-label="Search">'
            f'{_icon(look, "i-search")}</button></form>'
            f'<a class="{c["button"]}" href="/subscribe?ref=topbar">{_phrase(rng, 1, 3)}</a></div>\n')


def _ad_slot(look: _Look, rng: random.Random, position: str) -> str:
    sizes = rng.choice((("728x90", "970x250"), ("300x250", "300x600"), ("320x50", "300x250"), ("970x90",)))
    height = sizes[0].split("x")[1]
    return (f'<div id="ad-{position}" class="{look.cls["ad"]}" data-ad-slot="/{rng.randint(1000, 99999)}/'
            f'{rng.choice(_WORDS)}/{position}" data-sizes="{"|".join(sizes)}" data-label="Advertisement" '
            f'aria-hidden="true" style="min-height:{height}px"{look.data["ad"]}></div>\n')


def _mega_menu(look: _Look, rng: random.Random, sections: list[_Section], richness: float) -> str:
    c = look.cls
    hidden = " hidden" if rng.random() < 0.5 else ""
    chevron = _icon(look, "i-chevron") if rng.random() < 0.5 else ""
    track = rng.random() < 0.4
    nav_role = ' role="navigation"' if rng.random() < 0.5 else ""
    # Some sites follow the ARIA menu pattern, most leave the roles out.
    bar, menu, none, item = ((' role="menubar"', ' role="menu"', ' role="none"', ' role="menuitem"')
                             if rng.random() < 0.35 else ("", "", "", ""))
    items = []
    for i, section in enumerate(sections):
        links = []
        for j, (text, href) in enumerate(section.links[:_count(rng, 5, 10, richness)]):
            label = f' data-link-name="nav:{i}:{j}"' if track else ""
            links.append(f'<li{none}><a class="{c["nav_link"]}"{item} href="{href}"{label}>{text}</a></li>')
        items.append(
            f'<li class="{c["nav_item"]}"{none}><button type="button" class="{c["nav_toggle"]}"{item} '
            f'aria-expanded="false" aria-haspopup="true" aria-controls="mm-{i}">{section.name}'
            f'{chevron}</button><div id="mm-{i}" class="{c["nav_panel"]}"{hidden}>'
            f'<a class="{c["nav_link"]}" href="{section.path}">{section.name}</a>'
            f'<ul class="{c["nav_sublist"]}"{menu}>{"".join(links)}</ul></div></li>')
    return (f'<nav id="mega-menu" class="{c["nav"]}" aria-label="Main"{nav_role}{look.data["nav"]}>'
            f'<ul class="{c["nav_list"]}"{bar}>{"".join(items)}</ul></nav>\n')


def _image(look: _Look, story: _Story, srcset: bool) -> str:
    base = f"{look.cdn}/img/{story.image}"
    sources = (f' srcset="{base}/320x180.jpg 320w, {base}/640x360.jpg 640w, {base}/960x540.jpg 960w" '
               f'sizes="(min-width:1024px) 25vw, 50vw"') if srcset else ""
    return (f'<img class="{look.cls["card_img"]}" src="{base}/480x270.jpg"{sources} width="480" height="270" '
            f'loading="lazy" decoding="async" alt="{story.alt}">')


def _related(look: _Look, rng: random.Random, stories: list[_Story]) -> str:
    c, tag, h = look.cls, look.card_tag, look.heading_tag
    kicker, srcset = rng.random() < 0.6, rng.random() < 0.6
    cards = "".join(
        f'<{tag} class="{c["card"]}"{look.data["card"]}>'
        f'<a class="{c["card_media"]}" href="{s.path}" tabindex="-1" aria-hidden="true">{_image(look, s, srcset)}</a>'
        + (f'<span class="{c["card_kicker"]}">{s.section}</span>' if kicker else "")
        + f'<{h} class="{c["card_title"]}"><a class="{c["card_link"]}" href="{s.path}">{s.headline}</a></{h}>'
        f'<p class="{c["card_teaser"]}">{s.teaser}</p></{tag}>'
        for s in stories)
    outer = rng.choice(("section", "section", "aside", "div"))
    return (f'<{outer} class="{c["related"]}" aria-labelledby="related-heading"{look.data["related"]}>'
            f'<h2 id="related-heading" class="{c["related_heading"]}">{_phrase(rng, 1, 3)}</h2>'
            f'<div class="{c["grid"]}">{cards}</div></{outer}>\n')


def _most_read(look: _Look, rng: random.Random, stories: list[_Story]) -> str:
    c = look.cls
    items = "".join(f'<li class="{c["most_read_item"]}"><a href="{s.path}">{s.headline}</a></li>' for s in stories)
    outer = rng.choice(("aside", "section", "div"))
    return (f'<{outer} class="{c["most_read"]}" aria-labelledby="most-read-heading"{look.data["most_read"]}>'
            f'<h2 id="most-read-heading" class="{c["most_read_heading"]}">{_phrase(rng, 1, 2)}</h2>'
            f'<ol class="{c["most_read_list"]}">{items}</ol></{outer}>\n')


def _footer(look: _Look, rng: random.Random, columns: list[_Section], richness: float) -> str:
    c = look.cls
    heading = rng.choice(("h3", "h4", "p"))
    cols = "".join(
        f'<div class="{c["footer_col"]}"><{heading} class="{c["footer_heading"]}">{section.name}</{heading}>'
        f'<ul class="{c["footer_list"]}">'
        + "".join(f'<li><a class="{c["footer_link"]}" href="{href}">{text}</a></li>'
                  for text, href in section.links[:_count(rng, 5, 10, richness)])
        + "</ul></div>"
        for section in columns)
    return (f'<footer class="{c["footer"]}" role="contentinfo"{look.data["footer"]}>'
            f'<div class="{c["footer_cols"]}">{cols}</div>'
            f'<p class="{c["footer_legal"]}">&copy; {look.brand}. {_sentence(rng, 8, 16)}</p></footer>\n')


def _state_script(holder: str, build: str, sections: list[_Section], related: list[_Story], most: list[_Story],
                  feed: str) -> str:
    """The hydration data a client-side app reads back (menu, cards, a feed of
    further stories), in a JSON script element or assigned to the global
    `holder` when that is not empty."""
    data = (f'{{"props":{{"pageProps":{{"navigation":[{",".join(s.json for s in sections)}],'
            f'"related":[{",".join(s.json for s in related)}],"mostRead":[{",".join(s.json for s in most)}],'
            f'"feed":[{feed}]}}}},"page":"/[section]/[slug]","buildId":"{build}"}}')
    if holder:
        return f"<script>window.{holder}={data};</script>\n"
    return f'<script id="app-state" type="application/json">{data}</script>\n'


# ---------------------------------------------------------------- dress

_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_START = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_VIEWPORT = re.compile(r"""name=["']?viewport""", re.IGNORECASE)

_MEDIAN_KB, _SIGMA, _MIN_KB, _MAX_KB = 120, 0.3, 60, 250


def dress(html: str, rng: random.Random, *, target_kb: int | None = None) -> str:
    """`html` (a complete page from render_article_page) with the furniture of
    a real news site added around the article:

    - into <head>: extra <meta> tags (viewport unless there is one,
      theme-color, twitter:card, robots...), preconnect and preload <link>s,
      an inline <style> of a few hundred rules, a site-config script (JSON or
      a global), an inline analytics / ad-setup script and script bundles;
    - right after <body ...>: an SVG sprite (display:none), a cookie-consent
      banner, a top bar, an ad slot and a mega-menu <nav> of 20-30 sections
      with 5-10 links each;
    - just before </body>: a related-stories section of 8-16 cards (an <img>,
      a <h3> headline - <h2> on some sites whose cards are <article>s - and a
      one-sentence teaser <p>), a most-read <ol>, ad slots, a footer of 4-6
      link columns, and the hydration JSON of all that plus a story feed.

    The page's own markup, the article included, is left exactly as it was.
    Everything is drawn from `rng`, so the same seed dresses the same page
    the same way. The size is `target_kb` when given, else drawn per page
    (log-normal, median 120 KB, within 60-250 KB), and is hit to within one
    story record (about 0.5 KB); sizes are UTF-8 bytes, 1 KB = 1024 bytes.
    Richer pages get more sections, links and cards. No page gets smaller
    than its least furniture (60-90 KB in all, typically 75 KB), whatever
    `target_kb` says.

    Raises ValueError for a page without <body> and </body>."""
    body_start = _BODY_START.search(html)
    ends = list(_BODY_END.finditer(html, body_start.end())) if body_start else []
    if body_start is None or not ends:
        raise ValueError("not a complete page: no <body> ... </body>")
    body_end = ends[-1]
    head_end = _HEAD_END.search(html, 0, body_start.start())
    head_at = head_end.start() if head_end else body_start.start()

    if target_kb is None:
        kb = math.exp(rng.gauss(math.log(_MEDIAN_KB), _SIGMA))
        while not _MIN_KB <= kb <= _MAX_KB:
            kb = math.exp(rng.gauss(math.log(_MEDIAN_KB), _SIGMA))
    else:
        kb = float(target_kb)
    target = int(kb * 1024)
    richness = min(max((kb - _MIN_KB) / (_MAX_KB - _MIN_KB), 0.0), 1.0)

    look = _look(rng)
    sections = rng.sample(_SECTIONS, k=_count(rng, 20, 30, richness))
    related = rng.sample(_STORIES, k=_count(rng, 8, 16, richness))
    most = rng.sample(_STORIES, k=_count(rng, 5, 10, richness))
    columns = rng.sample(_SECTIONS, k=_count(rng, 4, 6, richness))

    meta = _head_tags(look, rng, bool(_VIEWPORT.search(html, 0, head_at)))
    top = (_cookie_banner(look, rng) + _top_bar(look, rng) + _ad_slot(look, rng, "top")
           + _mega_menu(look, rng, sections, richness))
    bottom = [_related(look, rng, related), _ad_slot(look, rng, "mid")]
    bottom.insert(rng.randrange(len(bottom) + 1), _most_read(look, rng, most))
    bottom += [_ad_slot(look, rng, f"bottom{i}") for i in range(rng.randint(0, 3))]
    bottom.append(_footer(look, rng, columns, richness))
    page_bytes = len(html.encode("utf-8"))
    fixed = page_bytes + len(meta) + len(top) + sum(map(len, bottom))
    holder, build = rng.choice(("",) + _STATE_GLOBALS), _token(rng, 21, _B62)
    state_skeleton = len(_state_script(holder, build, sections, related, most, ""))

    # What is left goes to the stylesheet, the head scripts and the sprite;
    # the hydration feed then takes up the rest, to within one story.
    left = max(target - fixed - state_skeleton, 0)
    css = _stylesheet(look, rng, int(left * rng.uniform(0.3, 0.45)))
    scripts = _head_scripts(look, rng, int(left * rng.uniform(0.12, 0.25)))
    sprite = _sprite(rng, int(left * rng.uniform(0.04, 0.12)))
    used = fixed + len(css) + len(scripts) + len(sprite) + state_skeleton
    state = _state_script(holder, build, sections, related, most, _FEED.take(rng, target - used))

    return "".join((html[:head_at], meta, css, scripts, html[head_at:body_start.end()], "\n", sprite, top,
                    html[body_start.end():body_end.start()], "".join(bottom), state, html[body_end.start():]))
