"""The links of a page and the feeds it announces, read without parsing it,
and no more links than a cap.

A parser builds the whole page before the first link comes out: on a
9.8 MB page of 330,000 links Scrapy's LinkExtractor held the reactor's
thread for 15 s and took 600 MB, and the crawl then queued a request for
every link. Here the start tags of `<a>`, `<area>` and `<link>` are found by
regular expressions that run in C and never look back, so the time is
linear in the page whatever its markup (one element with 80,000 attributes
costs a parser minutes, this scan milliseconds), and only the first `cap`
links are resolved; the others are counted.

What a parser would skip is skipped: comments, and the text of scripts,
styles, text areas and titles. A quoted attribute value is read whole (a `>` inside it does not end
the tag) and its character references decoded. The rules are
LinkExtractor's: a URL is resolved against the page's `<base href>` when it
has one, else against the page's own URL; links to files that are no pages
(images, archives, documents: Scrapy's IGNORED_EXTENSIONS) are left out;
each URL is taken once.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import urljoin, urlparse

from scrapy.http import TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.response import get_base_url
from scrapy.utils.url import url_has_any_extension
from w3lib.html import strip_html5_whitespace
from w3lib.url import safe_url_string

# A comment, or the text of a script, a style or another element whose text
# is not markup (to the end of the page when it is not closed, as a parser
# reads it), or the start of an <a>, <area> or <link> tag with its
# attributes. An attribute area stops at the next "<" or ">" outside quotes:
# no match scans past the next tag, so one pass over the page is linear
# whatever it holds. Every branch starts with "<", written once, so the
# engine skips to the next "<" in C.
_RAW_TEXT = "script|style|textarea|title|xmp"
_TAGS = re.compile(rf"""<(?:!--.*?(?:-->|\Z)|({_RAW_TEXT})(?=[\s/>]).*?(?:</\1(?=[\s/>])|\Z)"""
                   r"""|(a|area|link)(?=[\s/>])((?:[^<>"']+|"[^"<]*"|'[^'<]*')*))""", re.S | re.I)
# The same scan, to count the links over the cap in C: a link with an href
# gives "a" or "area", every other match "".
_LINKS_TO_COUNT = re.compile(rf"""<(?:!--.*?(?:-->|\Z)|(?:{_RAW_TEXT})(?=[\s/>]).*?(?:</(?:{_RAW_TEXT})(?=[\s/>])|\Z)"""
                             r"""|(a|area)(?=[\s/>])(?:[^<>"']+|"[^"<]*"|'[^'<]*')*?\shref)""", re.S | re.I)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
# A character reference closed by ";". In an attribute a parser leaves
# "&sect" of "?a=1&sectionId=2" alone, which html.unescape would not.
_REFERENCE = re.compile(r"&#?[A-Za-z0-9]+;")
_SCHEMES = ("http", "https", "file")
_IGNORED = frozenset(f".{e}" for e in IGNORED_EXTENSIONS)


@dataclass
class PageLinks:
    """What `page_links` found: `urls` in page order, each once, at most the
    cap; `over_cap` the `<a href>` and `<area href>` tags after the cap was
    reached (counted as they stand, not resolved nor deduplicated)."""

    urls: list[str] = field(default_factory=list)
    over_cap: int = 0


def page_links(response: TextResponse, cap: int) -> PageLinks:
    """The URLs of the `<a href>` and `<area href>` of an HTML page, as
    Scrapy's LinkExtractor would give them (see the module docstring), at
    most `cap`. Never raises for bad markup: what cannot be read is no link."""
    found = PageLinks()
    seen: set[str] = set()
    base = get_base_url(response)
    encoding, text = response.encoding, response.text
    for match in _TAGS.finditer(text):
        if match.group(2) is None or match.group(2).lower() == "link":
            continue
        href = _attributes(match.group(3)).get("href")
        url = None if href is None else _absolute(base, href, encoding)
        if url is None or url in seen:
            continue
        if len(found.urls) == cap:
            counted = _LINKS_TO_COUNT.findall(text, match.end())
            found.over_cap = 1 + len(counted) - counted.count("")
            break
        seen.add(url)
        found.urls.append(url)
    return found


def announced_feeds(response: TextResponse) -> Iterator[tuple[str, str, str]]:
    """(href, type, title) of each `<link rel="alternate">` of an HTML page,
    href as written; the caller decides which are feeds."""
    for _, attributes in _start_tags(response.text, ("link",)):
        values = _attributes(attributes)
        if "alternate" in values.get("rel", "").lower().split():
            yield values.get("href", ""), values.get("type", ""), values.get("title", "")


def _start_tags(text: str, names: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(name, attribute text) of each start tag named `names`, outside
    comments, scripts and styles."""
    for match in _TAGS.finditer(text):
        name = match.group(2)
        if name is not None and name.lower() in names:
            yield name.lower(), match.group(3)


def _attributes(text: str) -> dict[str, str]:
    """An attribute text as names (lower case) and decoded values; the first
    of two attributes of one name counts, as in a parser."""
    values: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        if name not in values:
            raw = next((v for v in match.group(2, 3, 4) if v is not None), "")
            values[name] = _REFERENCE.sub(_decoded, raw)
    return values


def _decoded(reference: re.Match) -> str:
    return html.unescape(reference.group())


def _absolute(base: str, href: str, encoding: str) -> str | None:
    try:
        url = safe_url_string(urljoin(base, strip_html5_whitespace(href)), encoding=encoding)
        parsed = urlparse(url)
        if parsed.scheme not in _SCHEMES or url_has_any_extension(parsed, _IGNORED):
            return None
    except ValueError:  # a port or an IPv6 host that cannot be read
        return None
    return url
