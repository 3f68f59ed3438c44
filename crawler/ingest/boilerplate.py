"""Page furniture, found on the parsed page: what each step of the cleaning
removes, recorded for the floor (crawler.ingest.floor), which lets it take
out of trafilatura's text only lines that were in what a step removed.

Before trafilatura reads the page (`prepare_tree`), changes of form only:
layout tables become plain blocks (a whole page in one table row reads as
one cell of data to an extractor), `<br>`-separated runs become paragraphs,
and the headline is found (the heading that carries the page's title).

After it (`clean_tree`), in this order:
- scripts and styles, then menus, icons and form controls (on a news page
  they are most of the elements, and nothing later has to walk them);
- the later articles of a page that carries several (infinite scroll, "up
  next" stories): headings of the headline's kind, each with a body of text
  and a box of its own like the first article's;
- labels around the headline inside the article's box: a section name
  above it, a byline with its date below it;
- rails of story cards (three or more linked headlines, each with a line of
  teaser: "related", "more from", "most read") outside the article's box,
  whatever their class names, which on many sites are generated and say
  nothing; a block that a comment-thread heading opens ("Comments (42)");
  a box of short links under a related-links heading apart from the
  article;
- elements whose tag, role, class, id or data-* attribute says what they
  are — comments, share bars, donation and newsletter boxes, related
  stories, ads, menus, widgets — except the containers of the article
  itself; on the same walk the attribution blocks of the article ("Via X",
  "Originally published at …") become plain marked paragraphs, kept even
  when the article footer they sit in goes.

The text lines are cleaned afterwards (crawler.ingest.lines). The patterns
describe kinds of furniture, not any one site's wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable

import lxml.html
from lxml.html import HtmlElement

from crawler.ingest.lines import (END_MARKER, MAX_ATTRIBUTION, MAX_LABEL_RUN, MAX_STUB, attribution_line, is_label,
                                  normalize_line)
from crawler.ingest.removals import Removals

_FURNITURE_TAGS = {
    "nav", "aside", "footer", "form", "button", "select", "input", "textarea", "iframe", "svg",
    "dialog", "template", "amp-ad", "amp-sticky-ad", "amp-social-share", "amp-sidebar",
    "amp-analytics", "amp-consent", "amp-iframe", "amp-list",
}
_FURNITURE_ROLES = {"navigation", "complementary", "contentinfo", "banner", "search", "dialog",
                    "alertdialog", "menu", "menubar", "toolbar"}
# Tokens of class/id values (split at space, "-" and "_") naming furniture.
_FURNITURE_ATTR = re.compile(
    r"(?:^|[\s_-])(?:"
    r"comments?|comment-?(?:list|form|link|area|section)|disqus|respond|replies|discussion"
    r"|share|shares|sharing|sharedaddy|social|socials"
    r"|donat(?:e|ion|ions)|patreon|paypal|support|contribut(?:e|ion|ions)|membership|cta"
    r"|newsletters?|subscribe|subscription|sign-?up|follow-?by-?email"
    r"|related(?:-?(?:posts?|articles?|stories|links|content))?|yarpp|relpost|recommend(?:ed|ations?)?"
    r"|trending|popular|most-?(?:read|viewed|popular)"
    r"|read-?next|up-?next|more-?stories|next-?stories|outbrain|taboola|zergnet|revcontent"
    r"|ads?|advert(?:isement|ising)?s?|adsbygoogle|sponsor(?:ed)?|promo(?:ted|tion)?"
    r"|breadcrumbs?|pager|pagination|post-?navigation|nav|navbar|menu|masthead|header|footer"
    r"|widgets?|sidebar|sidebar-\w+|popup|modal|overlay|lightbox|cookies?|consent|gdpr|login"
    r"|views|view-?count|post-?views|hit-?counter|reactions?|rating|poll"
    r"|tags|tags?-?links|post-?tags|labels|post-?labels|topics|cat-?links|categories"
    r"|byline|entry-?meta|post-?meta|article-?meta|story-?meta|author-?(?:bio|box|info|card)"
    r"|skip-?link|screen-?reader-?text|sr-only|visually-?hidden|print-?link"
    r"|(?:report|flag)-?(?:dialog|modal|comment|abuse|form|button|link)|load-?(?:more|next)"
    r")(?:$|[\s_-])",
    re.IGNORECASE,
)
# An element holding this share of the page's text is the article, whatever its class.
_ARTICLE_SHARE = 0.5
# A heading "of the same kind" as the headline only counts as the start of
# another article with at least this much text under it.
_MIN_RIVAL_TEXT = 200
# The first of several articles holds at least this share of the text of
# those after it (an infinite scroll appends a few, not a whole archive).
_MIN_FIRST_SHARE = 0.1
_MARK = "data-wirecrawl"
_TEXT_BLOCKS = {"p", "div", "em", "i", "span", "small", "cite", "li", "strong", "b", "section", "footer"}
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»]\s+|\s+::\s+")


def prepare_tree(tree: HtmlElement, titles: Iterable[str | None],
                 site_names: Iterable[str]) -> Headline | None:
    """Changes of form made before trafilatura reads the page; none takes
    away text. Layout tables become blocks, and `<br>`-separated runs
    become paragraphs. Returns the page's headline (see `_find_headline`),
    or None.

    Scripts stay: trafilatura reads a JSON-LD `articleBody` when the markup
    holds no article, and some pages hold their text in `<noscript>`."""
    body = tree.find(".//body")
    if body is None:
        body = tree
    _drop_tags(body, _NEVER_TEXT)
    head = tree.getroottree().getroot().find("head")
    if head is not None:
        _drop_tags(head, {"style", "link"})
    _unwrap_layout_tables(body)
    _paragraphs_from_breaks(body)
    return _find_headline(body, [t for t in titles if t], list(site_names))


# Elements that hold no text a reader sees, and that every reader of the page
# (trafilatura and its fallbacks) drops anyway: gone before it copies the
# page several times over. Scripts and <noscript> stay: trafilatura reads a
# JSON-LD articleBody, and some pages hold their text in <noscript>.
_NEVER_TEXT = {"style", "svg", "template", "iframe", "select", "button", "input", "textarea", "canvas", "video",
               "audio", "object", "embed", "map", "link", "meta"}


def clean_tree(tree: HtmlElement, found: Headline | None, site_names: Iterable[str] = (),
               on_article: Callable[[HtmlElement], None] | None = None,
               removals: Removals | None = None) -> None:
    """Remove the page's furniture in place (see the module docstring),
    after `prepare_tree` and around the headline it `found`. Only a page
    whose headline carries its title loses its later articles (infinite
    scroll); one with no headline is only pruned.
    `on_article`, if given, is called with the article's container (the body
    when no headline is found) once the other articles are cut and before
    its byline, share bars and other furniture are pruned: the place to read
    what the article says about itself. `site_names` are the names the site
    goes by, so its own copyright line is not taken for a source credit.
    What each step removed is added to `removals`; the attribution blocks of
    the article become marked paragraphs (`marked_attributions`)."""
    removals = removals if removals is not None else Removals()
    body = tree.find(".//body")
    if body is None:
        body = tree
    _drop_tags(body, {"script", "style", "noscript", "link", "meta"})
    head = tree.getroottree().getroot().find("head")
    if head is not None:  # the page has been read by now: no CSS or scripts needed
        _drop_tags(head, {"script", "style", "noscript", "template"})
    headline = found.element if found is not None else None
    if headline is not None and not any(a is body for a in headline.iterancestors()):
        headline = None  # not on this page any more
    _drop_controls(body, removals, keep=headline)
    if headline is not None and found.titled:
        _cut_other_articles(body, headline, removals)
    scope = _article_root(headline) if headline is not None else body
    if on_article is not None:
        on_article(scope)
    if headline is not None:
        _drop_labels_around(scope, headline, removals)
    _drop_teaser_cards(body, scope, headline, removals)
    _drop_comment_threads(body, headline, removals)
    if headline is not None:
        _drop_related_boxes(body, scope, headline, removals)
    _prune_furniture(body, headline, scope, list(site_names), removals)
    if headline is not None and headline.getparent() is not None:
        removals.drop(headline, "headline")  # the headline is metadata, not text


_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote",
               "section", "article", "figure", "pre", "hr", "header", "footer", "aside", "nav", "form"}


# Where text is written as runs separated by <br>.
_BROKEN_RUNS = frozenset({"div", "td", "section", "article", "blockquote", "span", "font"})


def _paragraphs_from_breaks(body: HtmlElement) -> None:
    """Text written as runs separated by <br> (Blogger and older CMSs) becomes
    <p> paragraphs: trafilatura's precision mode drops loose text runs, which
    would lose the first paragraph of such posts."""
    # Only the parents of two <br> or more are split. Found from the <br>s (a
    # few) rather than by listing the children of every div; each split
    # moves only the element's own children, so the order does not matter.
    breaks: dict[HtmlElement, int] = {}
    for br in body.iter("br"):
        parent = br.getparent()
        breaks[parent] = breaks.get(parent, 0) + 1
    for el in [e for e, count in breaks.items() if count >= 2 and e.tag in _BROKEN_RUNS]:
        kids = list(el)
        if not ((el.text or "").strip() or any((k.tail or "").strip() for k in kids if k.tag == "br")):
            continue
        out: list[HtmlElement] = []
        run_text, run_nodes = el.text, []

        def flush() -> None:
            if (run_text or "").strip() or run_nodes:
                p = lxml.html.Element("p")
                p.text = run_text
                for node in run_nodes:
                    p.append(node)
                out.append(p)

        el.text = None
        for kid in kids:
            tail, kid.tail = kid.tail, None
            el.remove(kid)
            if kid.tag == "br" or kid.tag in _BLOCK_TAGS:
                flush()
                run_text, run_nodes = tail, []
                if kid.tag != "br":
                    out.append(kid)
            else:
                kid.tail = tail
                run_nodes.append(kid)
        flush()
        for node in out:
            el.append(node)


def _unwrap_layout_tables(body: HtmlElement) -> None:
    """Tables used for page layout (no header cells, cells holding blocks or
    long text) become divs so the extractor sees paragraphs, not a data row."""
    for table in list(body.iter("table")):
        if table.find(".//th") is not None or table.find(".//caption") is not None:
            continue
        cells = table.findall(".//td")
        if not any(_is_layout_cell(td) for td in cells):
            continue
        for el in [table, *table.iter("tbody", "thead", "tfoot", "tr", "td")]:
            el.tag = "div"


def _is_layout_cell(td: HtmlElement) -> bool:
    if td.find(".//table") is not None or td.find(".//p") is not None or td.find(".//form") is not None:
        return True
    return len(td.findall(".//br")) >= 2 and longer_than(td, 300)


# Menus, icons and form controls: never the article, often most of a page's
# elements (a mega-menu has hundreds of links). Gone first, before anything
# walks the page.
_CONTROL_TAGS = ("nav", "svg", "template", "iframe", "select", "button", "input", "textarea", "dialog")


def _drop_controls(body: HtmlElement, removals: Removals, keep: HtmlElement | None = None) -> None:
    """Drop menus, icons and form controls, unless one holds most of the
    page's text (a page built inside a <nav> is still a page) or `keep`
    (the headline). The controls
    inside one that is dropped go with it unlooked at (a mega-menu holds
    dozens of icons and buttons: measuring the text of each was most of the
    cost)."""
    found = list(body.iter(*_CONTROL_TAGS))  # the list keeps the proxies alive, so `in gone` works
    if not found:
        return
    total = len(body.text_content())
    gone: set[HtmlElement] = set(keep.iterancestors()) if keep is not None else set()
    for el in found:
        if el in gone:
            continue
        if el.getparent() is not None and not (total and longer_than(el, _ARTICLE_SHARE * total - 1)):
            gone.update(el.iterdescendants(*_CONTROL_TAGS))
            removals.drop(el, f"control <{el.tag}>")


def _drop_tags(body: HtmlElement, tags: set[str]) -> None:
    for el in list(body.iter(*tags)):
        if el.getparent() is not None:
            el.drop_tree()


def _title_keys(titles: list[str], site_names: list[str]) -> tuple[set[str], set[str]]:
    """The headline as the page spells it in full, and the longest part of
    "Headline | Site"-style titles unless that part is the site's name."""
    sites = {normalize_line(n) for n in site_names}
    full = {normalize_line(t) for t in titles}
    parts = set()
    for title in titles:
        longest = normalize_line(max(_TITLE_SEPARATORS.split(title), key=len))
        if longest not in full and longest not in sites and len(longest) >= 8:
            parts.add(longest)
    return {f for f in full if len(f) >= 8}, parts


