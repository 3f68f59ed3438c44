"""The item pipeline of a crawl: every Page through the one ingest path,
every Skipped and failed request into the fetch history, everything counted.

Where the work runs, so the reactor only downloads:
- a page's whole ingest (the same-body check, `prepare`, which is
  CPU-bound, and `commit`) in extraction processes, one a core, forked
  before Scrapy starts (`crawler.crawl.extraction`) and fed over sockets
  from the event loop (`crawler.crawl.workers`). Each process opens its
  own store connection and archive file on its first page; the store's
  writer lock serialises their transactions. Done in the crawl process, the
  commits and the hand-offs of every page between the reactor, a store
  thread and the pool took half of its CPU (5 ms a page, 2.5 ms without them,
  on 120 KB pages), on cores the extraction needs; and only a small result
  comes back, not the page's archive record and text;
- the fetch log of what makes no document (unchanged, 304, failures) on one
  thread of the crawl process, written in batches.

The extraction processes call the one ingest entry point
(`crawler.ingest.ingest.ingest_page`), as an ad-hoc ingest does: a page whose
raw body equals the last fetch of its URL is not extracted again. A 304 is
answered here, in the crawl process, by the same `not_modified_record`.

Counts go to Scrapy's stats under `stat_key(source, outcome, reason)`, each
page under the source it was fetched for, and each record carries the
`runs` row of its source (WIRECRAWL_RUN_IDS); `crawler.crawl.stats.CrawlStats`
is built from them. For a source that gets no HTTP response at all, the
first failure to connect is kept as the reason it is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from scrapy import signals

from crawler.crawl.extract_limit import DEFAULT_EXTRACT_TIMEOUT
from crawler.crawl.extraction import (TIMED_OUT, Ingested, already_committed, ingest_in_worker,
                                      take_prestarted_pool, worker_context)
from crawler.crawl.failures import NO_RESPONSE_REASONS
from crawler.crawl.meta import LAST_FETCH, requested_url, source_of
from crawler.crawl.settings import available_cores
from crawler.crawl.stats import CANNOT_WRITE, EXTRACTED, FETCHED, NO_RESPONSE, RESPONSES, stat_key
from crawler.crawl.workers import WorkerDied, WorkerPool
from crawler.ingest.config import ingest_config
from crawler.ingest.fetches import failure_record, not_modified_record
from crawler.ingest.outcomes import FAILED, code_of
from crawler.ingest.records import Page, Rejected, Skipped
from storage.errors import as_cannot_write
from storage.records import FetchRecord
from storage.store import Store, store_name
from storage.utc import utc_now

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Fetch records that make no document are written this many at a time, or
# after this many seconds (see IngestPipeline._log).
LOG_BATCH = 64
LOG_DELAY = 0.25
# Why Scrapy closed the spider (its finish_reason, in the crawl log) when the
# store or the archive could not be written: no page's reason code.
CLOSED_CANNOT_WRITE = "cannot_write"


class IngestPipeline:
    """Ingests Page items and records Skipped items; `record_soon` and
    `not_modified_soon` let the middlewares record what never became an item."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.run_ids: dict[str, int] = {k: int(v) for k, v in (s.getdict("WIRECRAWL_RUN_IDS") or {}).items()}
        self.database_url = s.get("WIRECRAWL_DATABASE_URL")
        self.data_dir = Path(s.get("WIRECRAWL_DATA_DIR") or "data")
        self.workers = s.getint("WIRECRAWL_EXTRACT_WORKERS") or available_cores()
        self.extract_timeout = s.getfloat("WIRECRAWL_EXTRACT_TIMEOUT", DEFAULT_EXTRACT_TIMEOUT)
        self.config = ingest_config()
        self.store: Store | None = None
        self.pool: WorkerPool | None = None
        self._pool_ready: asyncio.Future | None = None
        self.writer: Executor | None = None
        self._pending: set[asyncio.Future] = set()
        self._batch: list[FetchRecord] = []
        self._flush_timer: asyncio.TimerHandle | None = None
        self._closing: asyncio.Future | None = None
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "IngestPipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        self.pool = take_prestarted_pool()  # shut down with the others in close_spider
        self.store = Store(self.database_url, self.data_dir)
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wirecrawl-store")

    async def close_spider(self) -> None:
        self._flush()
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        loop = asyncio.get_running_loop()
        if self.pool is not None:
            self.pool.detach()
            await loop.run_in_executor(None, self.pool.close)
        self.writer.shutdown(wait=True)
        self.store.close()

    def response_received(self, response: Response, request: Request, spider=None) -> None:
        """Count the HTTP responses of each source, whatever their status: a
        source with none is unreachable."""
        source = source_of(request)
        if source is not None:
            self.stats.inc_value(stat_key(source, RESPONSES))

    # -- items -------------------------------------------------------------

    async def process_item(self, item: Any) -> Any:
        """Page: ingest it. Skipped: record it. Anything else passes untouched."""
        if isinstance(item, Page):
            await self._guarded(self._ingest(item), item.url, item.source)
        elif isinstance(item, Skipped):
            self._record(item.url, Rejected(item.reason, item.detail, item.status), item.source)
        return item

    async def _guarded(self, work, url: str, source: str | None) -> None:
        # A store that fails must not end the crawl, nor go unnoticed; one
        # that no write can succeed on (a full disk) ends it.
        try:
            await work
        except Exception as exc:
            logger.exception("could not store the outcome of %s", url)
            self._count(source, FAILED, "store_error")
            full = as_cannot_write(exc, store_name(self.store.database_url))
            if full is not None:
                self._stop_writing(str(full))

    def _stop_writing(self, why: str) -> None:
        """The store or the archive cannot be written (a full disk, a quota,
        a read-only or failing device): stop fetching pages that could not
        be kept. The first `why` is the crawl's (CANNOT_WRITE); the runs
        not done are marked failed with it."""
        if self.stats.get_value(CANNOT_WRITE) is not None:
            return
        self.stats.set_value(CANNOT_WRITE, why)
        logger.error("%s; the crawl stops", why)
        # Not awaited here: closing waits for the pages in flight, this one included.
        self._closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=CLOSED_CANNOT_WRITE))

    async def _ingest(self, page: Page) -> None:
        source = page.source
        self._count(source, FETCHED)
        if self.stats.get_value(CANNOT_WRITE) is not None:  # fetched while the crawl stops: not kept
            self._count(source, FAILED, "store_error")
            return
        if page.status == 304:  # no trip to an extraction process for an empty answer
            last = page.validated  # what the request's validators came from, else looked up
            if last is None:
                last = await self._in_store(partial(self.store.last_fetch, page.url, with_page=True))
            self._not_modified(page.url, page.final_url, last, source)
            return
        done = await self._ingest_in_pool(page)
        if done is None:
            return
        if done.failure is not None:
            logger.error("could not store the outcome of %s:\n%s", page.url, done.failure)
            self._count(source, FAILED, "store_error")
            if done.cannot_write is not None:
                self._stop_writing(done.cannot_write)
            return
        result = done.result
        if result.extracted:
            self._count(source, EXTRACTED)
            self.stats.inc_value("wirecrawl/seconds/extract", result.extract_seconds, start=0.0)
            self.stats.inc_value("wirecrawl/seconds/commit", result.commit_seconds, start=0.0)
        for record in done.deferred:
            self._log(record)
        self._count(source, result.outcome, result.reason_code)

    async def _ingest_in_pool(self, page: Page) -> Ingested | None:
        pool = await self._extraction_pool()
        try:
            return await pool.run(ingest_in_worker, page, self.config, self.database_url, str(self.data_dir),
                                  self.run_ids.get(page.source), self.extract_timeout)
        except WorkerDied as exc:
            if exc.exitcode == TIMED_OUT:
                # Ended by its own time limit, before the page's transaction:
                # nothing of it was committed. A new process takes its place.
                logger.error("extraction of %s ran over %g s; its process was replaced", page.url,
                             self.extract_timeout)
                self._count(page.source, EXTRACTED)
                self._record(page.url, Rejected("extract_timeout", f"extraction ran over {self.extract_timeout:g} s "
                                                "(its process was ended and replaced)", page.status), page.source)
                return None
            # The extraction process died (killed, a crash in a parser, out
            # of memory): this page is recorded, the others go on and a new
            # process takes its place. It may have committed this page just
            # before it died.
            committed = await self._in_store(partial(already_committed, self.store, page))
            if committed is not None:
                return committed
            logger.error("extraction process died while extracting %s: %s", page.url, exc)
            self._count(page.source, EXTRACTED)
            self._record(page.url, Rejected("extract_crashed", f"the extraction process died: {exc}", page.status),
                         page.source)
            return None

    async def _extraction_pool(self) -> WorkerPool:
        """The pool, started on first use in a thread: starting processes
        waits for their imports, and the reactor must not wait."""
        if self.pool is not None:
            return self.pool
        if self._pool_ready is None:
            self._pool_ready = asyncio.get_running_loop().run_in_executor(None, self._start_pool)
        return await self._pool_ready

    def _start_pool(self) -> WorkerPool:
        self.pool = WorkerPool(self.workers, worker_context())
        return self.pool

    # -- failures and 304s ---------------------------------------------------

    def record_soon(self, url: str, why: Rejected, source: str | None) -> None:
        """Record a request of `source` that produced no page (called from
        middlewares and errbacks, which cannot wait)."""
        self._record(url, why, source)

    def not_modified_soon(self, request: Request, response: Response) -> None:
        """Record a 304 to a conditional request: the stored document stands
        (or the page stays rejected)."""
        source = source_of(request)
        self._count(source, FETCHED)
        self._not_modified(requested_url(request), response.url, request.meta.get(LAST_FETCH), source)

    def _record(self, url: str, why: Rejected, source: str | None) -> None:
        if why.reason in NO_RESPONSE_REASONS and source is not None:
            key = stat_key(source, NO_RESPONSE)
            if self.stats.get_value(key) is None:
                self.stats.set_value(key, str(why))
        self._logged(failure_record(url, why, fetched_at=utc_now(), source=source, run_id=self.run_ids.get(source)))

    def _not_modified(self, url: str, final_url: str | None, last: FetchRecord | None, source: str | None) -> None:
        self._logged(not_modified_record(url, last, fetched_at=utc_now(), final_url=final_url, source=source,
                                         run_id=self.run_ids.get(source)))

    def _logged(self, record: FetchRecord) -> None:
        self._count(record.source, record.outcome, code_of(record.reason))
        self._log(record)

    # -- the fetch log: records that make no document, written in batches ----

    def _log(self, record: FetchRecord) -> None:
        """Queue a fetch record. Written with the others in one transaction
        when LOG_BATCH are queued or LOG_DELAY seconds passed, and at close:
        a kill loses at most that much history (those URLs are simply asked
        again next time); documents are committed one by one, never batched."""
        self._batch.append(record)
        if len(self._batch) >= LOG_BATCH:
            self._flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(LOG_DELAY, self._flush)

    def _flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        batch, self._batch = self._batch, []
        if batch:
            work = self._in_store(partial(self._write_batch, batch))
            self._track(self._guarded(work, f"{len(batch)} fetch records ({batch[0].url} ...)", batch[0].source))

    def _write_batch(self, batch: list[FetchRecord]) -> None:
        with self.store.write(keys=()) as conn:  # appends only: no other writer need wait
            for record in batch:
                self.store.record_fetch(record, conn)

    def _track(self, work) -> None:
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- plumbing -------------------------------------------------------------

    async def _in_store(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.writer, fn)

    def _count(self, source: str | None, what: str, reason: str | None = None) -> None:
        """Count an outcome of `source` (with its reason code), or "fetched" / "extracted"."""
        self.stats.inc_value(stat_key(source or "", what, reason))
