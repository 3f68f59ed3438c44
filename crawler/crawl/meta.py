"""The keys wirecrawl sets in `Request.meta`, named once.

The spider marks whose request it is (`SOURCE`: one crawl fetches for many
sources) and what it fetches (`KIND`); the fetch history middleware adds
what it knows of the URL's last fetch; the retry middleware leaves a note
for the record of a failure. Values of `KIND`:

- `PAGE`: an article URL found in a sitemap, a feed or a link. Only these
  are skipped when fetched recently, and asked conditionally.
- `START`: a start URL. It may be an article too, but it is where new links
  appear, so (like the lists) it is re-read on every run.
- `SITEMAP`, `FEED`, `ROBOTS`: the lists themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy import Request

SOURCE = "wirecrawl_source"  # the name of the source the request is made for
KIND = "wirecrawl_kind"  # what the request fetches: one of the kinds below
PAGE, START, SITEMAP, FEED, ROBOTS = "page", "start", "sitemap", "feed", "robots"

# What a sitemap or a feed said about a page it listed (lastmod, news title…).
SITEMAP_INFO = "wirecrawl_sitemap"
FEED_INFO = "wirecrawl_feed"

# The newest fetch of the URL that made or confirmed a document (a
# FetchRecord), or None when there is none: set before the download.
LAST_FETCH = "wirecrawl_last_fetch"
# The URL was never fetched at all: there is no earlier body to compare with.
FIRST_FETCH = "wirecrawl_first_fetch"
# The page was found by following a link (not listed in a sitemap or a
# feed, which list articles): it may be a section or tag page.
FROM_LINK = "wirecrawl_from_link"
# Why the retries of a request ended early, for the record of its failure.
NOTE = "wirecrawl_note"
# A sitemap tried at a usual path (/sitemap.xml…) that nobody named: when it
# is not there, nothing failed.
GUESS = "wirecrawl_guess"


def requested_url(request: Request) -> str:
    """The URL the spider asked for, before any redirect: the identity the
    fetch history is kept under."""
    return request.meta.get("redirect_urls", [request.url])[0]


def source_of(request: Request) -> str | None:
    """The name of the source a request was made for; None for requests
    Scrapy makes on its own (robots.txt for its middleware)."""
    return request.meta.get(SOURCE)


def is_article_request(request: Request) -> bool:
    """An article page request. Start URLs, sitemaps, feeds and robots.txt
    are where new articles appear: they are re-read every run, never skipped
    nor asked conditionally."""
    return request.meta.get(KIND) == PAGE
