"""Site templates written by the wirecrawl authors: they render one article
into a complete HTML page the way different kinds of real sites do, with the
chrome those sites carry around an article (menus, donation appeals, share
buttons, comment threads, newsletter boxes, related stories, advertising
slots, view counters, further posts loaded by infinite scroll).

All boilerplate wording is our own. The extraction tests and benchmarks use
these pages because the article text on them is known exactly.

    html = render_article_page("wordpress", title=..., paragraphs=[...],
                               site_name="Harbour Post", url="https://...")
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import escape
from typing import Callable, Sequence
from urllib.parse import urljoin

TEMPLATES: list[str] = ["wordpress", "blogger", "newspaper", "amp", "minimal", "legacy"]

# Where a template puts the attribution line depends on its kind: a dateline
# ("(AFP) —") opens the first paragraph, a pointer back to the source
# ("Read more at …", "© AFP 2016") closes the article, "Via X" heads it.
_CLOSING_ATTRIBUTION = ("read more", "continue reading", "originally", "this article", "this story",
                        "first published", "©", "copyright", "source")

_COMMENTS = [
    ("M. Okafor", "I have followed this for months and the timeline here is the clearest I have read. "
                  "The part about the second meeting deserves its own piece, honestly."),
    ("lindenfan", "Respectfully, the officials quoted are hardly neutral. I would like to see the other "
                  "side asked the same questions before anyone draws conclusions from this."),
    ("R. Castellanos", "Good write-up. Small correction: the committee vote was on a Thursday, not a "
                       "Wednesday, if I remember the schedule they published."),
]


def render_article_page(
    template: str,
    *,
    title: str,
    paragraphs: list[str],
    site_name: str,
    url: str,
    author: str | None = None,
    published: str | None = None,
    lang: str = "en",
    tags: Sequence[str] = (),
    canonical_url: str | None = None,
    attribution: str | None = None,
    more_articles: Sequence[tuple[str, list[str]]] = (),
    charset: str = "utf-8",
) -> str:
    """A full HTML page for one article in the named template (one of
    `TEMPLATES`). `published` is ISO 8601; `attribution` is a line such as
    "Via Example Wire", "(AFP) —" or "Read more at Example News", placed where
    that kind of site puts it; `more_articles` are (title, paragraphs) of
    further posts shown below the article (infinite scroll); `charset` is only
    declared, the caller encodes the returned text with it.

    Raises ValueError for an unknown template or an article without paragraphs."""
    if template not in _RENDERERS:
        raise ValueError(f"unknown template {template!r}; choose one of {TEMPLATES}")
    if not paragraphs:
        raise ValueError("an article needs at least one paragraph")
    page = _Page(title, list(paragraphs), site_name, url, author, published, lang, list(tags),
                 canonical_url or url, attribution, list(more_articles), charset)
    return _RENDERERS[template](page)


def render_index_page(site_name: str, links: list[tuple[str, str]]) -> str:
    """A site's home or section page: a menu and one teaser per (url, title) in
    `links`, in that order. Has no article of its own."""
    teasers = "\n".join(
        f'<article class="teaser"><h2><a href="{escape(href)}">{escape(text)}</a></h2>'
        f'<p class="teaser-meta">Updated today</p></article>'
        for href, text in links
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(site_name)} | Home</title></head>
<body><header><p class="brand"><a href="/">{escape(site_name)}</a></p>
<nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/opinion/">Opinion</a></nav></header>
<main><h1>Latest from {escape(site_name)}</h1>
{teasers}
</main>
<footer><p>{escape(site_name)} · <a href="/about/">About</a> · <a href="/feed.xml">Feed</a></p></footer>
</body></html>
"""


