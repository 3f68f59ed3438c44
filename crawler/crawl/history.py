"""Incremental recrawl: article pages stored recently are not requested, and
the others are requested with `If-None-Match` / `If-Modified-Since` from the
fetch history."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import IgnoreRequest

from crawler.crawl.meta import FIRST_FETCH, LAST_FETCH, is_article_request, requested_url
from crawler.crawl.stats import stat_key
from crawler.ingest.outcomes import SKIPPED
from storage.records import FetchRecord
from storage.store import Store
from storage.utc import utc_now

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class RecentlyFetched(IgnoreRequest):
    """An article page stored (or confirmed unchanged) within the recrawl interval."""


class FetchHistoryMiddleware:
    """Looks each article page up in the fetch history before it is requested.

    Stored and confirmed within WIRECRAWL_RECRAWL_INTERVAL_HOURS: not
    requested (counted as skipped, recently_fetched). Otherwise the stored
    validators are sent, so an unchanged page costs a 304 and nothing else.

    The source's own history (up to WIRECRAWL_HISTORY_PRELOAD_MAX URLs) is
    read once when the crawl opens, so a recrawl decides at scheduling time,
    without a query per page. Other URLs are looked up when they are about to
    be downloaded, in a thread (the reactor never waits on the database),
    unless the store holds no document fetched for anyone else (another
    source, an ad-hoc ingest): then the preloaded history is all there is,
    and a URL not in it is new. A query per new page cost the crawl process
    a fifth of its CPU on a first crawl. When the store holds no fetch at all
    but this source's, a URL this source never fetched is marked
    `meta.FIRST_FETCH` (and its Page `first_fetch`): its extraction
    process then skips the same-body check, which would find nothing."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.stats = crawler.stats
        self.source = s.get("WIRECRAWL_SOURCE_NAME")
        self.interval = timedelta(hours=s.getfloat("WIRECRAWL_RECRAWL_INTERVAL_HOURS", 24.0))
        self.preload_max = s.getint("WIRECRAWL_HISTORY_PRELOAD_MAX", 200_000)
        self.store = Store(s.get("WIRECRAWL_DATABASE_URL"), s.get("WIRECRAWL_DATA_DIR") or "data")
        self.readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wirecrawl-history")
        self.known: dict[str, FetchRecord] = {}
        self.complete = False  # `known` is the whole history of every URL
        # Every URL the store has any fetch of, when that is known (the store
        # holds only this source's fetches); None when it is not.
        self.ever_fetched: set[str] | None = None
        crawler.signals.connect(self.load_history, signal=signals.spider_opened)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "FetchHistoryMiddleware":
        return cls(crawler)

    async def load_history(self, spider: Spider) -> None:
        self.known, self.complete, self.ever_fetched = await asyncio.get_running_loop().run_in_executor(
            self.readers, self._source_history)

    def _source_history(self) -> tuple[dict[str, FetchRecord], bool, set[str] | None]:
        """URL -> newest fetch that made or confirmed a document, for this
        source; whether that is the history of every URL in the store; and,
        when the store holds no fetch at all but this source's, every URL it
        has fetched (whatever came of it)."""
        history = self.store.source_history(self.source, limit=self.preload_max + 1)
        if len(history.newest) > self.preload_max:
            logger.info("more than %d URLs in the history of %s: looked up one by one", self.preload_max,
                        self.source)
            return {}, False, None
        urls = history.urls
        ever_fetched = set(urls) if urls is not None and len(urls) <= self.preload_max else None
        return {record.url: record for record in history.newest}, not history.others_have_documents, ever_fetched

    def close(self) -> None:
        self.readers.shutdown(wait=True)
        self.store.close()

    def _fresh(self, last: FetchRecord) -> bool:
        return utc_now() - last.fetched_at < self.interval

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        if not is_article_request(request) or LAST_FETCH in request.meta:
            return
        last = self.known.get(requested_url(request))
        if last is None:
            return  # not in this source's history: looked up before download
        if self._fresh(last):
            self.stats.inc_value(stat_key(SKIPPED, "recently_fetched"))
            raise RecentlyFetched("within the recrawl interval")  # Scrapy drops it unscheduled
        request.meta[LAST_FETCH] = last

    async def process_request(self, request: Request) -> None:
        if not is_article_request(request):
            return None
        # Retries and redirects inherit the first lookup (and its headers).
        if LAST_FETCH not in request.meta and self.complete:
            request.meta[LAST_FETCH] = None  # not in the whole history: a new page
            if self.ever_fetched is not None and requested_url(request) not in self.ever_fetched:
                # Never fetched at all: its extraction process need not look for an earlier body.
                request.meta[FIRST_FETCH] = True
        if LAST_FETCH not in request.meta:
            lookup = partial(self.store.last_fetch, requested_url(request), with_document=True)
            last = await asyncio.get_running_loop().run_in_executor(self.readers, lookup)
            request.meta[LAST_FETCH] = last
            if last is not None and self._fresh(last):
                self.stats.inc_value(stat_key(SKIPPED, "recently_fetched"))
                raise RecentlyFetched(f"stored {last.fetched_at:%Y-%m-%d %H:%M} UTC, within the recrawl interval")
        last = request.meta[LAST_FETCH]
        if last is not None:
            if last.etag:
                request.headers.setdefault("If-None-Match", last.etag)
            if last.last_modified:
                request.headers.setdefault("If-Modified-Since", last.last_modified)
        return None

