"""The download handler: Scrapy's HTTP/1.1 one, keeping every connection
alive, and the last word on whether a request goes out at all.

Scrapy hands the downloader up to CONCURRENT_REQUESTS requests at once; a
host's share waits in its slot for the host's delay, often for many
seconds. What holds when a request was handed over may not hold when its
turn comes, so two things are decided when it is about to be sent:

- the crawl is stopping (Ctrl-C, SIGTERM, the store cannot write): requests
  still waiting are not sent (`NotRequested`, not recorded: the next crawl
  finds them where this one did); the pages in flight finish;
- the source has as many pages yielded and in flight as its `max_pages`:
  its page requests are not sent (counted as pages over max_pages).
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
        state = _capped_state(self._crawler, request)
        if state is not None:
            release(state, request)  # a redirect's or a retry's next hop: the hop before is over
        if _stopping(self._crawler):
            raise NotRequested("the crawl is stopping: not sent")
        if state is None:
            return await super().download_request(request)
        if state.pages_yielded + state.pages_in_flight >= state.source.max_pages:
            self._crawler.spider.count(state.source.name, "pages_over_max_pages")
            raise NotRequested(f"{state.source.name} reached max_pages")
        state.pages_in_flight += 1
        request.meta[IN_FLIGHT] = True
        try:
            return await super().download_request(request)
        except BaseException:
            release(state, request)
            raise


# On a page request counted in its source's `pages_in_flight`, until its
# response or failure reaches the spider (`release`).
IN_FLIGHT = "wirecrawl_in_flight"


def release(state, request: Request) -> None:
    """Take `request` out of its source's pages in flight, if it was counted
    there (once: the spider calls this when the response or the failure
    reaches it, the handler when the download fails or a redirect or retry
    sends the request again)."""
    if request.meta.pop(IN_FLIGHT, False):
        state.pages_in_flight -= 1


def release_request(crawler: Crawler, request: Request) -> None:
    """`release` for a request whose source state is to be looked up: a
    failure, or a request the duplicate filter dropped (a redirect to a page
    fetched already)."""
    state = _state_of(crawler, request)
    if state is not None:
        release(state, request)


def _state_of(crawler: Crawler, request: Request):
    """The spider's state of the source `request` is for, or None."""
    states = getattr(crawler.spider, "states", None)
    return states.get(source_of(request) or "") if states else None


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
    state = _state_of(crawler, request)
    if state is None or state.source.max_pages is None:
        return None
    return state