class _Page:
    def __init__(self, title, paragraphs, site, url, author, published, lang, tags, canonical,
                 attribution, more, charset):
        self.title, self.paragraphs, self.site, self.url = title, paragraphs, site, url
        self.author, self.published, self.lang, self.tags = author, published, lang, tags
        self.canonical, self.attribution, self.more, self.charset = canonical, attribution, more, charset

    def body_paragraphs(self) -> list[str]:
        """The paragraphs as escaped HTML, with the attribution where it goes."""
        paras = [escape(p) for p in self.paragraphs]
        line = self.attribution
        if not line:
            return paras
        if line.rstrip().endswith(("—", "–", "-")):
            paras[0] = f"{escape(line.rstrip())} {paras[0]}"
        elif line.lower().startswith(_CLOSING_ATTRIBUTION):
            paras.append(f"<em>{_linked_source(line)}</em>")
        else:
            paras.insert(0, f"<em>{_linked_source(line)}</em>")
        return paras

    def date(self, fmt: str) -> str:
        if not self.published:
            return ""
        return datetime.fromisoformat(self.published.replace("Z", "+00:00")).strftime(fmt)

    def json_ld(self, kind: str = "NewsArticle") -> str:
        data = {"@context": "https://schema.org", "@type": kind, "headline": self.title,
                "mainEntityOfPage": self.canonical,
                "publisher": {"@type": "Organization", "name": self.site}}
        if self.published:
            data["datePublished"] = self.published
        if self.author:
            data["author"] = {"@type": "Person", "name": self.author}
        if self.tags:
            data["keywords"] = list(self.tags)
        return f'<script type="application/ld+json">{json.dumps(data)}</script>'

    def absolute(self, path: str) -> str:
        return urljoin(self.url, path)


def _linked_source(line: str) -> str:
    """ "Read more at Example News" with the source's name as a link, as sites print it."""
    match = re.match(r"(?i)(.*?\b(?:via|at|on|from|by))\s+(.+)$", line)
    if not match:
        return escape(line)
    return f'{escape(match.group(1))} <a href="https://{_slug(match.group(2))}.example/">{escape(match.group(2))}</a>'


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:60] or "post"


