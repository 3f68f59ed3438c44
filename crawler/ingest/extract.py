"""A fetched Page becomes an Article: main text and metadata, or a Rejected
with a stable reason code.

    article = extract(page)            # raises Rejected(reason, detail)

Reasons: http_status, empty_body, too_large, not_html, undecodable,
pathological_markup, no_article, too_short. The path is: check the response, decode the bytes
(crawler.ingest.decode), parse once, read the metadata from the whole page,
let trafilatura read the page as it is, clean the page recording what each
step removes (crawler.ingest.boilerplate), keep trafilatura's text less what
a step can show is furniture (crawler.ingest.floor), clean the text lines,
take out what the site is known to repeat (crawler.ingest.sitelines), check
the length. Pure: no I/O and no state kept between calls, so it runs in a
process pool.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Callable, Iterator
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from trafilatura.deduplication import LRUCache
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import DEFAULT_CONFIG, MANUALLY_CLEANED, Document as PageMetadata, set_date_params
from trafilatura.utils import DOCTYPE_TAG, is_dubious_html, remove_control_characters, repair_faulty_html

from crawler.ingest.boilerplate import card_headings, clean_tree, longer_than, marked_attributions, prepare_tree
from crawler.ingest.lines import clean_text, dense_chars, is_label, normalize_line, text_length
from crawler.ingest.removals import Removals
from crawler.ingest.decode import decode_html
from crawler.ingest.floor import MAX_RULE_SHARE, STRUCTURAL_RULES, Floor, agrees, apply_floor
from crawler.ingest.markup import check_markup, check_parsed_depth
from crawler.ingest.records import Article, Page, Rejected
from crawler.ingest.sitelines import candidate_keys, drop_site_furniture

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExtractConfig:
    """How a page is turned into an article.

    trafilatura reads the page with `favor_recall` (and always with
    `include_comments=False`: reader comments are not the article): its text
    is the floor our cleaning subtracts furniture from, so it should miss as
    little of the article as it can, at a cost a crawl can pay. Measured with
    `.venv/bin/python bench/realpages.py` on the 990 real pages (scored as
    trafilatura's evaluation scores them), the whole extraction with each
    setting, and its CPU a page against bare trafilatura with its defaults:

      setting                   precision  recall   F1     CPU
      balanced (its default)      0.948    0.928   0.938   1.6x
      favor_recall                0.946    0.928   0.937   1.2x   <- chosen
      fast + favor_recall         0.943    0.922   0.933   1.2x
      fast                        0.948    0.918   0.933   1.5x
      fast + favor_precision      0.942    0.824   0.879   (the cleaning before trafilatura, an earlier release)

    favor_recall is as good as the default and costs a third less: it skips
    the comparison with readability and jusText on most pages, where the
    default runs it on all. `deduplicate` adds nothing over our own line
    dedup.
    """

    # Cleaned text shorter than this is `too_short`. Counted in characters, a
    # Chinese or Japanese character counting 3 and a Hangul syllable 2: about
    # as much text as that many Latin letters.
    min_text_length: int = 250
    # A page that names its source ("Continue reading at …", "Via …") is a
    # republished copy: kept down to this length, so that a one-paragraph
    # excerpt of a short story still joins its original's cluster (the
    # ingest path also wants the dozen words the dedup needs to match an
    # excerpt: `DedupConfig.min_excerpt_shingles`).
    min_attributed_length: int = 80
    # A page trafilatura reads at the full minimum is an article: kept down
    # to this length when the cleaning took its furniture.
    min_cleaned_length: int = 100
    max_bytes: int = 10 * 1024 * 1024  # bodies above this are `too_large` (10 MB)
    favor_precision: bool = False
    favor_recall: bool = True
    fast: bool = False  # skip trafilatura's comparison with readability and jusText
    deduplicate: bool = False  # trafilatura's segment dedup, with a cache scoped to one page
    # htmldate's extensive search runs dateparser over free text: seconds per
    # page (5.5 s measured on a seed page), for dates that meta tags, JSON-LD,
    # <time> and URLs already give on news sites.
    extensive_date_search: bool = False
    clean_boilerplate: bool = True  # our page and line cleaning; False = trafilatura alone


_HTML_TYPES = {"text/html", "application/xhtml+xml"}
# Content types that say nothing: the bytes decide (as browsers sniff them).
_UNSAID_TYPES = {"", "application/octet-stream", "unknown/unknown", "application/unknown", "*/*"}
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body|title|meta|p|div|article|h1)\b", re.IGNORECASE)
_SNIFF_BYTES = 2048


@dataclass
class Trace:
    """What extraction did to one page, for `wirecrawl extract --explain`:
    how long trafilatura's text was, each line taken out of it with the rule
    that took it (`removed`: page steps such as "class share" or "later
    article", then text rules such as "furniture line"), the page steps
    the floor overruled because they would have taken most of the text
    (rule -> share of the text), and the characters each page step removed
    from the whole page (`page_steps`, trafilatura's text or not)."""

    trafilatura_chars: int = 0
    removed: list[tuple[str, str]] = field(default_factory=list)
    overruled: dict[str, float] = field(default_factory=dict)
    page_steps: dict[str, int] = field(default_factory=dict)


def extract(page: Page, config: ExtractConfig = ExtractConfig(), trace: Trace | None = None,
            site_furniture: frozenset[int] = frozenset()) -> Article:
    """The article on `page`: cleaned main text (paragraphs separated by
    newlines), title, author, publication date (ISO 8601), language, site
    name, canonical URL (absolute), tags and the attribution line of a
    republished copy. `site_furniture` holds the keys of the lines the
    page's site is known to repeat on every page (crawler.ingest.sitelines):
    they are taken out too.

    Raises `Rejected` with reason `http_status` (not 2xx), `empty_body`,
    `too_large` (over `config.max_bytes`), `not_html` (content type other than
    HTML/XHTML; no content type is fine when the bytes look like HTML),
    `undecodable`, `pathological_markup` (more elements, attributes on one
    element or nesting than `crawler.ingest.markup.MarkupLimits`, refused
    before parsing), `no_article` (no main text found) or `too_short` (less than
    `config.min_text_length` characters, or `config.min_attributed_length`
    for a page that names its source). `trace`, if given, is filled in as
    the page goes (also when it is rejected)."""
    _check_response(page, config)
    html = decode_html(page.body, page.headers)
    check_markup(html, nesting=False)  # before the parser meets it
    tree = parse_html(html)
    if tree is None:
        raise Rejected("no_article", "the body does not parse as an HTML document")
    check_parsed_depth(html, _PARSER)  # it stopped at its limit: the rest of the page is lost
    base = page.final_url or page.url
    page_tags = _PageTags(tree)
    meta = _declared_metadata(tree, base)
    title = _title(tree, page_tags.title, meta.title or _undeclared_title(tree, page_tags.title))
    fields = dict(
        url=page.url, final_url=page.final_url, title=title, author=meta.author,
        published=_published(tree, page_tags, base, config), language=_language(tree, page_tags, page.headers),
        sitename=meta.sitename, canonical_url=_canonical_url(page_tags, base), tags=_tags(tree, page_tags, meta.tags),
    )

    def read_byline(article: HtmlElement) -> None:
        # Only where the page declares no author, and only within the article:
        # trafilatura's byline search copies and scans what it is given.
        if fields["author"] is None:
            fields["author"] = extract_author(article)

    explain = trace is not None
    trace = trace if explain else Trace()
    if not config.clean_boilerplate:
        read_byline(tree)
        text = read = _main_text(tree, base, config)
        attributions, keys = [], ()
    else:
        page_text = _PageText(tree, base, config, [title, meta.title, page_tags.title],
                              _site_names(meta.sitename, base), trace, explain)
        text, attributions, read = page_text.read(read_byline, page_tags)
        lines = text.splitlines()
        keys = candidate_keys(lines)
        learned = drop_site_furniture(lines, site_furniture)
        trace.removed += [("site furniture", line) for line in learned.dropped]
        text = "\n".join(learned.kept)
    # In composed form (NFC), as trafilatura's own `extract` returns its text:
    # a page written in decomposed characters ("u" + combining diaeresis)
    # otherwise gives a text that neither searches nor compares like others.
    text = unicodedata.normalize("NFC", text)
    if not text:
        raise Rejected("no_article", "no main text found on the page")
    if config.clean_boilerplate and not attributions and not page_tags.declares_article() \
            and len((title or "").split()) <= _SECTION_NAME_WORDS:
        _check_not_a_list(text, tree, base, config)
    _check_length(text, attributions, read, config, lambda: _link_texts(tree))
    return Article(text=text, attribution="; ".join(dict.fromkeys(attributions)) or None, line_keys=keys, **fields)


class _PageText:
    """The text of one page as the floor allows it (crawler.ingest.floor):
    trafilatura reads the page, the cleaning records what it removes, and
    the text keeps what trafilatura read less what a rule can show is
    furniture; then the text-level rules (boilerplate.clean_text)."""

    def __init__(self, tree: HtmlElement, base: str, config: ExtractConfig, titles: list[str | None],
                 site_names: list[str], trace: Trace, explain: bool = True):
        self.tree, self.base, self.config = tree, base, config
        self.titles, self.site_names, self.trace = titles, site_names, trace
        self.explain = explain  # fill in what only an explanation reads
        self.read_other_stories = False  # trafilatura read only other stories: the text is the cleaned page's

    def read(self, on_article: Callable[[HtmlElement], None], page_tags: "_PageTags") -> tuple[str, list[str], str]:
        """(text, attribution lines, trafilatura's own text). Rejected
        ("no_article") for a list of stories."""
        tree, config = self.tree, self.config
        headline = prepare_tree(tree, self.titles, self.site_names)
        read = whole_read = _main_text(tree, self.base, config)  # on a copy: the tree is ours to clean next
        if (box := _run_together(read, tree)) is not None:
            # A short article's whole box in one line (trafilatura's last resort for a text under
            # its minimum): read again with the short-text minimum, which keeps its blocks apart.
            again = _main_text(tree, self.base, config, cleaned=True)
            lacking = _paragraphs_lacking(again, box, read)
            ran_together = lacking[0] if lacking and lacking[0] is _first_paragraph(box) else None
        removals = Removals()
        clean_tree(tree, headline, self.site_names, on_article=on_article, removals=removals)
        if box is not None and again and not (ran_together is not None and _attached(ran_together, tree)) \
                and not any(_attached(p, tree) and longer_than(p, _TEASER_CHARS) for p in lacking):
            # The second read holds the paragraph that was run together, and every paragraph of
            # the box that the cleaning kept but for teaser-sized ones (a "Read more" line, the
            # cards of other stories). The length check still weighs the box.
            read = again
        kept = apply_floor(read, removals, tree, min_kept=min(config.min_text_length, config.min_attributed_length))
        self.trace.trafilatura_chars = len(read)
        self.trace.overruled = {rule: round(share, 3) for rule, share in kept.overruled.items()}
        if self.explain:
            self.trace.page_steps = removals.by_rule()
        if "story cards" in kept.overruled and (headline is None or not headline.titled) \
                and not page_tags.declares_article():
            # The cards are the page: a front or section page lists stories, has no headline of its
            # own and does not say it is an article.
            raise Rejected("no_article", f"a list of stories: story cards are {kept.overruled['story cards']:.0%} "
                                         "of its text, no headline carries the page's title, and the page does "
                                         "not declare itself an article")
        kept.lines = self._better_read(kept, read)
        lead = _missing_lead(tree, page_tags, kept.lines, self.titles)
        if self.read_other_stories:
            # What trafilatura read was the related stories under a short article: the page's own
            # text is the cleaned page's, and the length check weighs that.
            whole_read = "\n".join(kept.lines)
        lines = Removals()
        text, attributions = clean_text("\n".join(kept.lines), titles=self.titles, site_names=self.site_names,
                                        removals=lines)
        if lead is not None and text:
            # Judged on its own by the same rules, and put first once the text's own opening
            # (its labels, its dateline) and end have been judged without it.
            lead, lead_attributions = clean_text(lead, titles=self.titles, site_names=self.site_names,
                                                 removals=lines)
            text, attributions = (f"{lead}\n{text}" if lead else text), lead_attributions + attributions
        self.trace.removed = kept.dropped + [(rule, line) for rule, line, _ in lines.items]
        return text, attributions + marked_attributions(tree), whole_read

    def _better_read(self, kept: Floor, read: str) -> list[str]:
        """The floor's lines, or trafilatura's text of the cleaned page where
        the page shows that reads the article better: when other articles or
        comments were most of trafilatura's text (and the cleaned page holds
        more than what is left), or when trafilatura ran blocks together
        (and the cleaned page keeps the same text)."""
        if kept.structural > MAX_RULE_SHARE:
            own = [line for line in self._cleaned().splitlines() if line.strip()]
            overruled = STRUCTURAL_RULES & kept.overruled.keys()
            left = 0 if overruled else text_length("".join(kept.lines))
            if text_length("".join(own)) >= max(left + 1, self.config.min_text_length):
                return own
            if self._own_short_text(own, kept):
                # All trafilatura read was other stories, and the page's own text is short (a
                # one-paragraph excerpt above a box of related stories): that text, for the length
                # check to judge, rather than the box stored as the article.
                self.read_other_stories = True
                return own
        elif kept.mixed:
            return agrees(self._cleaned(), kept, read) or kept.lines
        return kept.lines

    def _own_short_text(self, own: list[str], kept: Floor) -> bool:
        """Whether `own`, the cleaned page's text, is the page's own short
        text where trafilatura read only other stories: the rules that found
        those (a related box, a later article; not a comment thread, which
        a site may wrap around its article) took nearly all of it, and `own`
        holds a sentence."""
        return (kept.structural >= _ALL_FURNITURE and bool(_OTHER_STORIES & kept.overruled.keys())
                and "comment thread" not in kept.overruled and not all(is_label(line) for line in own))

    def _cleaned(self) -> str:
        return _main_text(self.tree, self.base, self.config, cleaned=True)


# A page's summary (its meta description) that is also the first paragraph
# of its article, set apart as a standfirst under the headline: trafilatura
# often leaves it out with the header it sits in. At least this long: a
# site's slogan or a one-line kicker is shorter.
_LEAD_MIN_CHARS = 80
_TRUNCATED = re.compile(r"\s*(?:\.\.\.|\u2026|\[\u2026\]|\[\.\.\.\])\s*$")
_LEAD_BLOCKS = frozenset({"p", "div", "h2", "h3", "h4", "header", "section", "span", "strong", "b", "em",
                          "blockquote", "summary"})
# Where a block is not the article's summary though it repeats the page's
# description: a picture's caption or credit, the site's own tagline.
_NOT_A_LEAD = re.compile(r"caption|credit|tagline|slogan|site-?desc|site-?title|branding|logo", re.IGNORECASE)
_TEXT_CONTAINING = etree.XPath("//body//text()[not(parent::script or parent::style or parent::noscript or "
                               "parent::template)][contains(normalize-space(translate(., "
                               "'\u00ad\u200b\u200c\u200d\u2060\ufeff', '')), $start)]")
# Text nodes looked at for the block that starts as the description: a
# standfirst is among the first; a comment quoting the description is not
# worth walking up from, thousands of times, on a long thread.
_LEAD_NODES = 5


def _printable(text: str) -> str:
    """`text` as trafilatura's text holds it: without the control and
    invisible characters (a soft hyphen, a zero-width space, a byte order
    mark) that it drops and an XPath variable refuses; whitespace collapsed."""
    return " ".join(remove_control_characters(text).split())


def _missing_lead(tree: HtmlElement, page_tags: "_PageTags", lines: list[str],
                  titles: list[str | None]) -> str | None:
    """The standfirst the text lacks: a block of the cleaned page whose text
    begins as the page's description does, placed after the headline and
    before the text's first line, when the text does not hold it already.
    None otherwise, and for a description that is the headline (many pages
    repeat it there), a caption or the site's tagline."""
    if not lines:
        return None
    text = _printable(" ".join(lines))
    headlines = {key for key in map(normalize_line, filter(None, titles)) if key}
    seen: set[str] = set()
    for description in (page_tags.meta_content("name", {"description"}, lower=True)
                        + page_tags.meta_content("property", {"og:description"})
                        + page_tags.meta_content("name", {"twitter:description"})):
        core = _TRUNCATED.sub("", _printable(description))
        if len(core) < _LEAD_MIN_CHARS or core in seen:
            continue
        seen.add(core)
        if core[:_LEAD_MIN_CHARS] in text:
            return None  # the text holds it (or its start) already
        block = _block_starting(tree, core)
        if block is None:
            continue
        lead = _printable(block.text_content())
        if not lead or lead[:_LEAD_MIN_CHARS] in text or not _between_headline_and_text(tree, block, lines[0]):
            continue
        key = normalize_line(lead)
        if block.tag == "h1" or next(block.iter("h1"), None) is not None \
                or next(block.iterancestors("h1"), None) is not None \
                or any(h.startswith(key) or key.startswith(h) for h in headlines):
            continue  # the headline (in a breadcrumb, say), which a description often repeats
        if any(el.tag in ("figure", "figcaption") or _NOT_A_LEAD.search(f"{el.get('class', '')} {el.get('id', '')}")
               for el in (block, *islice(block.iterancestors(), 3))):
            continue
        return lead
    return None


def _owner(node) -> HtmlElement | None:
    """The element whose text a text node is (for a tail: its parent's)."""
    el = node.getparent()
    return el.getparent() if el is not None and node.is_tail else el


def _block_starting(tree: HtmlElement, core: str) -> HtmlElement | None:
    """The innermost block whose text starts with `core` (its first
    `_LEAD_MIN_CHARS` characters) and is not much longer than it."""
    start = " ".join(core.split()[:6])
    for node in _TEXT_CONTAINING(tree, start=start)[:_LEAD_NODES]:
        el = _owner(node)
        while el is not None and el.tag not in _LEAD_BLOCKS:
            el = el.getparent()
        while el is not None:
            block = _printable(el.text_content())
            if len(block) > 2 * len(core) + 200:
                break
            if block.startswith(core[:_LEAD_MIN_CHARS]) or core.startswith(block[:_LEAD_MIN_CHARS]) \
                    and len(block) >= _LEAD_MIN_CHARS:
                return el
            el = el.getparent()
    return None


def _between_headline_and_text(tree: HtmlElement, block: HtmlElement, first_line: str) -> bool:
    """Whether `block` comes after the page's first <h1> (when it has one)
    and before the element where the text's first line starts (which must
    be found)."""
    start = " ".join(_printable(first_line).split()[:6])
    nodes = _TEXT_CONTAINING(tree, start=start) if start else []
    if not nodes:
        return False
    first = _owner(nodes[0])
    headline = next(tree.iter("h1"), None)
    for el in tree.iter():
        if el is headline:
            headline = None
        elif el is block:
            return headline is None
        elif el is first:
            return False
    return False


# The share of trafilatura's text that related stories, comments or later
# articles must make up for the page's own text to be read from the cleaned
# page whatever its length (`_PageText._better_read`).
_ALL_FURNITURE = 0.9
_OTHER_STORIES = frozenset({"related box", "later article"})


def _check_length(text: str, attributions: list[str], read: str, config: ExtractConfig,
                  link_texts: Callable[[], set[str]]) -> None:
    """Rejected("too_short") for a text under the minimum (the attributed
    minimum for a page that names its source); Rejected("no_article") when
    it is only labels, or a list of links whatever its length (an index
    page), or under the minimum and mostly links (a line of blurb over a
    list: a section page). A page whose own text trafilatura read at the
    full minimum is an article, though: the cleaning took its furniture
    (title lines, a cookie notice), and it is kept down to
    `config.min_cleaned_length`."""
    length = text_length(text)
    lines = text.splitlines()
    labels = all(is_label(line) for line in lines)
    if labels:
        links = link_texts()
        linked = sum(1 for line in lines if line.lstrip("-•* ") in links)
        if linked >= _LINK_LIST_SHARE * len(lines):
            raise Rejected("no_article", f"a list of {linked} links, not an article")
    minimum = min(config.min_text_length, config.min_attributed_length) if attributions else config.min_text_length
    if length >= minimum:
        return
    if length >= config.min_cleaned_length and text_length(read) >= config.min_text_length:
        return
    if labels:
        raise Rejected("no_article", f"only labels and menu items, no paragraph of text ({length} characters)")
    links = link_texts()
    linked = sum(1 for line in lines if line.lstrip("-•* ") in links)
    if linked >= _LINK_LIST_SHARE * len(lines):
        # A line of blurb over a list of links: a section or tag page, not a short article.
        raise Rejected("no_article", f"a list of {linked} links under {len(lines) - linked} line(s) of text, "
                                     "not an article")
    raise Rejected("too_short", f"{length} characters of text, the minimum is {minimum}")


def _check_not_a_list(text: str, tree: HtmlElement, base: str, config: ExtractConfig) -> None:
    """Rejected("no_article") for a tag, section or front page that the
    cleaning could not tell from an article (a heading that carries its
    title, "Climate" or the site's name, over cards it did not find as a
    rail): a text that is mostly the text of story cards (each a linked
    headline of another page of the site, not one below a story's address,
    with at most a teaser around it),
    of at least `_MIN_LIST_CARDS` of them, and that holds less than an
    article's minimum of text of its own. Asked only of a page whose title
    is a name (`_SECTION_NAME_WORDS` words at most), that does not declare
    itself an article and names no source: a roundup under a headline
    (venues, each a linked heading and a blurb) is an article."""
    lines = [key for line in text.splitlines() if (key := normalize_line(line))]
    if len(lines) < _MIN_LIST_CARDS:
        return
    body = tree.find(".//body")
    body = body if body is not None else tree
    host = urlsplit(base).hostname
    headings = [h for h in card_headings(body) if _links_within(h, base, host)]
    if len(headings) < _MIN_LIST_CARDS:
        return
    cards = []
    for heading in headings:
        card, limit = heading, text_length(heading.text_content()) + _CARD_TEASER_CHARS
        while (parent := card.getparent()) is not None and parent is not body and not longer_than(parent, limit):
            card = parent
        cards.append(normalize_line(card.text_content()))
    found, card_chars, own = set(), 0, 0
    for line in lines:
        where = next((i for i, card in enumerate(cards) if line in card), None)
        if where is None:
            own += text_length(line)
        else:
            found.add(where)
            card_chars += text_length(line)
    if len(found) >= _MIN_LIST_CARDS and card_chars >= _LIST_CARD_SHARE * (card_chars + own) \
            and own < config.min_text_length:
        raise Rejected("no_article", f"a list of {len(found)} stories: story cards (a linked headline of another "
                                     f"page, a teaser) are {card_chars / (card_chars + own):.0%} of its text, and "
                                     f"{own} characters are its own")


def _links_within(heading: HtmlElement, base: str, host: str | None) -> bool:
    """Whether the link of a linked heading leads to another page of the
    site: not to this page, nor below it when its address is a story's (a
    live page's entries, a gallery's pictures have pages of their own)."""
    link = next((a for a in [*heading.iter("a"), *heading.iterancestors("a")] if a.get("href")), None)
    if link is None:
        return False
    target = urlsplit(urljoin(base, link.get("href").strip()))
    if target.hostname != host:
        return False
    page = urlsplit(base)
    own, path = page.path.rstrip("/"), target.path.rstrip("/")
    if path == own and target.query == page.query:
        return False  # this page (an entry of it, by its fragment)
    # Below a story's own address ("/2024/05/03/storm-live-updates/entry-3"): its parts. Below a
    # section's ("/sport", "/news/"), its stories.
    return not (_STORY_ADDRESS.search(own) and path.startswith(own + "/"))


# The address of a story, not a section: its last part a slug of three words
# or more, or holding a number of four digits or more (a date, an id).
_STORY_ADDRESS = re.compile(r"/(?:[^/]*\d{4,}[^/]*|[^/]+[-_][^/]+[-_][^/]+)$")


# A list page: this many story cards or more, this share of its text at
# least, each card a linked headline and a teaser of at most this length;
# its title a name ("Climate", "Business news", the site's) of at most this many words.
_MIN_LIST_CARDS = 4
_LIST_CARD_SHARE = 0.6
_CARD_TEASER_CHARS = 300
_SECTION_NAME_WORDS = 4


# A text of labels only, this share of them the texts of links, is an index.
_LINK_LIST_SHARE = 0.6


def _link_texts(tree: HtmlElement) -> set[str]:
    return {" ".join(a.text_content().split()) for a in tree.iter("a")}


# trafilatura's parser settings, with every element an HtmlElement chosen in
# C: lxml.html's default parser asks a Python function for the class of each
# element it hands out (a form, an input…), which was a quarter of the time
# of extracting a 117 KB page. Nothing here uses the form classes.
_PARSER = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                               remove_comments=True, remove_pis=True)
_PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def parse_html(html: str) -> HtmlElement | None:
    """The page's tree, as trafilatura's `load_html` parses it (the same
    repairs, the same fallback to bytes, the same refusal of text that is not
    HTML), on the parser above. None when it does not parse."""
    beginning = html[:50].lower()
    if _needs_repair(html, beginning):
        html = repair_faulty_html(html, beginning)
    if "&#" in html:
        # The same characters written as references: the parser puts them in the tree, where
        # trafilatura's conversion of it fails on them and reads nothing of the page.
        html = _FORBIDDEN_REFERENCE.sub("", html)
    tree = None
    try:
        tree = lxml.html.fromstring(html, parser=_PARSER)
    except ValueError:  # a str with an encoding declaration: parse the bytes
        pass
    except etree.LxmlError as exc:
        logger.info("the page does not parse as text (%s); trying its bytes", exc)
    if tree is None or len(tree) < 1:
        try:
            tree = lxml.html.fromstring(html.encode("utf-8", "surrogatepass"), parser=_PARSER)
        except (ValueError, etree.LxmlError):
            return None
    if is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


# What trafilatura's `repair_faulty_html` removes everywhere in a page:
# characters XML forbids (its INVALID_XML_CHARS).
_XML_FORBIDDEN = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
# Numeric character references to those characters ("&#1;", "&#x1b;", and
# without their semicolon, as parsers take them).
_FORBIDDEN_REFERENCE = re.compile(
    r"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[fF]{3}[eEfF])(?![0-9a-fA-F])"
    r"|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45])(?![0-9]));?")


def _needs_repair(html: str, beginning: str) -> bool:
    """Whether `repair_faulty_html` would change `html`. It removes the
    characters XML forbids with a regex over the whole page (0.4 ms on a
    120 KB page), and pages almost never hold any: looking for each with `in`
    (a memchr) is a tenth of that. Its other repairs, of a doctype with a
    slash and of a self-closing <html/>, only look at the page's first lines,
    so they are checked here the way it checks them."""
    if any(ch in html for ch in _XML_FORBIDDEN):
        return True
    if "doctype" in beginning:
        end = html.find("\n")
        if end < 0:
            return True  # it appends a newline to a page of one line
        if DOCTYPE_TAG.match(html, 0, end):
            return True
    return any("<html" in line and line.endswith("/>") for line in html[:4096].splitlines()[:4])


def _declared_metadata(tree: HtmlElement, url: str) -> PageMetadata:
    """What the page declares about itself, read by trafilatura's readers of
    meta tags (OpenGraph, Dublin Core, article:*, twitter:*) and JSON-LD; a
    site name from the <title> or the host when none is declared.

    trafilatura's `extract_metadata` also searches the whole page for bylines,
    dates, categories and licences. That search cost more than extracting the
    text (1.5 of 3.2 ms per page measured on 117 KB pages), so here the
    fallbacks run only for what the page does not declare: the title from
    headings (`extract_title`), the author from the article's own byline
    (`extract` asks `clean_tree` for the article), the date from htmldate
    (`_published`)."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a handle, not a name (as trafilatura decides)
    try:
        meta = extract_meta_json(tree, meta)
    except Exception as exc:  # trafilatura guards its JSON-LD reader the same way
        logger.warning("%s: JSON-LD metadata not read (%s: %s)", url, type(exc).__name__, exc)
    sitename = (meta.sitename or extract_sitename(tree) or "").lstrip("@")
    if sitename and "." not in sitename and not sitename[0].isupper():
        sitename = sitename.title()
    if not sitename and (host := META_URL.match(url)):
        sitename = host[1]
    meta.sitename = sitename or None
    return meta


def _check_response(page: Page, config: ExtractConfig) -> None:
    if not 200 <= page.status < 300:
        raise Rejected("http_status", f"HTTP status {page.status}")
    if not page.body or page.body.isspace():
        raise Rejected("empty_body", "the response has no body")
    if len(page.body) > config.max_bytes:
        raise Rejected("too_large", f"{len(page.body)} bytes, the limit is {config.max_bytes}")
    content_type = (page.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type in _HTML_TYPES:
        return
    if content_type in _UNSAID_TYPES and _HTML_START.search(page.body[:_SNIFF_BYTES]):
        return
    said = content_type or "no content type"
    raise Rejected("not_html", f"{said}, and only HTML pages hold articles")


# trafilatura falls back to a whole-page text dump (one run of text, blocks
# and all) when the main text is under 250 characters. For dense scripts
# that is a normal short article, and on a page the cleaning has already
# rid of its furniture the short main text is the article.
_SHORT_TEXT_CONFIG = deepcopy(DEFAULT_CONFIG)
_SHORT_TEXT_CONFIG["DEFAULT"]["MIN_EXTRACTED_SIZE"] = "90"
_DENSE_SHARE = 0.3  # of the page's visible characters, for it to count as written in a dense script


# Elements trafilatura deletes from its copy of the page before it reads the
# article (its tree_cleaning), kept out of the tree while it copies and
# prunes it: its whole-tree XPath prunes and copies cost by the element, and
# a news page's menus, scripts and footer are most of its elements. Not
# <noscript> (a page whose article is only there is read by trafilatura's
# fallbacks, which see the raw tree), nor <form>, <math>, <time>, <head>,
# which it reads or treats apart first. Measured with `bench/realpages.py`:
# the same text on the 990 real pages but 4 (F1 .9392 -> .9395), 10 % less
# CPU a page there, 25 % on the bench web.
_SET_ASIDE = ("nav", "menu", "aside", "footer", "script", "iframe", "link", "button", "select", "picture", "video",
              "audio", "canvas", "object", "embed")
# What trafilatura's cleaning deletes (its forms are judged apart): when that
# would leave no paragraph, its recall mode keeps the page as it was.
_TRAFILATURA_DELETES = tuple(tag for tag in MANUALLY_CLEANED if tag != "form")
_JSON_LD = ".//script[@type='application/ld+json']"


@contextmanager
def _set_aside(tree: HtmlElement, tags: tuple[str, ...]) -> Iterator[None]:
    """Within the block, the outermost elements of `tags` are out of `tree`,
    each replaced by an empty <script> that carries its tail (the text after
    it, which stays in place); after it, they are back where they were.
    Nothing is set aside when trafilatura's cleaning would leave no
    paragraph (it then reads the page as it came), and no element holding a
    JSON-LD script is (trafilatura reads an articleBody there when the
    markup holds no article)."""
    paragraphs = list(tree.iter("p"))
    if paragraphs and all(next(p.iterancestors(*_TRAFILATURA_DELETES), None) is not None for p in paragraphs):
        yield
        return
    holds_json_ld = {a for script in tree.iterfind(_JSON_LD) for a in script.iterancestors()}
    chosen: set[HtmlElement] = set()
    swaps: list[tuple[HtmlElement, HtmlElement, HtmlElement]] = []
    for el in list(tree.iter(*tags)):
        if el in holds_json_ld or (el.tag == "script" and el.get("type") == "application/ld+json"):
            continue
        if any(a in chosen for a in el.iterancestors()):
            continue
        chosen.add(el)
        parent = el.getparent()
        if parent is None:
            continue
        holder = parent.makeelement("script", {})
        holder.tail = el.tail
        parent.replace(el, holder)
        swaps.append((parent, holder, el))
    try:
        yield
    finally:
        for parent, holder, el in reversed(swaps):
            parent.replace(holder, el)


def _run_together(read: str, tree: HtmlElement) -> HtmlElement | None:
    """The <article> whose headline and paragraph `read` runs together in
    one line, if it does: trafilatura's baseline, the text of the whole box
    (headline, byline, caption, paragraph), which it falls back to when
    what it read is under its minimum (a one-paragraph excerpt)."""
    if not read or "\n" in read.strip():
        return None
    key = "".join(read.split())
    for box in tree.iter("article"):
        heading = next(box.iter("h1", "h2"), None)
        paragraph = _first_paragraph(box)
        if heading is None or paragraph is None:
            continue
        title, text = "".join(heading.text_content().split()), "".join(paragraph.text_content().split())
        if title and title in key and text in key and len(key) > len(text) + len(title):
            return box
    return None


def _first_paragraph(box: HtmlElement) -> HtmlElement | None:
    """The first paragraph of `box` long enough to be writing."""
    return next((p for p in box.iter("p") if len(p.text_content().strip()) >= _MIN_RUN_PARAGRAPH), None)


def _paragraphs_lacking(again: str, box: HtmlElement, read: str) -> list[HtmlElement]:
    """The paragraphs of `box` (captions aside) that the run-together
    `read` holds and `again` does not."""
    have, whole = "".join(again.split()), "".join(read.split())
    lacking = []
    for p in box.iter("p"):
        if any(a.tag in ("figure", "figcaption") for a in p.iterancestors()):
            continue
        text = "".join(p.text_content().split())
        if len(text) >= _MIN_RUN_PARAGRAPH and text in whole and text not in have:
            lacking.append(p)
    return lacking


def _attached(el: HtmlElement, root: HtmlElement) -> bool:
    return any(a is root for a in el.iterancestors())


# A paragraph of a box that trafilatura ran together with its headline.
_MIN_RUN_PARAGRAPH = 40
# What a teaser of another story runs to, at most: a longer paragraph of the box is writing.
_TEASER_CHARS = 150


def _main_text(tree: HtmlElement, url: str, config: ExtractConfig, *, cleaned: bool = False) -> str:
    """trafilatura's text of `tree` (which it copies: the tree is left as it
    was); `cleaned` says the page has been rid of its furniture."""
    body = tree.find(".//body")
    text = (body if body is not None else tree).text_content()
    in_dense_script = sum(dense_chars(text))
    dense = in_dense_script > 0 and in_dense_script > _DENSE_SHARE * len("".join(text.split()))
    with _set_aside(tree, _SET_ASIDE):
        document = trafilatura.bare_extraction(
            tree,
            url=url,
            config=_SHORT_TEXT_CONFIG if dense or cleaned else DEFAULT_CONFIG,
            include_comments=False,
            favor_precision=config.favor_precision,
            favor_recall=config.favor_recall,
            fast=config.fast,
            # A fresh cache per page: the default one is global and would make the
            # result depend on the pages extracted before in the same process.
            deduplicate=LRUCache() if config.deduplicate else False,
        )
    return (document.text or "").strip() if document is not None else ""


_HEAD_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»]\s+")
_JSON_LD_ARTICLE = re.compile(r'"@type"\s*:\s*(?:\[[^\]]*)?"(?:\w*Article|BlogPosting|Report|LiveBlogPosting)"')


class _PageTags:
    """The page's <meta>, <link> and JSON-LD <script> elements and its
    <title>, gathered in one walk over the tree for the readers below. An
    XPath per reader walked the whole tree each time: the date, language,
    canonical URL, tags and title readers took 0.9 ms a news-weight page
    that way, a tenth of its extraction; the walk takes 0.04 ms."""

    def __init__(self, tree: HtmlElement):
        self.metas: list[HtmlElement] = []
        self.links: list[HtmlElement] = []
        self.json_ld: list[str] = []
        self.title: str | None = None  # the first <title>'s text, whitespace collapsed
        for el in tree.iter("meta", "link", "script", "title"):
            tag = el.tag
            if tag == "meta":
                self.metas.append(el)
            elif tag == "link":
                self.links.append(el)
            elif tag == "script":
                if el.get("type") == "application/ld+json" and el.text:
                    self.json_ld.append(el.text)
            elif self.title is None:
                self.title = " ".join(el.text_content().split())

    def declares_article(self) -> bool:
        """Whether the page says it is an article: og:type "article", an
        article:published_time, or a JSON-LD Article, NewsArticle,
        BlogPosting (or another schema.org type ending in "Article")."""
        if any(t.lower().startswith("article") for t in self.meta_content("property", {"og:type"})):
            return True
        if self.meta_content("property", {"article:published_time"}):
            return True
        return any(_JSON_LD_ARTICLE.search(script) for script in self.json_ld)

    def meta_content(self, attribute: str, values: set[str], *, lower: bool = False) -> list[str]:
        """The content of each <meta> whose `attribute` is one of `values`
        (compared lower-cased when `lower`), in page order."""
        found = []
        for el in self.metas:
            value = el.get(attribute)
            if value is not None and (value.lower() if lower else value) in values:
                content = el.get("content")
                if content is not None:
                    found.append(content)
        return found


def _undeclared_title(tree: HtmlElement, head: str | None) -> str | None:
    """The headline of a page that declares none (no og:title, JSON-LD…): its
    only h1; else the part of <title> that the page also shows as a heading
    or in bold ("<Site> - <Headline>"), else <title> itself; else
    trafilatura's guess. Before trafilatura's guess because that one takes
    any element whose class says "title" or "headline", and on a page with
    story cards that is a card's."""
    h1s = [text for h in tree.iter("h1") if (text := " ".join(h.text_content().split()))]
    if len(h1s) == 1:
        return h1s[0]
    if not head:
        return extract_title(tree)
    parts = [p for p in _HEAD_TITLE_SEPARATORS.split(head) if p.strip()]
    if len(parts) > 1:
        shown = {normalize_line(el.text_content()) for el in tree.iter("h1", "h2", "h3", "b", "strong")}
        for part in parts:
            if normalize_line(part) in shown:
                return part.strip()
    return head


def _title(tree: HtmlElement, head: str | None, found: str | None) -> str | None:
    """trafilatura's title, unless it is the site's half of "<Site> - <Headline>"
    (`head`, the page's <title>) and the other half stands alone in the page
    as the headline."""
    if not head or not found or normalize_line(found) == normalize_line(head):
        return found
    parts = [p for p in _HEAD_TITLE_SEPARATORS.split(head) if p]
    if len(parts) < 2:
        return found
    standalone = {normalize_line(el.text_content()) for el in tree.iter("h1", "h2", "h3", "b", "strong")}
    if normalize_line(found) in standalone:
        return found
    others = [p for p in parts if normalize_line(p) in standalone and normalize_line(p) != normalize_line(found)]
    return others[0] if others else found


def _site_names(sitename: str | None, url: str) -> list[str]:
    """What a site calls itself: for telling its own copyright line from a credit."""
    host = urlsplit(url).hostname or ""
    labels = [label for label in host.split(".") if label not in {"www", "com", "org", "net", "co"}]
    return [name for name in (sitename, host, labels[0] if labels else None) if name]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


# <meta> tags that declare the publication time: by property, itemprop, name.
_DATE_PROPERTIES = {"article:published_time", "og:published_time"}
_DATE_ITEMPROPS = {"datePublished"}
_DATE_NAMES = {"date", "pubdate", "publish-date", "parsely-pub-date", "sailthru.date"}
_DATE_NAMES_ANY_CASE = {"dc.date.issued", "dc.date"}


def _published(tree: HtmlElement, page_tags: _PageTags, url: str, config: ExtractConfig) -> str | None:
    """The publication time as the page declares it (meta tags, JSON-LD
    datePublished, microdata, hAtom), in full ISO 8601 with its time and
    offset; else the date htmldate finds in the page (day precision), which
    costs 2-3 ms on a news-weight page."""
    for value in _declared_dates(tree, page_tags):
        value = value.strip()
        if _ISO_DATE.match(value) and _readable_date(value):
            return value
    # htmldate serialises the page and searches all of it; style sheets hold
    # no publication date (a date-like string in one is a false find), and
    # on news pages they are a fifth of the bytes. The cleaning drops them anyway.
    for style in list(tree.iter("style")):
        style.drop_tree()
    return find_date(tree, **set_date_params(config.extensive_date_search), url=url)


def _declared_dates(tree: HtmlElement, page_tags: _PageTags) -> Iterator[str]:
    for el in page_tags.metas:  # in page order, whichever attribute declares it
        name = el.get("name")
        if (el.get("property") in _DATE_PROPERTIES or el.get("itemprop") in _DATE_ITEMPROPS
                or name in _DATE_NAMES or (name is not None and name.lower() in _DATE_NAMES_ANY_CASE)):
            content = el.get("content")
            if content is not None:
                yield content
    for script in page_tags.json_ld:
        yield from re.findall(r'"datePublished"\s*:\s*"([^"]+)"', script)
    yield from _marked_dates(tree)


def _marked_dates(tree: HtmlElement) -> Iterator[str]:
    """Dates marked in the body: a schema.org datePublished property on a
    <time> (its datetime) or an <abbr> (its title), and the hAtom "published"
    class of WordPress and most blog themes (<time class="entry-date
    published" datetime=…>). Only machine-readable values, in page order: on
    a page of several articles the first is the one asked for. A walk over
    two tags: an XPath asking every element for these attributes cost 0.5 ms
    on a news-weight page, htmldate 2-3 ms."""
    for el in tree.iter("time", "abbr"):
        value = el.get("datetime" if el.tag == "time" else "title")
        if value and (el.get("itemprop") == "datePublished" or "published" in (el.get("class") or "").split()):
            yield value


def _readable_date(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _language(tree: HtmlElement, page_tags: _PageTags, headers: dict[str, str]) -> str | None:
    """Primary language subtag ("en", "ja") from the page or the response headers."""
    root = tree.getroottree().getroot()
    candidates = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += page_tags.meta_content("http-equiv", {"content-language"}, lower=True)
    candidates += page_tags.meta_content("property", {"og:locale"})
    candidates.append(headers.get("content-language"))
    for value in candidates:
        code = re.split(r"[-_,;\s]", (value or "").strip().lower())[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return None


def _canonical_url(page_tags: _PageTags, base: str) -> str | None:
    """rel=canonical, else og:url, made absolute against the final URL; http(s) only."""
    hrefs = [el.get("href") or "" for el in page_tags.links if "canonical" in (el.get("rel") or "").lower().split()]
    hrefs += page_tags.meta_content("property", {"og:url"})
    for href in hrefs:
        url = urljoin(base, href.strip())
        if href.strip() and urlsplit(url).scheme in {"http", "https"}:
            return url
    return None


# The links that have a rel, found in C: most of a page's links (menus,
# story cards) have none, and asking each for it from Python cost more.
_LINKS_WITH_REL = etree.XPath("descendant-or-self::a[@rel]")


def _tags(tree: HtmlElement, page_tags: _PageTags, found: list[str] | None) -> list[str]:
    """Tags from article:tag/keywords meta (as trafilatura found them), else
    JSON-LD keywords, else rel=tag links; split at commas, de-duplicated."""
    words = list(found or [])
    if not words:
        for script in page_tags.json_ld:
            words += _json_keywords(script)
    if not words:
        words = [a.text_content() for a in _LINKS_WITH_REL(tree) if "tag" in a.get("rel").lower().split()]
    split = (t.strip() for tag in words for t in tag.split(","))
    return list(dict.fromkeys(t for t in split if t))


def _json_keywords(script: str) -> list[str]:
    try:
        data = json.loads(script)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    for item in items:
        keywords = item.get("keywords") if isinstance(item, dict) else None
        if isinstance(keywords, str):
            return [keywords]
        if isinstance(keywords, list):
            return [k for k in keywords if isinstance(k, str)]
    return []