@dataclass(frozen=True)
class Headline:
    """The page's headline element, and whether it was found by the page's
    title (rather than as the first h1 with text under it)."""

    element: HtmlElement
    titled: bool


def _find_headline(body: HtmlElement, titles: list[str], site_names: list[str]) -> Headline | None:
    """The heading that carries the page's title in full, else an h1 with
    the headline part of it, else the first h1 with a body of text under it."""
    full, parts = _title_keys(titles, site_names)
    # h1 first: a sidebar widget may repeat the title in a smaller heading.
    headings = sorted(body.iter("h1", "h2", "h3"), key=lambda h: h.tag != "h1")
    for heading in headings:
        if normalize_line(heading.text_content()) in full:
            return Headline(heading, titled=True)
    for heading in headings:
        if heading.tag == "h1" and normalize_line(heading.text_content()) in parts:
            return Headline(heading, titled=True)
    for heading, length in _segments(body, list(body.iter("h1"))):
        if length >= _MIN_RIVAL_TEXT:
            return Headline(heading, titled=False)
    return None


def _signature(el: HtmlElement) -> tuple[str, str]:
    classes = " ".join(c for c in (el.get("class") or "").split() if not any(ch.isdigit() for ch in c))
    return el.tag, classes


_KIN_TAGS = ("h1", "h2", "h3")


