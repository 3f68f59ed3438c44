"""Markup no page needs, refused before it is parsed.

Some markup costs far more to parse and extract than its size says: one
`<p>` with 80,000 attributes (871 KB) took 147 s, and the time grows with the
square of the count (libxml2 checks each attribute against the ones before
it); 100,000 paragraphs took 33 s. Nesting deeper than 256 levels costs
nothing, but libxml2 stops parsing there and the rest of the page is lost
without a word. `check_markup` refuses such pages, with the reason
`pathological_markup`, before the parser sees them.

It is a scan of the decoded text, not a parser. Most pages cost a count of
their `<` and one pass of a regular expression in C, which bound the
counts from above: the number of `<` bounds the elements, and only a tag
longer than two characters an attribute can hold that many attributes. A
page over a bound is then walked tag by tag (comments, scripts and styles
skipped, void elements and the end tags HTML leaves out counted as a
parser counts them) before it is refused. Nesting, which costs the parser
nothing, the extraction leaves to the parser: it says when it stopped at
its limit (`check_parsed_depth`). `check_markup` checks it beforehand too,
from how far start tags outnumber end tags, for a caller that does not
parse. Markup built to slip past the scan (an attribute hiding behind a
quoted `>`) still meets the extraction's time limit.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate, repeat

from lxml import etree

from crawler.ingest.records import Rejected


@dataclass(frozen=True)
class MarkupLimits:
    """The most markup a page may hold. Measured on the 990 real pages of the
    development corpus (news, blogs, magazines; up to 1.6 MB): at most
    10,126 elements (median 720), 38 attributes on one element (median 8)
    and 42 levels of nesting (median 16)."""

    # Extraction time grows faster than the page past this: 50,000 paragraphs
    # took 8 s, 100,000 took 33 s.
    max_elements: int = 50_000
    # On one element. libxml2's duplicate check is quadratic: 10,000 took
    # 0.9 s to extract, 20,000 took 3.7 s, 80,000 took 147 s.
    max_attributes: int = 1_000
    # libxml2's own limit (PARSER_MAX_DEPTH): it stops parsing at this depth.
    max_depth: int = 256


def check_markup(html: str, limits: MarkupLimits = MarkupLimits(), *, nesting: bool = True) -> None:
    """Raises Rejected("pathological_markup", detail) when `html` holds more
    elements, more attributes on one element, or deeper nesting than
    `limits`; the detail says which and how many. Returns None otherwise,
    and raises nothing else whatever the text. `nesting=False` leaves the
    nesting to `check_parsed_depth` after the parse (at the parser's own
    limit; a lower one is still checked here)."""
    tags = None
    if html.count("<") > limits.max_elements:  # else there are not that many tags
        tags = _TAG.findall(html)  # "/" for an end tag, else the element's name
        if len(tags) - tags.count("/") > limits.max_elements:
            _refuse(html, limits)
    if nesting or limits.max_depth < PARSER_MAX_DEPTH:
        if _depth_bound(tags if tags is not None else _TAG.findall(html)) > limits.max_depth:
            _refuse(html, limits)
    for match in _long_tag(2 * limits.max_attributes).finditer(html):
        name, count = _attributes(html, match.start(), limits.max_attributes)
        if count > limits.max_attributes and not _in_raw_text(html, match.start()):
            raise Rejected("pathological_markup", f"a <{name}> element with more than {limits.max_attributes} "
                                                  "attributes")


def check_parsed_depth(html: str, parser: etree.HTMLParser, limits: MarkupLimits = MarkupLimits()) -> None:
    """After `parser` parsed `html`: Rejected("pathological_markup") when
    it stopped at its nesting limit (and dropped what lies deeper), as
    `check_markup` would have refused it."""
    if any(error.type == _DEPTH_ERROR and "depth" in error.message for error in parser.error_log):
        _refuse(html, limits)
        # The walk repairs markup less than the parser does: the parser's word stands.
        raise Rejected("pathological_markup", f"elements nested more than {limits.max_depth} deep, the limit is "
                                              f"{limits.max_depth} (the parser would drop what lies deeper)")


def _refuse(html: str, limits: MarkupLimits) -> None:
    """Walks a page over a bound, and refuses it when it is over a limit."""
    elements, depth = _walk(html)
    if elements > limits.max_elements:
        raise Rejected("pathological_markup", f"{elements} elements, the limit is {limits.max_elements}")
    if depth > limits.max_depth:
        raise Rejected("pathological_markup", f"elements nested {depth} deep, the limit is {limits.max_depth} "
                                              "(the parser would drop what lies deeper)")


# libxml2 stops parsing deeper than this, with this error.
PARSER_MAX_DEPTH = 256
_DEPTH_ERROR = etree.ErrorTypes.ERR_RESOURCE_LIMIT
_TAG = re.compile(r"<(/|[A-Za-z][A-Za-z0-9]*)")
_VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
         "wbr", "basefont", "frame", "keygen")
# An end tag takes a level off, a void element none, any other start tag adds one.
_LEVELS = {"/": -1, **{v: 0 for v in _VOID}, **{v.upper(): 0 for v in _VOID}}


def _depth_bound(tags: list[str]) -> int:
    """How far (start tags - end tags) ranges over the page, void elements
    left out: never less than its nesting."""
    levels = list(accumulate(map(_LEVELS.get, tags, repeat(1)), initial=0))
    return max(levels) - min(levels)


# Elements whose text is not markup, and what they end with.
_RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes")
_RAW_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in _RAW_TEXT}
# A start tag closes an open element of these names first, as the parser does.
_CLOSES = {"p": ("p",), "li": ("li", "p"), "dt": ("dt", "dd", "p"), "dd": ("dt", "dd", "p"),
           "tr": ("tr", "td", "th"), "td": ("td", "th"), "th": ("td", "th"), "option": ("option",)}
_TOKEN = re.compile(r"<!--|<(/?)([A-Za-z][A-Za-z0-9:-]*)([^<>]*)")


def _walk(html: str) -> tuple[int, int]:
    """(elements, deepest nesting), tag by tag: comments and the text of
    scripts and styles skipped, end tags closing what they name (and what
    is open inside it), void and self-closed elements not nested."""
    elements = deepest = pos = 0
    stack: list[str] = []
    open_names: Counter[str] = Counter()  # how many of each name `stack` holds: an end tag's lookup in O(1)
    while (token := _TOKEN.search(html, pos)) is not None:
        pos = token.end()
        closing, name, rest = token.groups()
        if name is None:  # a comment
            end = html.find("-->", pos)
            pos = len(html) if end < 0 else end + 3
            continue
        name = name.lower()
        if closing:
            if open_names[name]:
                while (top := stack.pop()) != name:
                    open_names[top] -= 1
                open_names[name] -= 1
            continue
        elements += 1
        if name in _RAW_END:
            end = _RAW_END[name].search(html, pos)
            pos = len(html) if end is None else end.end()
            continue
        if name in _VOID or rest.rstrip().endswith("/"):
            continue
        while stack and stack[-1] in _CLOSES.get(name, ()):
            open_names[stack.pop()] -= 1
        stack.append(name)
        open_names[name] += 1
        deepest = max(deepest, len(stack))
    return elements, deepest


@functools.cache
def _long_tag(length: int) -> re.Pattern[str]:
    # A start tag and at least `length` more characters before the next "<":
    # no shorter tag can hold length / 2 attributes (a space and a letter each).
    return re.compile(rf"<[A-Za-z][^<]{{{length}}}")


def _in_raw_text(html: str, pos: int) -> bool:
    """Whether `pos` lies inside a comment, a script or a style."""
    if html.rfind("<!--", 0, pos) > html.rfind("-->", 0, pos):
        return True
    for name in ("script", "style", "SCRIPT", "STYLE"):
        start = html.rfind(f"<{name}", 0, pos)
        if start >= 0 and html.rfind(f"</{name}", start, pos) < 0:
            return True
    return False


_NAME = re.compile(r"<([A-Za-z][^\s/>]*)")
_ATTRIBUTE = re.compile(r"""[\s/]*([^\s"'>/=][^\s"'>/=]*)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]*))?""")


def _attributes(html: str, start: int, limit: int) -> tuple[str, int]:
    """The name of the tag at `start` and how many attributes it holds, up
    to its `>` (quoted values read whole); counting stops past `limit`."""
    name = _NAME.match(html, start)
    pos, count = name.end(), 0
    while count <= limit and (attribute := _ATTRIBUTE.match(html, pos)) is not None and attribute.end() > pos:
        count += 1
        pos = attribute.end()
    return name.group(1).lower(), count
