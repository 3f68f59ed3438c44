"""The download handler: Scrapy's HTTP/1.1 one, keeping every connection
alive, and the last word on whether a request goes out at all.

Scrapy hands the downloader up to CONCURRENT_REQUESTS requests at once; a
host's share waits in its slot for the host's delay, often for many
seconds. What holds when a request was handed over may not hold when its
turn comes, so two things are decided when it is about to be sent:

- the crawl is stopping (Ctrl-C, SIGTERM, the store cannot write): requests
  still waiting are not sent (`NotRequested`, not recorded: the next crawl
  finds them where this one did); the pages in flight finish;
- the source has sent as many page requests as its `max_pages` (each
  page once, its redirects and retries included; a page that failed
  counts): its page requests are not sent (counted as pages over
  max_pages). Counted when sent, not when handed over, so no more pages
  are downloaded than that, and none is downloaded to be thrown away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from crawler.crawl.failures import NotRequested
from crawler.crawl.meta import KIND, PAGE, START, source_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response


class KeepAliveDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, whose pool keeps twice as many idle
    connections per host as requests may be in flight to it. Scrapy sizes the
    pool to exactly that many, but a request can start (its slot is free once
    the response is handed over) before the connection that carried that
    response is back in the pool: it opens a new connection, and the pool,
    full when the other one returns, closes one. Measured on a crawl of 300
    pages of a local site at 16 requests per host: 123 connections opened
    and closed, 32 with the larger pool. The number of requests in flight is
    the downloader's business and does not change."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        pool = getattr(self, "_pool", None)  # Scrapy's own attribute: left alone if it is ever renamed
        if pool is not None and hasattr(pool, "maxPersistentPerHost"):
            pool.maxPersistentPerHost *= 2

    async def download_request(self, request: Request) -> Response:
        if _stopping(self._crawler):
            raise NotRequested("the crawl is stopping: not sent")
        state = _capped_state(self._crawler, request)
        if state is not None and not request.meta.get(COUNTED):  # a redirect's or a retry's next hop: counted
            if state.pages_sent >= state.source.max_pages:
                self._crawler.spider.count(state.source.name, "pages_over_max_pages")
                raise NotRequested(f"{state.source.name} reached max_pages")
            state.pages_sent += 1
            request.meta[COUNTED] = True
        return await super().download_request(request)


# On a page request counted in its source's `pages_sent` (its redirects and
# retries carry it along: one page, one count).
COUNTED = "wirecrawl_counted"


def _stopping(crawler: Crawler) -> bool:
    """Whether the crawl is closing: asked to stop, or closing its spider
    (Scrapy's engine slot, looked up with care: not public)."""
    engine = getattr(crawler, "engine", None)
    if engine is None:
        return False
    slot = getattr(engine, "_slot", None)
    return not getattr(engine, "running", True) or getattr(slot, "closing", None) is not None


def _capped_state(crawler: Crawler, request: Request):
    """The crawl state of the source of a page request whose source has a
    `max_pages`, else None."""
    if request.meta.get(KIND) not in (PAGE, START):
        return None
    states = getattr(crawler.spider, "states", None)
    state = states.get(source_of(request) or "") if states else None
    if state is None or state.source.max_pages is None:
        return None
    return state