def _kin(heading: HtmlElement, headline: HtmlElement) -> bool:
    """A heading of the headline's kind: the same classes (an infinite
    scroll may give the later headlines a lower level), or, for a headline
    without classes, the same tag and none either; and a link only if the
    headline is one (a linked heading of another level is a teaser's)."""
    if heading.find(".//a[@href]") is not None and headline.find(".//a[@href]") is None:
        return False
    tag, classes = _signature(headline)
    other_tag, other_classes = _signature(heading)
    return other_classes == classes if classes else (other_tag == tag and not other_classes)


def _boxed_alike(a: HtmlElement, b: HtmlElement) -> bool:
    """The same tag, and a class in common (or none on either)."""
    if a.tag != b.tag:
        return False
    ca, cb = set(_signature(a)[1].split()), set(_signature(b)[1].split())
    return bool(ca & cb) or not (ca or cb)


def _segments(body: HtmlElement, marks: list[HtmlElement]) -> list[tuple[HtmlElement, int]]:
    """For each mark (in document order), the characters of text between it and the next mark."""
    marked = set(marks)
    within = {d for m in marks for d in m.iterdescendants()}  # the marks' own text does not count
    lengths: dict[HtmlElement, int] = {}
    current = None
    for el in body.iter():
        if el in marked:
            current = el
            lengths[current] = len((el.tail or "").strip())
        elif current is not None and el not in within:
            if isinstance(el.tag, str):
                lengths[current] += len((el.text or "").strip())
            lengths[current] += len((el.tail or "").strip())
    return [(m, lengths.get(m, 0)) for m in marks]