def _paras(items: list[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return "\n".join(f"<p{attr}>{p}</p>" for p in items)


def _comment_list() -> str:
    return "\n".join(
        f'<li class="comment"><article class="comment-body"><footer class="comment-meta">'
        f'<b class="fn">{escape(name)}</b> <span class="says">wrote:</span></footer>'
        f'<div class="comment-content"><p>{escape(text)}</p></div>'
        f'<div class="reply"><a class="comment-reply-link" href="#respond">Reply</a></div></article></li>'
        for name, text in _COMMENTS
    )


# ---------------------------------------------------------------- wordpress

def _wordpress(p: _Page) -> str:
    tags = "".join(f'<meta property="article:tag" content="{escape(t)}">' for t in p.tags)
    published = f'<meta property="article:published_time" content="{escape(p.published)}">' if p.published else ""
    posts = [_wordpress_post(p, p.title, p.body_paragraphs(), 0)]
    posts += [_wordpress_post(p, t, [escape(x) for x in paras], i + 1) for i, (t, paras) in enumerate(p.more)]
    return f"""<!DOCTYPE html>
<html lang="{escape(p.lang)}">
<head>
<meta charset="{escape(p.charset)}">
<title>{escape(p.title)} &#8211; {escape(p.site)}</title>
<link rel="canonical" href="{escape(p.canonical)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(p.title)}">
<meta property="og:site_name" content="{escape(p.site)}">
<meta property="og:url" content="{escape(p.canonical)}">
{published}{tags}
</head>
<body class="post-template-default single single-post single-format-standard">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">Skip to content</a>
<header id="masthead" class="site-header">
<p class="site-title"><a href="/" rel="home">{escape(p.site)}</a></p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
<li><a href="/">Home</a></li><li><a href="/category/world/">World</a></li>
<li><a href="/category/analysis/">Analysis</a></li><li><a href="/about/">About us</a></li></ul></nav>
<div class="header-social">Find us on <a href="#">Telegram</a> <a href="#">Mastodon</a></div>
</header>
<div id="content" class="site-content"><div id="primary" class="content-area">
<main id="main" class="site-main"><div id="infinite-wrap">
{"".join(posts)}
</div></main></div>
<aside id="secondary" class="widget-area">
<section class="widget widget_newsletter"><h2 class="widget-title">Our weekly letter</h2>
<p>One email every Sunday with everything we published. No spam, unsubscribe any time.</p>
<form><input type="email" placeholder="you@example.org"><button>Count me in</button></form></section>
<section class="widget widget_popular"><h2 class="widget-title">Most read this week</h2><ul>
<li><a href="/2016/harbour-dues/">Port authority doubles harbour dues overnight</a></li>
<li><a href="/2016/ferry-strike/">Ferry crews walk out over rota changes</a></li></ul></section>
<section class="widget widget_ad"><p class="ad-label">Advertisement</p><div class="ad-unit"></div></section>
</aside></div>
<footer id="colophon" class="site-footer"><div class="site-info">&copy; {p.date('%Y') or '2016'} {escape(p.site)}. Built with a content management system.</div></footer>
</div></body></html>
"""


def _wordpress_post(p: _Page, title: str, paras: list[str], index: int) -> str:
    author = (f'<span class="byline">by <span class="author vcard"><a class="url fn n" '
              f'href="/author/{_slug(p.author)}/">{escape(p.author)}</a></span></span>') if p.author else ""
    posted = (f'<span class="posted-on">Published on <time class="entry-date published" '
              f'datetime="{escape(p.published)}">{p.date("%B %d, %Y")}</time></span>') if p.published else ""
    tag_links = ", ".join(f'<a href="/tag/{_slug(t)}/" rel="tag">{escape(t)}</a>' for t in p.tags)
    tag_classes = " ".join(f"tag-{_slug(t)}" for t in p.tags)
    return f"""
<article id="post-{1000 + index}" class="post-{1000 + index} post type-post status-publish hentry {tag_classes}">
<header class="entry-header"><h1 class="entry-title">{escape(title)}</h1>
<div class="entry-meta">{author} {posted} <span class="post-views">{3 + index},{214 + index} views</span></div>
</header>
<div class="entry-content">
{_paras(paras)}
</div>
<div class="support-box"><p>Found this worth your time? {escape(p.site)} runs on reader money alone &#8212; pledge a little each month on Patreon.</p>
<a class="button" href="#">Become a patron</a></div>
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Pass it on:</h3>
<ul><li><a class="share-facebook" href="#">Facebook</a></li><li><a class="share-x" href="#">X</a></li><li><a class="share-email" href="#">Email</a></li></ul></div>
<footer class="entry-footer"><span class="cat-links">Filed in <a href="/category/world/">World</a></span>
<span class="tags-links">Tagged {tag_links}</span></footer>
<div class="comments-link"><a href="#respond">Tap here to add your comment</a></div>
<div id="comments" class="comments-area">
<h2 class="comments-title">{len(_COMMENTS)} responses to &#8220;{escape(title)}&#8221;</h2>
<ol class="comment-list">{_comment_list()}</ol>
<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Have your say</h3>
<form class="comment-form"><p class="comment-notes">We never show your email address. Fields marked * are needed.</p>
<textarea name="comment"></textarea><input name="author"><button>Send comment</button></form></div>
</div>
<div class="load-next"><a href="#">Keep reading</a></div>
</article>
"""


# ---------------------------------------------------------------- blogger

def _blogger(p: _Page) -> str:
    posts = [_blogger_post(p, p.title, p.body_paragraphs(), 0)]
    posts += [_blogger_post(p, t, [escape(x) for x in paras], i + 1) for i, (t, paras) in enumerate(p.more)]
    return f"""<!DOCTYPE html>
<html class="v2" dir="ltr" lang="{escape(p.lang)}">
<head>
<meta content="text/html; charset={escape(p.charset)}" http-equiv="Content-Type">
<title>{escape(p.site)}: {escape(p.title)}</title>
<link href="{escape(p.canonical)}" rel="canonical">
<meta content="{escape(p.canonical)}" property="og:url">
<meta content="{escape(p.title)}" property="og:title">
</head>
<body>
<div class="outer-wrapper">
<div class="header-outer"><div class="header section" id="header"><div class="widget Header" id="Header1">
<div id="header-inner"><div class="titlewrapper"><h1 class="title"><a href="/">{escape(p.site)}</a></h1></div>
<div class="descriptionwrapper"><p class="description"><span>Notes and commentary, posted most weekdays.</span></p></div>
</div></div></div></div>
<div class="main-outer"><div class="main section" id="main"><div class="widget Blog" id="Blog1">
<div class="blog-posts hfeed">
{"".join(posts)}
</div>
<div class="blog-pager" id="blog-pager"><a class="blog-pager-newer-link" href="#">Newer Post</a>
<a class="blog-pager-older-link" href="#">Older Post</a> <a class="home-link" href="/">Home</a></div>
</div></div></div>
<div class="sidebar-outer"><div class="sidebar section" id="sidebar-right-1">
<div class="widget PopularPosts"><h2>Popular Posts</h2><ul><li><a href="#">What the harbour vote means</a></li>
<li><a href="#">Ten years of this blog</a></li></ul></div>
<div class="widget FollowByEmail"><h2 class="title">Follow by Email</h2><form><input placeholder="Email address..."><button>Submit</button></form></div>
<div class="widget BlogArchive"><h2>Blog Archive</h2><ul><li>December (14)</li><li>November (22)</li></ul></div>
</div></div>
</div>
</body></html>
"""


def _blogger_post(p: _Page, title: str, paras: list[str], index: int) -> str:
    # Blogger bodies are one block of text broken by <br>s, and many bloggers
    # paste the headline again in bold at the top of the body.
    body = "<br /><br />\n".join([f"<b>{escape(title)}</b>"] + paras)
    labels = ", ".join(f'<a href="/search/label/{_slug(t)}" rel="tag">{escape(t)}</a>' for t in p.tags)
    author = (f'<span class="post-author vcard">Posted by <span class="fn" itemprop="author">'
              f'<span itemprop="name">{escape(p.author)}</span></span></span>') if p.author else ""
    stamp = (f'<span class="post-timestamp">at <a class="timestamp-link" href="{escape(p.url)}" rel="bookmark">'
             f'<abbr class="published" itemprop="datePublished" title="{escape(p.published)}">'
             f'{p.date("%I:%M %p")}</abbr></a></span>') if p.published else ""
    return f"""
<div class="date-outer"><h2 class="date-header"><span>{p.date("%A, %B %d, %Y")}</span></h2>
<div class="date-posts"><div class="post-outer">
<div class="post hentry uncustomized-post-template" itemscope itemtype="http://schema.org/BlogPosting">
<a name="{4242 + index}"></a>
<h3 class="post-title entry-title" itemprop="name">{escape(title)}</h3>
<div class="post-header"><div class="post-header-line-1"></div></div>
<div class="post-body entry-content" id="post-body-{4242 + index}" itemprop="description articleBody">
{body}
<div style="clear: both;"></div></div>
<div class="post-footer"><div class="post-footer-line post-footer-line-1">{author} {stamp}
<span class="post-comment-link"><a class="comment-link" href="#comments">No comments:</a></span></div>
<div class="post-share-buttons goog-inline-block"><a class="share-button sb-email" href="#"><span class="share-button-link-text">Email This</span></a>
<a class="share-button sb-blog" href="#"><span class="share-button-link-text">BlogThis!</span></a>
<a class="share-button sb-facebook" href="#"><span class="share-button-link-text">Share to Facebook</span></a></div>
<div class="post-footer-line post-footer-line-2"><span class="post-labels">Labels: {labels}</span></div></div>
</div>
<div class="comments" id="comments"><h4>No comments:</h4><div id="comment-form"><p>Post a Comment</p></div></div>
</div></div></div>
"""


# ---------------------------------------------------------------- newspaper

def _newspaper(p: _Page) -> str:
    nxt = "".join(_newspaper_story(p, t, [escape(x) for x in paras]) for t, paras in p.more)
    nxt = f'<section class="next-stories"><h2 class="section-label">Up next</h2>{nxt}</section>' if nxt else ""
    return f"""<!DOCTYPE html>
<html lang="{escape(p.lang)}">
<head>
<meta charset="{escape(p.charset)}">
<title>{escape(p.title)} | {escape(p.site)}</title>
<meta name="description" content="{escape(p.paragraphs[0][:150])}">
<link rel="canonical" href="{escape(p.canonical)}">
<meta property="og:title" content="{escape(p.title)}">
<meta property="og:site_name" content="{escape(p.site)}">
{p.json_ld()}
</head>
<body>
<div class="cookie-consent">We use cookies to understand how the site is read. <button>Fine by me</button></div>
<header class="masthead"><a class="logo" href="/">{escape(p.site)}</a>
<nav class="section-nav"><a href="/world">World</a> <a href="/politics">Politics</a> <a href="/business">Business</a>
<a href="/culture">Culture</a> <a href="/opinion">Opinion</a></nav>
<a class="subscribe-cta" href="/subscribe">Subscribe from $1 a week</a></header>
<main id="main-content">
{_newspaper_story(p, p.title, p.body_paragraphs())}
<section class="reader-comments" id="comments"><h2>Readers' comments ({len(_COMMENTS) + 9})</h2>
{"".join(f'<div class="comment"><p class="comment-author">{escape(n)}</p><p>{escape(t)}</p><a class="report-comment" href="#">Flag</a></div>' for n, t in _COMMENTS)}
<div class="report-dialog"><p>Tell us which house rule this comment breaks.</p><p>Thanks &#8212; a moderator will look at it shortly.</p></div>
</section>
<section class="related-coverage"><h2>More on this story</h2>
<article class="teaser"><h3><a href="/world/talks-resume">Talks resume after a week of silence</a></h3><p>Negotiators return to the table.</p></article>
<article class="teaser"><h3><a href="/world/aid-convoy">Aid convoy waits at the border</a></h3><p>Trucks have been idle since Monday.</p></article>
</section>
{nxt}
</main>
<footer class="site-footer"><p>&copy; {p.date('%Y') or '2016'} {escape(p.site)}. All rights reserved.</p>
<a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>
"""


def _newspaper_story(p: _Page, title: str, paras: list[str]) -> str:
    body = []
    for i, para in enumerate(paras):
        body.append(f"<p>{para}</p>")
        if i == 1:
            body.append('<div class="ad-container"><span class="ad-label">Advertisement</span><div class="ad-slot"></div></div>')
        if i == 3:
            body.append('<aside class="newsletter-promo"><h4>The Early Edition</h4><p>The five stories that matter, '
                        'in your inbox before breakfast. Sign up for our newsletter.</p>'
                        '<form><input type="email" placeholder="Your email address"><button>Sign me up</button></form></aside>')
    byline = f'By <a rel="author" href="/staff/{_slug(p.author)}">{escape(p.author)}</a>' if p.author else ""
    when = f'<time datetime="{escape(p.published)}">{p.date("%d %B %Y")}</time>' if p.published else ""
    topics = " ".join(f'<a href="/topic/{_slug(t)}">{escape(t)}</a>' for t in p.tags)
    return f"""<article class="story">
<div class="story-header"><p class="kicker">World</p><h1 class="story-headline">{escape(title)}</h1>
<div class="story-byline">{byline} {when}</div></div>
<figure class="lead-image"><img src="/img/lead.jpg" alt=""><figcaption>Delegates arrive for the meeting. Photograph: staff</figcaption></figure>
<div class="story-body">
{"".join(body)}
</div>
<div class="story-topics">Topics: {topics}</div>
<div class="share-tools"><button>Share on Facebook</button> <button>Share on X</button> <button>Copy link</button></div>
</article>
"""


# ---------------------------------------------------------------- amp

def _amp(p: _Page) -> str:
    more = "".join(_amp_article(p, t, [escape(x) for x in paras], "amp-article next-article") for t, paras in p.more)
    return f"""<!doctype html>
<html amp lang="{escape(p.lang)}">
<head>
<meta charset="{escape(p.charset)}">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<title>{escape(p.title)}</title>
<link rel="canonical" href="{escape(p.canonical)}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
{p.json_ld()}
<style amp-custom>body {{ font-family: Georgia, serif; }} .amp-title {{ font-size: 2rem; }}</style>
</head>
<body>
<amp-sidebar id="menu" layout="nodisplay" side="left"><nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/sport/">Sport</a></nav></amp-sidebar>
<header class="amp-header"><a class="brand" href="/">{escape(p.site)}</a> <button on="tap:menu.toggle">Menu</button></header>
{_amp_article(p, p.title, p.body_paragraphs(), "amp-article")}
{more}
<section class="amp-related"><h2>You might also like</h2><ul>
<li><a href="/world/bridge-reopens/amp/">Bridge reopens after repairs</a></li><li><a href="/world/budget-vote/amp/">Budget vote delayed again</a></li></ul></section>
<footer class="amp-footer">{escape(p.site)} &#183; <a href="#top">Back to top</a></footer>
<amp-analytics type="gtag"><script type="application/json">{{"vars": {{"account": "X-0"}}}}</script></amp-analytics>
</body></html>
"""


def _amp_article(p: _Page, title: str, paras: list[str], cls: str) -> str:
    body = []
    for i, para in enumerate(paras):
        body.append(f"<p>{para}</p>")
        if i == 2:
            body.append('<div class="amp-ad-wrapper"><span class="amp-ad-label">Advertisement</span>'
                        '<amp-ad width="300" height="250" type="doubleclick" data-slot="/1/news"></amp-ad></div>')
    author = f'<span class="amp-author">{escape(p.author)}</span>' if p.author else ""
    when = f'<time datetime="{escape(p.published)}">{p.date("%b %d, %Y")}</time>' if p.published else ""
    return f"""<article class="{cls}">
<header><h1 class="amp-title">{escape(title)}</h1><div class="amp-byline">{author} {when}</div></header>
<amp-img src="/img/lead.jpg" width="1200" height="675" layout="responsive" alt="Delegates at the meeting"></amp-img>
<div class="amp-body">{"".join(body)}</div>
<div class="amp-share"><amp-social-share type="twitter"></amp-social-share><amp-social-share type="facebook"></amp-social-share><amp-social-share type="email"></amp-social-share></div>
<div class="amp-comments-cta"><a href="{escape(p.canonical)}#comments">Read 24 comments on the full site</a></div>
</article>
"""


# ---------------------------------------------------------------- minimal

def _minimal(p: _Page) -> str:
    meta = f'<meta name="author" content="{escape(p.author)}">' if p.author else ""
    if p.published:
        meta += f'<meta name="date" content="{escape(p.published)}">'
    if p.tags:
        meta += f'<meta name="keywords" content="{escape(", ".join(p.tags))}">'
    if p.canonical != p.url:
        meta += f'<link rel="canonical" href="{escape(p.canonical)}">'
    byline = ", ".join(x for x in (escape(p.author or ""), p.date("%d %B %Y")) if x)
    more = "".join(f"<hr>\n<h1>{escape(t)}</h1>\n{_paras([escape(x) for x in paras])}\n" for t, paras in p.more)
    return f"""<!DOCTYPE html>
<html lang="{escape(p.lang)}"><head><meta charset="{escape(p.charset)}"><title>{escape(p.title)}</title>{meta}</head>
<body>
<p><a href="/">{escape(p.site)}</a></p>
<h1>{escape(p.title)}</h1>
<p><em>{byline}</em></p>
{_paras(p.body_paragraphs())}
{more}<hr>
<footer><p>Comments and corrections go to the editor by email.</p></footer>
</body></html>
"""


# ---------------------------------------------------------------- legacy

def _legacy(p: _Page) -> str:
    meta = f'<META NAME="author" CONTENT="{escape(p.author)}">' if p.author else ""
    if p.tags:
        meta += f'<META NAME="keywords" CONTENT="{escape(", ".join(p.tags))}">'
    byline = " | ".join(x for x in (f"By {escape(p.author)}" if p.author else "", p.date("%B %d, %Y")) if x)
    # Sites of this era had no infinite scroll: further stories are a headline list.
    others = "".join(f'<LI><A HREF="/story/{_slug(t)}.html">{escape(t)}</A></LI>' for t, _ in p.more)
    others = f"<BR><B>Other stories today</B><UL>{others}</UL>" if others else ""
    return f"""<HTML><HEAD>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset={escape(p.charset)}">
<TITLE>{escape(p.site)} - {escape(p.title)}</TITLE>{meta}
</HEAD>
<BODY BGCOLOR="#FFFFFF">
<TABLE WIDTH="100%" BORDER="0" CELLPADDING="4">
<TR><TD COLSPAN="2" CLASS="banner"><IMG SRC="/images/logo.gif" ALT="{escape(p.site)}"></TD></TR>
<TR><TD WIDTH="160" VALIGN="top" CLASS="leftnav"><A HREF="/">Front page</A><BR><A HREF="/local/">Local</A><BR>
<A HREF="/world/">World</A><BR><A HREF="/letters/">Letters</A><BR><BR><B>Reader poll</B><BR>Should the ferry run at night?
<FORM><INPUT TYPE="radio" NAME="v">Yes<BR><INPUT TYPE="radio" NAME="v">No<BR><INPUT TYPE="submit" VALUE="Vote"></FORM></TD>
<TD VALIGN="top" CLASS="content">
<FONT FACE="Arial" SIZE="5"><B>{escape(p.title)}</B></FONT><BR>
<FONT SIZE="2">{byline}</FONT><BR><BR>
{"<BR><BR>".join(p.body_paragraphs())}
<BR><BR><FONT SIZE="1">[ <A HREF="#">Printer-friendly version</A> ] [ <A HREF="#">E-mail this story</A> ]</FONT>
{others}
</TD></TR>
<TR><TD COLSPAN="2" ALIGN="center"><FONT SIZE="1">Copyright &copy; 1998-{p.date('%Y') or '2016'} {escape(p.site)}</FONT></TD></TR>
</TABLE></BODY></HTML>
"""


_RENDERERS: dict[str, Callable[[_Page], str]] = {
    "wordpress": _wordpress,
    "blogger": _blogger,
    "newspaper": _newspaper,
    "amp": _amp,
    "minimal": _minimal,
    "legacy": _legacy,
}
