"""Incremental recrawl: article pages fetched recently are not requested, and
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

from crawler.crawl.failures import NotRequested
from crawler.crawl.meta import FIRST_FETCH, FROM_LINK, LAST_FETCH, is_article_request, requested_url, source_of
from crawler.crawl.stats import stat_key
from crawler.ingest.outcomes import FAILED, SKIPPED
from crawler.ingest.urls import canonicalize
from storage.records import FetchRecord
from storage.store import Store
from storage.utc import utc_now

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class RecentlyFetched(NotRequested):
    """An article page fetched and judged within the recrawl interval."""


# How extraction words the rejection of a list of stories, of links or of
# labels (crawler.ingest.extract): a section, tag or home page.
_LISTING_VERDICTS = ("no_article: a list of ", "no_article: only labels")


def read_for_links(request: Request, last: FetchRecord) -> bool:
    """Whether `request` is for a page found by following a link whose last
    fetch rejected its body as a list (of stories, of links, of labels, a
    line of blurb over a list: a section, tag or home page). New articles
    appear on such pages: it is read on every run, never skipped, and in
    full, with no validators (a 304 has no links to follow; an unchanged
    body still costs no extraction). Any other rejected page (too short, no
    text at all, not HTML…), and a page listed in a sitemap or a feed (an
    article by its listing), waits out the recrawl interval."""
    return (bool(request.meta.get(FROM_LINK)) and last.document_id is None and last.outcome == "rejected"
            and (last.reason or "").startswith(_LISTING_VERDICTS))


class FetchHistoryMiddleware:
    """Looks each article page up in the fetch history before it is requested.

    Its newest fetch that received the page and judged it, within the
    source's recrawl_interval_hours: not requested, counted once per crawl
    as skipped, `recently_fetched` when that fetch made or confirmed a
    document, `recently_rejected` when it rejected the body (not an
    article, too short, not HTML…): a rejected page is not downloaded again
    and again; `recently_gone` when the page answered 404 or 410. Otherwise
    that fetch's validators are sent, so an unchanged page costs a 304 and
    nothing else (a rejected one is then rejected again for the same
    reason). Start URLs, feeds, sitemaps and robots.txt are read every run
    (`meta.is_article_request`), and so is a page reached by a link whose
    body was rejected as a list, in full (`read_for_links`).

    The history of the crawl's sources (up to WIRECRAWL_HISTORY_PRELOAD_MAX
    URLs, all sources together) is read once when the crawl opens, so a
    recrawl decides at scheduling time, without a query per page. Other URLs
    are looked up when they are about to be downloaded, in a thread (the
    reactor never waits on the database), unless the store holds no judged
    page fetched for anyone else (another source, an ad-hoc ingest): then
    the preloaded history is all there is, and a URL not in it is new. A
    query per new page cost the crawl process a fifth of its CPU on a first
    crawl. When the store holds no fetch at all but those of the crawl's
    sources, a URL they never fetched is marked `meta.FIRST_FETCH` (and its
    Page `first_fetch`): its extraction process then skips the same-body
    check, which would find nothing. An article URL is requested at most
    once per crawl, whichever sources list it (`crawler.crawl.dupefilter`),
    so what is marked first stays first."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.default_interval = timedelta(hours=s.getfloat("WIRECRAWL_RECRAWL_INTERVAL_HOURS", 24.0))
        self.intervals: dict[str, timedelta] = {}
        self.preload_max = s.getint("WIRECRAWL_HISTORY_PRELOAD_MAX", 200_000)
        self.store = Store(s.get("WIRECRAWL_DATABASE_URL"), s.get("WIRECRAWL_DATA_DIR") or "data")
        self.readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wirecrawl-history")
        self.known: dict[str, FetchRecord] = {}
        self.counted: set[str] = set()  # URLs counted as skipped in this crawl
        self.complete = False  # `known` is the whole history of every URL
        # Every URL the store has any fetch of, when that is known (the store
        # holds only these sources' fetches); None when it is not.
        self.ever_fetched: set[str] | None = None
        crawler.signals.connect(self.load_history, signal=signals.spider_opened)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "FetchHistoryMiddleware":
        return cls(crawler)

    async def load_history(self, spider: Spider) -> None:
        sources = getattr(spider, "sources", {})
        self.intervals = {name: timedelta(hours=s.politeness.recrawl_interval_hours) for name, s in sources.items()}
        self.known, self.complete, self.ever_fetched = await asyncio.get_running_loop().run_in_executor(
            self.readers, partial(self._history, list(sources)))

    def _history(self, sources: list[str]) -> tuple[dict[str, FetchRecord], bool, set[str] | None]:
        """URL -> newest fetch by these sources that judged a page; whether
        that is the history of every URL in the store; and, when the store
        holds no fetch at all but theirs, every URL they have fetched
        (whatever came of it)."""
        if not sources:
            return {}, False, None
        history = self.store.source_history(sources, limit=self.preload_max + 1)
        if len(history.newest) > self.preload_max:
            logger.info("more than %d URLs in the history of these sources: looked up one by one",
                        self.preload_max)
            return {}, False, None
        urls = history.urls
        ever_fetched = set(urls) if urls is not None and len(urls) <= self.preload_max else None
        known = {record.url: record for record in history.newest}
        for record in history.newest:
            # A page reached through a redirect is known under where it ended too: listed
            # there directly next time, it is the same page, fetched as recently.
            if record.final_url and record.final_url != record.url:
                try:
                    known.setdefault(canonicalize(record.final_url), record)
                except ValueError:
                    pass
        return known, not history.others_have_pages, ever_fetched

    def close(self) -> None:
        self.readers.shutdown(wait=True)
        self.store.close()

    def _interval(self, request: Request) -> timedelta:
        return self.intervals.get(source_of(request) or "", self.default_interval)

    def _skip_if_fresh(self, request: Request, url: str, last: FetchRecord) -> None:
        """Raise RecentlyFetched (counted once per URL and crawl) when `last`
        is within the request's recrawl interval."""
        if utc_now() - last.fetched_at >= self._interval(request) or read_for_links(request, last):
            return
        counted = url in self.counted
        self.counted.add(url)
        self.known[url] = last  # asked again (another listing, a link): decided without a lookup
        if last.document_id is not None:
            reason = "recently_fetched"
            why = "stored or confirmed"
        elif last.outcome == FAILED:
            reason = "recently_gone"
            why = f"gone ({last.status})"
        else:
            reason = "recently_rejected"
            why = "rejected"
        if not counted:
            self.stats.inc_value(stat_key(source_of(request) or "", SKIPPED, reason))
        raise RecentlyFetched(f"{why} {last.fetched_at:%Y-%m-%d %H:%M} UTC, within the recrawl interval")

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        if not is_article_request(request) or LAST_FETCH in request.meta:
            return
        url = requested_url(request)
        last = self.known.get(url)
        if last is None:
            return  # not in these sources' history: looked up before download
        self._skip_if_fresh(request, url, last)  # Scrapy drops it unscheduled
        request.meta[LAST_FETCH] = last

    async def process_request(self, request: Request) -> None:
        if not is_article_request(request):
            return None
        url = requested_url(request)
        # Retries and redirects inherit the first lookup (and its headers).
        if LAST_FETCH not in request.meta and self.complete:
            request.meta[LAST_FETCH] = None  # not in the whole history: a new page
            if self.ever_fetched is not None and url not in self.ever_fetched:
                # Never fetched at all: its extraction process need not look for an earlier body.
                request.meta[FIRST_FETCH] = True
        if LAST_FETCH not in request.meta:
            lookup = partial(self.store.last_fetch, url, with_page=True)
            last = await asyncio.get_running_loop().run_in_executor(self.readers, lookup)
            request.meta[LAST_FETCH] = last
            if last is not None:
                self._skip_if_fresh(request, url, last)
        last = request.meta[LAST_FETCH]
        if last is not None and not read_for_links(request, last):
            if last.etag:
                request.headers.setdefault("If-None-Match", last.etag)
            if last.last_modified:
                request.headers.setdefault("If-Modified-Since", last.last_modified)
        return None