def _cut_other_articles(body: HtmlElement, headline: HtmlElement, removals: Removals) -> None:
    """Remove everything from the first later article onwards. The page's
    headline is an h1 (the sections of one article carry h2s). A later
    article starts at the first heading after it that looks like it (the
    same classes, or the same tag where it has none; other text) with a body
    of text under it, provided the headline has a body of its own before
    it; the cut takes the outermost container of that heading which does
    not also hold the headline, when that container holds none of the first
    article's text and is boxed like the first article (the same tag and a
    class in common, on it or inside it around the heading)."""
    if headline.tag != "h1":
        return
    own_text = normalize_line(headline.text_content())
    kin = [h for h in body.iter(*_KIN_TAGS) if _kin(h, headline)]
    rival, after, first_body = None, False, 0
    for heading, length in _segments(body, kin):
        if heading is headline:
            after = True
        elif after and length >= _MIN_RIVAL_TEXT and normalize_line(heading.text_content()) != own_text:
            rival = heading
            break
        if after:
            first_body += length
    if rival is None or first_body < _MIN_RIVAL_TEXT:
        return
    holders = set(headline.iterancestors())  # a set keeps the lxml proxies alive, so `in` works
    container = rival
    while container.getparent() is not None and container.getparent() not in holders:
        container = container.getparent()
    parent = container.getparent()
    if parent is None or _text_before(container, rival) >= _MIN_RIVAL_TEXT:
        return  # that box also holds the first article's body (its headline sits apart, in a header)
    own = next((a for a in [headline, *headline.iterancestors()] if a.getparent() is parent), None)
    boxes = [rival, *rival.iterancestors()]
    if own is None or not any(_boxed_alike(box, own) for box in boxes[:boxes.index(container) + 1]):
        return  # the later "article" is not boxed like the first one: a tag cloud, a footer heading
    cut = [container, *container.itersiblings()]
    if first_body < _MIN_FIRST_SHARE * sum(len(el.text_content()) for el in cut):
        return  # a front page's title over a long list of posts, not the first of several articles
    for sibling in cut:
        removals.add("later article", sibling.text_content(), sibling)
        parent.remove(sibling)


