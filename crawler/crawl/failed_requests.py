"""Every request that fails reaches the fetch history, with its URL and
reason: download errors, HTTP errors after retries, robots.txt, too large,
redirect loops, a spider callback that raised. Nothing Scrapy would drop
quietly is lost."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from scrapy import signals
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.crawl.failures import NotRequested, classify
from crawler.crawl.meta import GUESS, KIND, LAST_FETCH, ROBOTS, requested_url, source_of
from crawler.crawl.pipeline import IngestPipeline
from crawler.ingest.records import Rejected, Skipped

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure


def _no_failure(failure: Failure, request: Request) -> bool:
    """A site without robots.txt (it answers 4xx), or without a sitemap at a
    usual path nobody named: nothing failed."""
    if request.meta.get(GUESS):
        return True
    return (request.meta.get(KIND) == ROBOTS and isinstance(failure.value, HttpError)
            and failure.value.response.status < 500)


class RecordingErrback:
    """Wraps a request's errback: the failure is recorded once, with the
    reason `classify` names, and the spider's own errback, if any, still
    runs. If the spider's errback yields a `Skipped` for the same URL (named
    by the same `classify`), that item is the record, under the URL first
    asked for."""

    def __init__(self, original: Callable | None, outcomes: OutcomeMiddleware):
        self.original = original
        self.outcomes = outcomes

    def __call__(self, failure: Failure) -> list:
        request = failure.request
        if isinstance(failure.value, NotRequested):
            return []  # counted where it was decided, not a failure
        if isinstance(failure.value, HttpError) and failure.value.response.status == 304 \
                and request.meta.get(LAST_FETCH) is not None:
            self.outcomes.pipeline.not_modified_soon(request, failure.value.response)
            return []
        output = list(self.original(failure) or []) if self.original else []
        if _no_failure(failure, request):
            return output
        url = requested_url(request)
        theirs = [o for o in output if isinstance(o, Skipped) and o.url in (url, request.url)]
        for skipped in theirs:
            skipped.url = url  # one record per failure, under the URL first asked for
        if not theirs:
            max_bytes = request.meta.get("download_maxsize") or self.outcomes.max_bytes
            self.outcomes.pipeline.record_soon(url, classify(failure, request, max_bytes), source_of(request))
        return output


class OutcomeMiddleware:
    """Spider middleware that makes every failure reach the fetch history.

    - every scheduled request gets a `RecordingErrback` (download errors,
      HTTP errors after retries, robots, too large, redirect loops);
    - a redirect that comes back to a URL of its own chain is recorded as a
      `redirect_loop` as soon as it does (not followed round until the
      redirect limit, nor dropped by the duplicate filter unrecorded);
    - a redirect to a URL already fetched in this crawl (dropped by the
      duplicate filter) is recorded as such;
    - a spider callback that raises is recorded as `spider_error` (and still
      logged by Scrapy)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.max_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self._pipeline: IngestPipeline | None = None
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "OutcomeMiddleware":
        return cls(crawler)

    @property
    def pipeline(self) -> IngestPipeline:
        if self._pipeline is None:
            self._pipeline = self.crawler.get_item_pipeline(IngestPipeline)
            if self._pipeline is None:
                raise RuntimeError("OutcomeMiddleware needs crawler.crawl.pipeline.IngestPipeline in ITEM_PIPELINES")
        return self._pipeline

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        chain = request.meta.get("redirect_urls")
        if chain and request.url in chain:
            # Back to a URL of its own chain: a loop, recorded at once rather than followed
            # round until the redirect limit.
            hops = [*chain, request.url]
            self.pipeline.record_soon(requested_url(request), Rejected(
                "redirect_loop", f"{len(chain)} redirects: " + " -> ".join(hops[:6]) + (" ..." if len(hops) > 6 else "")),
                source_of(request))
            raise IgnoreRequest("a redirect loop")  # Scrapy drops it unscheduled
        if not isinstance(request.errback, RecordingErrback):
            request.errback = RecordingErrback(request.errback, self)

    def request_dropped(self, request: Request, spider: Spider) -> None:
        chain = request.meta.get("redirect_urls")
        if chain:
            self.pipeline.record_soon(chain[0], Rejected(
                "redirect_to_seen_url", f"redirects to {request.url}, already fetched in this crawl"),
                source_of(request))

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        if isinstance(exception, (HttpError, CloseSpider)):
            return None  # the request's errback has it / the spider ends on purpose
        request = response.request
        self.pipeline.record_soon(requested_url(request) if request else response.url, Rejected(
            "spider_error", f"{type(exception).__name__}: {exception}", response.status),
            source_of(request) if request else None)
        return None
