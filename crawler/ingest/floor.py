"""The floor of extraction: trafilatura's own text, less only what a
cleaning step can show is furniture.

trafilatura reads the page as it is (after `boilerplate.prepare_tree`, which
removes no visible text). Our cleaning then runs on the same page and
records each step's removal (`boilerplate.Removals`). A line of
trafilatura's text is dropped only when

- it was inside what a step removed (the whole text of one of the removed
  blocks, or, for a line of 40 characters or more, a part of it), and
- it is nowhere in what the cleaning left, and
- the step's rule, over the whole page, accounts for at most half of
  trafilatura's text. A rule that would take most of the text has met the
  article itself (a theme that calls every block a "widget", an article
  body inside a "share" wrapper): its removals are ignored on that page.
  Two rules prove what they remove by the page's structure rather than by
  names, and may take more: the later articles of an infinite-scroll page
  (each opens with a heading of the headline's own kind), a thread under
  a comments heading ("Comments (12)"), and a box of links under a
  related-links heading apart from the article ("More from …"); but never
  so much that less than `min_kept` characters remain.

So the cleaning can only subtract named furniture from what trafilatura
found; it can never lose the article that trafilatura read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

from crawler.ingest.removals import Removals

# Lines shorter than this are matched only against whole blocks: a short
# line ("Share", a name) found inside a longer text proves nothing.
_MIN_PART = 40
# A removed block this long, found inside a longer line, means trafilatura
# ran blocks together.
_MIN_MIXED = 15
# The cleaned page's text stands in for the floor's only when it holds this
# share of what the floor expects.
_MIN_AGREEING = 0.8
# Above this share of trafilatura's text, a rule has met the article.
MAX_RULE_SHARE = 0.5
# Rules whose removals the page's structure proves (see the module docstring).
STRUCTURAL_RULES = frozenset({"later article", "comment thread", "related box"})


@dataclass
class Floor:
    """The lines kept, and what was decided: the lines dropped with the rule
    that dropped each, and the rules ignored because they would have taken
    most of the text (with the share they would have taken)."""

    lines: list[str]
    dropped: list[tuple[str, str]] = field(default_factory=list)
    overruled: dict[str, float] = field(default_factory=dict)
    # Kept lines that hold a removed block inside longer text: trafilatura
    # ran blocks together (its fallback reads a short page as one run of
    # text), so line by line the floor cannot take the furniture out.
    mixed: list[str] = field(default_factory=list)
    # Characters of text the floor expects an article to keep: its kept
    # lines, less the removed blocks inside the mixed ones.
    expected: int = 0
    # The share of trafilatura's text that the structural rules found to be
    # other articles or comments (over half: trafilatura read the wrong part).
    structural: float = 0.0


def _collapsed(text: str) -> str:
    return " ".join(text.split())


# The texts and tails of every element under one, in one call in C: a walk
# over the elements in Python made a proxy object of each, and the floor
# walks everything the cleaning removed (mega-menus included).
_TEXTS_UNDER = etree.XPath("descendant::text()", smart_strings=False)


def _texts_under(el: HtmlElement) -> list[str]:
    """The text of `el` and the texts and tails of the elements inside it
    (not its own tail), as `el.iter()` holds them."""
    return _TEXTS_UNDER(el)


def _key(text: str) -> str:
    """Text without any whitespace, for matching: an element's text_content()
    runs its children's texts together ("TrendingWhy…") where trafilatura puts
    a space, and the reverse."""
    return "".join(text.split())


class _Remaining:
    """What the cleaning left on the page, to ask whether a line is still
    there: a long line anywhere in its text, a short one as the whole text
    of an element (a short line is found inside longer text by chance: the
    word "World" in "World Bank")."""

    def __init__(self, left: HtmlElement):
        self.left = left
        self._text: str | None = None
        self._pieces: set[str] | None = None

    def holds(self, line: str) -> bool:
        """Whether the page still holds `line` (given as its `_key`)."""
        if len(line) >= _MIN_PART:
            if self._text is None:
                self._text = _key(self.left.text_content())
            return line in self._text
        if self._pieces is None:
            # Own texts and tails only: a block's whole text would need a
            # text_content() of every element (2.6 ms a page).
            pieces = _texts_under(self.left) + [self.left.tail or ""]
            self._pieces = {_key(piece) for piece in pieces if piece}
        return line in self._pieces


def apply_floor(text: str, removals: Removals, left: HtmlElement, *, min_kept: int,
                max_share: float = MAX_RULE_SHARE) -> Floor:
    """The lines of `text` (trafilatura's, on the uncleaned page) that
    survive the removals recorded in `removals`; `left` is the cleaned page
    (what no step removed). Never raises; empty text gives no lines."""
    lines = [line for line in map(_collapsed, text.splitlines()) if line]
    if not lines or not removals.items:
        return Floor(lines)
    keys = [_key(line) for line in lines]
    short = {key for key in keys if len(key) < 2 * _MIN_PART}
    whole: dict[str, int] = {}  # a line's key -> the first removal that held it as a whole block
    parts: list[tuple[str, int]] = []
    for index, (_, removed_text, element) in enumerate(removals.items):
        key = _key(removed_text)
        whole.setdefault(key, index)
        parts.append((key, index))
        if element is not None:
            # The short blocks of what was removed, by the texts of its
            # elements and their tails: a short line is matched whole, and
            # a text_content() of every block cost more than the rest of the
            # floor together. Only the keys of short lines are looked up.
            for piece in _texts_under(element):
                if len(piece) < 2 * _MIN_PART and (piece_key := "".join(piece.split())) in short:
                    whole.setdefault(piece_key, index)
    remaining = _Remaining(left)
    step_of: list[int | None] = []
    for key in keys:
        step = whole.get(key)
        if step is None and len(key) >= _MIN_PART:
            step = next((i for blob, i in parts if key in blob), None)
        if step is not None and remaining.holds(key):
            step = None  # still on the page: something else holds it
        step_of.append(step)
    total = sum(map(len, lines))
    by_rule: dict[str, int] = {}
    for line, step in zip(lines, step_of):
        if step is not None:
            rule = removals.items[step][0]
            by_rule[rule] = by_rule.get(rule, 0) + len(line)
    overruled = {rule: chars / total for rule, chars in by_rule.items()
                 if chars > max_share * total and rule not in STRUCTURAL_RULES}
    if total - sum(chars for rule, chars in by_rule.items() if rule not in overruled) < min_kept:
        overruled.update({rule: by_rule[rule] / total for rule in STRUCTURAL_RULES if rule in by_rule})
    floor = Floor([], overruled=overruled,
                  structural=sum(by_rule.get(rule, 0) for rule in STRUCTURAL_RULES) / total)
    blocks = [blob for blob, i in parts if len(blob) >= _MIN_MIXED and removals.items[i][0] not in overruled]
    for line, key, step in zip(lines, keys, step_of):
        if step is None or removals.items[step][0] in overruled:
            floor.lines.append(line)
            inside = [blob for blob in blocks if blob in key and blob != key] if len(key) > _MIN_PART + _MIN_MIXED else []
            if inside:
                floor.mixed.append(line)
            floor.expected += max(0, len(key) - sum(map(len, inside)))
        else:
            floor.dropped.append((removals.items[step][0], line))
    return floor


def agrees(cleaned: str, floor: Floor, read: str) -> list[str] | None:
    """The lines of `cleaned` (trafilatura's text of the cleaned page) when
    they can stand in for the floor's: each is part of trafilatura's text
    of the whole page (`read`), every kept line of the floor that is not
    mixed is in them, and they hold most of the text the floor expects.
    None when they cannot: the cleaning lost something trafilatura had read."""
    lines = [line for line in map(_collapsed, cleaned.splitlines()) if line]
    whole, text = _key(read), _key(cleaned)
    if not lines or not all(_key(line) in whole for line in lines) or len(text) < _MIN_AGREEING * floor.expected:
        return None
    mixed = set(floor.mixed)
    if not all(_key(line) in text for line in floor.lines if line not in mixed):
        return None
    return lines