def _drop_labels_around(scope: HtmlElement, headline: HtmlElement, removals: Removals) -> None:
    """Remove the short labels around the headline inside the article's
    box: above it, the section's name ("World"), a breadcrumb, a date;
    right below it, before the first paragraph, a byline with its date
    ("Dana Whitlock, 4 March 2024"). Only blocks holding one line that is
    not a sentence, and below the headline only those that carry a date."""
    ancestors = set(headline.iterancestors())
    above: list[HtmlElement] = []
    below: list[HtmlElement] = []
    after = False
    for el in scope.iterdescendants():
        if el is headline:
            after = True
            continue
        if not isinstance(el.tag, str) or el in ancestors or el.tag not in _LABEL_TAGS:
            continue
        if after and any(a is headline for a in el.iterancestors()):
            continue
        if not after:
            above.append(el)
            continue
        text = "" if longer_than(el, MAX_STUB) else " ".join(el.text_content().split())
        if not text and longer_than(el, 0):
            break  # the first paragraph (or a box holding one): the labels are behind us
        if text and not is_label(text):
            break
        if text and len(below) < MAX_LABEL_RUN:
            below.append(el)
    root = scope.getroottree().getroot()
    for rule, found in (("label above the headline", above), ("byline below the headline", below)):
        for el in found:
            if el.getroottree().getroot() is not root or longer_than(el, MAX_STUB):
                continue  # went with a label box dropped before it, or no label
            text = " ".join(el.text_content().split())
            if text and is_label(text) and (rule.startswith("label") or _DATE_LIKE.search(text)):
                removals.drop(el, rule)


# A date as bylines write it: "04 March 2024", "March 4, 2024", "4.3.2024", "2024-03-04".
_DATE_LIKE = re.compile(
    r"\b(?:\d{1,2}\.?\s*(?:jan|feb|mar|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz]|mär|juin|juil|déc|ene|abr|ago|dic)"
    r"[a-zéû]*\.?,?\s+\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)


_LABEL_TAGS = frozenset({"p", "div", "span", "a", "li", "ul", "ol", "time", "small", "strong", "b", "em", "h2",
                         "h3", "h4", "h5", "h6"})


def _text_before(container: HtmlElement, mark: HtmlElement) -> int:
    """Characters of text inside `container` that come before `mark`."""
    chars = len((container.text or "").strip())
    for el in container.iterdescendants():
        if el is mark:
            return chars
        if isinstance(el.tag, str):
            chars += len((el.text or "").strip())
        chars += len((el.tail or "").strip())
    return chars


def _article_root(headline: HtmlElement) -> HtmlElement:
    """The nearest ancestor of the headline that holds a body of text besides
    it: the article's container, not the header box the headline sits in."""
    own = len(headline.text_content())
    for ancestor in headline.iterancestors():
        if ancestor.tag == "body" or len(ancestor.text_content()) >= own + _MIN_RIVAL_TEXT:
            return ancestor
    return headline.getparent()


# A teaser card: a headline that links to another story, with at most this
# much text around it (an image, a one-line teaser, a time).
_TEASER_CHARS = 400
_TEASER_PARAGRAPH = 250
_MIN_CARDS = 3
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def _linked_headings(body: HtmlElement) -> list[HtmlElement]:
    """h2-h6 headings that hold a link or sit in one, in page order. A walk
    over the headings: the same as an XPath asking every element whether it
    is such a heading, at a sixth of the cost (0.12 against 0.8 ms on a
    news-weight page)."""
    return [h for h in body.iter(_HEADINGS)
            if h.find(".//a[@href]") is not None or any(a.get("href") is not None for a in h.iterancestors("a"))]


def _drop_teaser_cards(body: HtmlElement, scope: HtmlElement, headline: HtmlElement | None,
                       removals: Removals) -> None:
    """Remove groups of story cards ("related", "more from", "most read"),
    whatever their class names say (often nothing: hashed CSS names): three
    or more cards side by side, each a linked headline with little text
    around it. Only outside the article's container, or anywhere when no
    container was found (the page is its own container): a roundup article
    made of linked headings keeps them."""
    headings = _linked_headings(body)
    if len(headings) < _MIN_CARDS:
        return
    keep = set(headline.iterancestors()) | {headline} if headline is not None else set()
    inside = set(scope.iterdescendants()) if scope is not body else set()
    cards_of: dict[HtmlElement, set[HtmlElement]] = {}
    for heading in headings:
        if heading in keep or heading in inside:
            continue
        card = heading
        while (parent := card.getparent()) is not None and parent not in keep and parent is not body \
                and not longer_than(parent, _TEASER_CHARS):
            card = parent
        if card.getparent() is not None:
            cards_of.setdefault(card.getparent(), set()).add(card)
    for container, cards in cards_of.items():
        if len(cards) < _MIN_CARDS:
            continue
        if container in keep or container is body:
            for card in cards:
                removals.drop(card, "story cards")
        elif container.getparent() is not None:
            removals.drop(container, "story cards")


# A heading that opens a reader-comment thread: "Comments", "Comments (42)",
# "42 comments", "Responses", "Discussion", "Join the conversation"...
_COMMENT_HEADING = re.compile(
    r"^(?:\d+\s+)?(?:reader\s+)?(?:comments?|responses?|replies|discussion|conversation"
    r"|join the (?:conversation|discussion)|have your say|leave a (?:comment|reply)|what readers say)"
    r"(?:\s*\(\d+\))?:?$",
    re.IGNORECASE,
)


def _drop_comment_threads(body: HtmlElement, headline: HtmlElement | None, removals: Removals) -> None:
    """Remove the block a comment-thread heading opens, when its class names
    say nothing (generated names): the box around the heading, unless that
    box also holds the article's headline (then only the heading goes, and
    the text pass cuts the rest at its end-of-article markers). A one-
    paragraph story followed by a long thread is otherwise taken for the
    thread."""
    keep = set(headline.iterancestors()) if headline is not None else set()
    for heading in list(body.iter("h2", "h3", "h4", "h5")):
        if heading.getparent() is None:
            continue  # already gone with an earlier thread
        if not _COMMENT_HEADING.match(" ".join(heading.text_content().split())):
            continue
        box = heading.getparent()
        if _is_furniture(box) or any(_is_furniture(a) for a in box.iterancestors() if a not in keep):
            continue  # named as what it is: pruned with the furniture, after its attribution lines are saved
        if box is not body and box not in keep:
            removals.drop(box, "comment thread")
        else:
            removals.drop(heading, "comment thread")


def _drop_related_boxes(body: HtmlElement, scope: HtmlElement, headline: HtmlElement,
                        removals: Removals) -> None:
    """Remove the block a related-links heading opens ("More from …",
    "Recommended for you", "Lesen Sie auch") when it holds only short
    blocks (links, headlines, one-line teasers): the heading says what the
    block is, whatever its class names.

    Apart from the article's box, any such block. Inside it (trafilatura
    reads a short story's whole box, cards and all), only a block of the
    heading and two or more cards (headlines linking to other pages, and
    plain links), never one holding the headline: a heading of the story's
    own may say "More from the minister". The whole block goes where the
    story goes on after it; at the story's foot its cards go and the heading
    stays, for the text rules to end the text at (trafilatura may have read
    the cards in another form, a list's "- " lines, that only that cut
    takes out)."""
    if scope is body:
        return
    inside = set(scope.iterancestors()) | {scope}
    top = set(headline.iterancestors())
    for heading in list(body.iter("h2", "h3", "h4", "h5")):
        if heading.getparent() is None:
            continue
        if not END_MARKER.match(" ".join(heading.text_content().split())):
            continue
        box = heading.getparent()
        if box is body or box in inside or box in top:
            continue
        within = any(a is scope for a in box.iterancestors())
        cards = [child for child in box if child is not heading]
        if within and (len(card_headings(box)) < 2
                       or any(child.text_content().strip() and not card_headings(child) and not _only_links(child)
                              for child in cards)):
            continue  # in the article's box, only a box of cards of other stories (and links)
        if any(longer_than(block, _TEASER_PARAGRAPH) for block in box.iter("p", "li", "h3", "h4", "div")
               if block.find(".//p") is None and block.find(".//div") is None):
            continue  # a paragraph of writing: links and teasers are short
        if within and not _text_after(box, scope):
            # At the foot of the story: the heading stays for the text rules to end the text at.
            for card in cards:
                removals.drop(card, "related box")
        else:
            removals.drop(box, "related box")


def card_headings(box: HtmlElement) -> list[HtmlElement]:
    """The linked headings in `box` that link away from the page: a live
    page's entries under "Latest" link to themselves (#entry-3)."""
    return [h for h in _linked_headings(box)
            if not all(len(a.get("href") or "") > 1 and (a.get("href") or "").startswith("#")
                       for a in [*h.iter("a"), *h.iterancestors("a")])]


def _only_links(el: HtmlElement) -> bool:
    """Whether all the text of `el` is the text of its links ("All news")."""
    words = "".join(el.text_content().split())
    return bool(words) and words == "".join("".join(a.text_content().split()) for a in el.iter("a"))


def _text_after(el: HtmlElement, scope: HtmlElement) -> bool:
    """Whether any text follows `el` inside `scope`."""
    node = el
    while node is not scope and node is not None:
        if (node.tail or "").strip() or any(
                (sibling.tail or "").strip() or (isinstance(sibling.tag, str) and sibling.text_content().strip())
                for sibling in node.itersiblings()):
            return True
        node = node.getparent()
    return False


def longer_than(el: HtmlElement, limit: int) -> bool:
    """Whether the text of `el` runs over `limit` characters. One
    text_content() (in C) costs less than reading the pieces of text in
    Python only as far as the limit, even on boxes far over it: a quarter of
    the cleaning's time on news pages."""
    return len(el.text_content()) > limit


def _walk(root: HtmlElement, visit) -> None:
    """Top-down over the elements under `root`; when `visit(el)` returns True
    (it removed `el`, or what is under it is of no interest) the walk does
    not go below `el`."""
    stack = [root]
    while stack:
        for child in list(stack.pop()):
            if isinstance(child.tag, str) and not visit(child):
                stack.append(child)


def _mark_attribution(block: HtmlElement, site_names: list[str]) -> bool:
    """Make `block` a plain marked paragraph if its text is an attribution
    line ("Read more at <a>X</a>", "Via X"): link-density rules and the
    pruning of the footer it sits in would drop it. True when it was."""
    if longer_than(block, 2 * MAX_ATTRIBUTION):
        return False
    text = " ".join(block.text_content().split())
    if not 0 < len(text) <= MAX_ATTRIBUTION or not attribution_line(text, site_names):
        return False
    for child in list(block):
        child.drop_tree()
    block.clear()
    block.tag, block.text = "p", text
    block.set(_MARK, "attribution")
    return True


def marked_attributions(tree: HtmlElement) -> list[str]:
    """The attribution blocks `prepare_tree` marked that the cleaning left
    on the page (those of later articles, story cards and comments are
    gone), in page order."""
    return [el.text or "" for el in tree.iterfind(f".//*[@{_MARK}]")]


def _prune_furniture(body: HtmlElement, headline: HtmlElement | None, scope: HtmlElement,
                     site_names: list[str], removals: Removals) -> None:
    """Remove the elements `furniture_rule` names (outermost first), unless
    one holds the headline or most of the page's text; on the same walk,
    mark the attribution blocks of the article's box (`_mark_attribution`),
    those of its footer included, which are kept when the footer goes."""
    keep = set(headline.iterancestors()) | {headline} if headline is not None else set()
    total = len(body.text_content())
    stack = [(child, child is scope) for child in reversed(body)]
    while stack:
        el, inside = stack.pop()
        if not isinstance(el.tag, str):
            continue
        if el not in keep and el.tag not in {"html", "body", "main"}:
            rule = furniture_rule(el)
            if rule is not None and not (total and longer_than(el, _ARTICLE_SHARE * total - 1)):
                if inside and el.tag == "footer":  # an article's footer may name its source
                    for block in list(el.iter(*_TEXT_BLOCKS)):
                        if block.getroottree().getroot() is el.getroottree().getroot() \
                                and _mark_attribution(block, site_names):
                            el.addprevious(block)
                removals.drop(el, rule)
                continue
            if inside and el.tag in _TEXT_BLOCKS and _mark_attribution(el, site_names):
                continue
        stack.extend((child, inside or child is scope) for child in reversed(el))


def _is_furniture(el: HtmlElement) -> bool:
    return furniture_rule(el) is not None


def furniture_rule(el: HtmlElement) -> str | None:
    """Why `el` is page furniture, as a rule name ("tag <aside>", "role
    navigation", "class share", "hidden", "sign-up box"), or None when
    nothing about it says so."""
    return _named_rule(el) or ("sign-up box" if _is_signup_box(el) else None)


def _named_rule(el: HtmlElement) -> str | None:
    """`furniture_rule` by the element's tag, role and names alone."""
    if el.tag in _FURNITURE_TAGS or (el.tag == "header" and el.find(".//p") is None and not _section_heading(el)):
        return f"tag <{el.tag}>"
    # One pass over the attributes the element has (most have one or two)
    # instead of a lookup of each attribute it might have.
    for name, value in el.items():
        if name == "hidden":
            return "hidden"
        if name == "role" and value.lower() in _FURNITURE_ROLES:
            return f"role {value.lower()}"
        # Sites with generated class names still say what a block is in data-*
        # attributes (data-component="newsletter-signup", data-testid="share-bar").
        if name in _NAMING_ATTRS and (token := _furniture_name(value)):
            if token in _LAYOUT_WORDS and (_section_heading(el) or (token in _HEADER_WORDS and _holds_writing(el))):
                continue
            if _OTHER_STORIES.fullmatch(token) and not _TAXONOMY.search(value):
                return "related box"  # other stories, by name: judged as the box a heading opens
            return f"{'class' if name == 'class' else name} {token}"
    return None


# Names that can only be a box of other stories (the floor treats its removal
# as it treats a "related box" a heading opens: one may hold most of a short
# page's text). Not "related", "popular" or "trending" alone: WordPress names
# an article's tags and categories in its classes ("tag-popular").
_OTHER_STORIES = re.compile(r"related-?(?:posts?|articles?|stories|links|content)|yarpp|relpost"
                            r"|most-?(?:read|viewed|popular)|read-?next|up-?next|more-?stories|next-?stories"
                            r"|outbrain|taboola|zergnet|revcontent")
_TAXONOMY = re.compile(r"(?:^|\s)(?:tag|category|cat)-", re.IGNORECASE)


# Words that say where a block sits in the layout, not what it is. A box
# they name is not furniture when it is a section heading (a CMS wraps the
# subheadings of an article in "header" blocks, a table of contents anchors
# them with "nav" ids); one named a header is not when it holds writing of
# its own (the standfirst in the article's header box), as the <header> tag
# is not when it holds a paragraph.
_LAYOUT_WORDS = frozenset({"header", "masthead", "nav", "navbar", "menu"})
_HEADER_WORDS = frozenset({"header", "masthead"})
_SECTION_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
_MAX_SECTION_HEADING = 150
# A block of writing: this long, with a sentence in it.
_MIN_WRITING = 120
_SENTENCE = re.compile(r"[.!?…]\s|[.!?…]$")


def _section_heading(el: HtmlElement) -> bool:
    """Whether `el` is a subheading of text, or a box around one and nothing
    else: an h2-h6 without a link (a linked heading is a teaser's)."""
    text = " ".join(el.text_content().split())
    if not 0 < len(text) <= _MAX_SECTION_HEADING:
        return False
    heading = el if el.tag in _SECTION_HEADINGS else next(el.iter(_SECTION_HEADINGS), None)
    return (heading is not None and heading.find(".//a[@href]") is None
            and " ".join(heading.text_content().split()) == text)


def _holds_writing(el: HtmlElement) -> bool:
    """Whether `el` holds a paragraph of writing: a block without blocks
    inside whose text is at least `_MIN_WRITING` characters and holds a
    sentence."""
    if not longer_than(el, _MIN_WRITING - 1):
        return False
    for block in el.iter("p", "div"):
        if block.find(".//p") is not None or block.find(".//div") is not None:
            continue
        text = " ".join(block.text_content().split())
        if len(text) >= _MIN_WRITING and _SENTENCE.search(text):
            return True
    return False


_NAMING_ATTRS = frozenset({"class", "id", "data-component", "data-testid", "data-test-id", "data-module",
                           "data-link-name", "data-type", "data-block"})



@lru_cache(maxsize=4096)
def _furniture_name(value: str) -> str | None:
    """The word of a class, id or data-* value that names furniture, lower-
    cased ("share", "related"), or None. Cached: a page repeats its class
    names, a site repeats them on every page."""
    found = _FURNITURE_ATTR.search(value)
    return found.group().strip(" _-").lower() if found else None


_SIGNUP_CALL = re.compile(r"^\s*(?:sign\s*up|subscribe|get (?:our|the) \w+(?: \w+)? newsletter|join our newsletter)\b",
                          re.IGNORECASE)
_SIGNUP_BOX_CHARS = 500
# Every sign-up call holds one of these: a box without any is not one.
_SIGNUP_HINT = re.compile(r"sign\s*up|subscribe|newsletter", re.IGNORECASE)
_SIGNUP_PITCH_CHARS = 150  # "One email every Sunday with everything we published…"; a story's paragraph runs longer


def _is_signup_box(el: HtmlElement) -> bool:
    """A short block that opens with a sign-up call, or whose button or link
    is one and which holds no paragraph of writing, whatever its classes. (A
    one-paragraph story with a sign-up box inside its container is short
    too: its own paragraph comes first and is longer than a pitch.)"""
    if el.tag not in {"div", "section", "figure"}:
        return False
    if longer_than(el, _SIGNUP_BOX_CHARS) or not _SIGNUP_HINT.search(el.text_content()):
        return False
    if _opens_with_signup_call(el):
        return True
    calls = el.xpath(".//button|.//a")
    if not any(_SIGNUP_CALL.match(c.text_content() or "") for c in calls[:6]):
        return False
    if not all(len(p.text_content()) <= _SIGNUP_PITCH_CHARS for p in el.iter("p")):
        return False
    # A block around a box that is furniture by itself (a short story's container, its one
    # paragraph beside an inline sign-up box) is not the box: the box alone goes. (By its
    # names or its opening call: no recursion, which nested wrappers would make exponential.)
    return not any(_named_rule(d) is not None or _opens_with_signup_call(d)
                   for d in el.iterdescendants("div", "section", "figure", "form"))


def _opens_with_signup_call(el: HtmlElement) -> bool:
    """Whether the first text in `el` is a sign-up call ("Sign up to …")."""
    first = next((d for d in el.iterdescendants() if isinstance(d.tag, str) and (d.text or "").strip()), None)
    return first is not None and _SIGNUP_CALL.match(first.text_content()) is not None
