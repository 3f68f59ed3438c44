"""The item pipeline of a crawl: every Page through the one ingest path,
every Skipped and failed request into the fetch history, everything counted.

Where the work runs, so the reactor only downloads:
- extraction (`crawler.ingest.prepare`, CPU-bound) in a process pool sized to
  the cores, forked before Scrapy starts (`prestart_extraction_pool`);
- the store (the unchanged check, `commit`, the fetch log) on one thread:
  writes are serialised by the store's writer lock anyway, and one thread
  keeps the archive file single-writer. Fetch records that make no document
  (unchanged, 304, failures) are written in batches.

A page whose raw body equals the last fetch of its URL is not extracted
again: it is `unchanged` when that fetch made a document, and rejected for
the same reason when it did not (extraction is deterministic).

Counts go to Scrapy's stats under `wirecrawl/…`; `crawler.run.CrawlStats`
is built from them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from crawler.ingest import IngestConfig, Prepared, commit, page_hash, prepare_detached
from crawler.middlewares import Failed, requested_url
from crawler.records import Page, Rejected, Skipped
from crawler.settings import available_cores
from storage.archive import Archive
from storage.records import FetchRecord
from storage.store import Store

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Fetch records that make no document are written this many at a time, or
# after this many seconds (see IngestPipeline._log).
LOG_BATCH = 64
LOG_DELAY = 0.25

# Reasons a fetch failed (counted as errors); any other reason is a rejection.
ERROR_REASONS = {"timeout", "dns_error", "connection_refused", "connection_error", "data_loss",
                 "download_error", "spider_error", "store_error", "extract_crashed"}


def _is_error(reason: str) -> bool:
    return reason in ERROR_REASONS or reason.startswith("http_")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _timed(fn: Callable, *args, **kwargs) -> tuple[Any, float]:
    """fn's result and the seconds it took where it ran (a worker, the store
    thread): the crawl log's stats then say where the time went."""
    start = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - start


def _init_extract_worker() -> None:
    """In each extraction process: leave Ctrl-C to the crawl, and end when the
    crawl process is gone (even killed with SIGKILL) instead of lingering."""
    import signal

    from crawler.run import exit_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()


# Extraction processes forked by `prestart_extraction_pool`, for the pipeline to take.
_prestarted: ProcessPoolExecutor | None = None


def prestart_extraction_pool(workers: int) -> None:
    """Fork the extraction processes now. Called by the crawl process before
    Scrapy starts: it still has a single thread (forking is safe) and has
    already imported everything extraction needs, so the processes start in
    milliseconds instead of seconds. Where fork is unavailable the pipeline
    starts its pool on first use instead."""
    global _prestarted
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_extract_worker)
    pool.submit(int).result()  # with "fork", the first submit starts every worker
    _prestarted = pool


class IngestPipeline:
    """Ingests Page items and records Skipped items; `record_soon` and
    `not_modified_soon` let the middlewares record what never became an item."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.stats = crawler.stats
        self.source = s.get("WIRECRAWL_SOURCE_NAME")
        self.run_id = s.getint("WIRECRAWL_RUN_ID") or None
        self.database_url = s.get("WIRECRAWL_DATABASE_URL")
        self.data_dir = Path(s.get("WIRECRAWL_DATA_DIR") or "data")
        self.workers = s.getint("WIRECRAWL_EXTRACT_WORKERS") or available_cores()
        self.config = IngestConfig()
        self.store: Store | None = None
        self.archive: Archive | None = None
        self.pool: ProcessPoolExecutor | None = None
        self._pool_ready: asyncio.Future | None = None
        self.writer: Executor | None = None
        self._pending: set[asyncio.Future] = set()
        self._batch: list[FetchRecord] = []
        self._flush_timer: asyncio.TimerHandle | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "IngestPipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        global _prestarted
        self.pool, _prestarted = _prestarted, None  # shut down with the others in close_spider
        self.store = Store(self.database_url, self.data_dir)
        self.archive = Archive(self.data_dir / "archive")
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wirecrawl-store")

    async def close_spider(self) -> None:
        self._flush()
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        loop = asyncio.get_running_loop()
        if self.pool is not None:
            await loop.run_in_executor(None, partial(self.pool.shutdown, wait=True))
        self.writer.shutdown(wait=True)
        self.store.close()

    # -- items -------------------------------------------------------------

    async def process_item(self, item: Any) -> Any:
        """Page: ingest it. Skipped: record it. Anything else passes untouched."""
        if isinstance(item, Page):
            await self._guarded(self._ingest(item), item.url)
        elif isinstance(item, Skipped):
            self._record(item.url, Failed("error" if _is_error(item.reason) else "rejected", item.reason,
                                          item.detail, item.status))
        return item

    async def _guarded(self, work, url: str) -> None:
        # A store that fails must not end the crawl, nor go unnoticed.
        try:
            await work
        except Exception:
            logger.exception("could not store the outcome of %s", url)
            self._count("errors", "store_error")

    async def _ingest(self, page: Page) -> None:
        self._count("fetched")
        page.source = page.source or self.source
        if page.status == 304:
            last = await self._in_store(partial(self.store.last_fetch, page.url, with_document=True))
            self._not_modified(page.url, page.final_url, last)
            return
        verdict, record = await self._in_store(partial(self._same_as_last_fetch, page))
        if record is not None:
            self._log(record)
            self._count(*verdict)
            return
        prepared = await self._extract(page)
        if prepared is None:
            return
        result, seconds = await self._in_store(partial(_timed, commit, prepared, self.store, archive=self.archive,
                                                       config=self.config, run_id=self.run_id))
        self.stats.inc_value("wirecrawl/seconds/commit", seconds, start=0.0)
        if result.outcome == "rejected" and prepared.rejection is not None:
            self._count("rejected", prepared.rejection.reason)
        elif result.outcome == "copy":
            self._count("copies")
        elif result.outcome in ("stored", "unchanged"):
            self._count(result.outcome)
        else:
            self._count("errors", result.reason or result.outcome)

    def _same_as_last_fetch(self, page: Page) -> tuple[tuple[str, ...], FetchRecord | None]:
        """Same raw body as the last fetch of this URL: the fetch record to
        write instead of extracting, and what to count. "unchanged" when that
        fetch made a document; rejected for the same reason when it did not
        (extraction is deterministic). ((), None) when the page must be
        extracted. One query for a page never seen before."""
        last = self.store.last_fetch(page.url)
        if last is None:
            return (), None
        digest = page_hash(page.body)
        if last.document_id is None and last.outcome != "rejected":
            # The newest attempt failed (timeout, 5xx): compare with the last good one.
            last = self.store.last_fetch(page.url, with_document=True)
        if last is None or last.content_hash != digest:
            return (), None
        record = FetchRecord(
            url=page.url, final_url=page.final_url, status=page.status, etag=page.headers.get("etag"),
            last_modified=page.headers.get("last-modified"), content_hash=digest, fetched_at=page.fetched_at,
            source=page.source, run_id=self.run_id)
        if last.document_id is not None:
            record.outcome, record.reason, record.document_id = "unchanged", "same body as the last fetch", \
                last.document_id
            return ("unchanged",), record
        if last.outcome == "rejected" and last.reason:
            record.outcome, record.reason = "rejected", last.reason
            return ("rejected", last.reason.split(":", 1)[0]), record
        return (), None

    async def _extract(self, page: Page) -> Prepared | None:
        pool = await self._extraction_pool()
        self._count("extracted")
        try:
            prepared, seconds = await asyncio.wrap_future(pool.submit(_timed, prepare_detached, page, self.config))
            self.stats.inc_value("wirecrawl/seconds/extract", seconds, start=0.0)
            return prepared
        except BrokenProcessPool as exc:
            # An extraction process died (a crash in a parser, out of memory):
            # this page is recorded, the next one gets a fresh pool.
            logger.error("extraction process died while extracting %s: %s", page.url, exc)
            if self.pool is pool:
                self.pool, self._pool_ready = None, None
            await self._record(page.url, Failed("error", "extract_crashed", f"the extraction process died: {exc}",
                                                page.status))
            return None

    async def _extraction_pool(self) -> ProcessPoolExecutor:
        """The pool, started on first use in a thread: starting processes
        waits for their imports, and the reactor must not wait."""
        if self.pool is not None:
            return self.pool
        if self._pool_ready is None:
            self._pool_ready = asyncio.get_running_loop().run_in_executor(None, self._start_pool)
        return await self._pool_ready

    def _start_pool(self) -> ProcessPoolExecutor:
        from crawler.run import process_context

        pool = ProcessPoolExecutor(self.workers, mp_context=process_context(["crawler.ingest"]),
                                   initializer=_init_extract_worker)
        # Start every worker now, here: later submits from the reactor then
        # find them running and never start a process themselves.
        for warm in [pool.submit(int) for _ in range(self.workers)]:
            warm.result()
        self.pool = pool
        return pool

    # -- failures and 304s ---------------------------------------------------

    def record_soon(self, url: str, failed: Failed) -> None:
        """Record a request that produced no page (called from middlewares and
        errbacks, which cannot wait)."""
        self._record(url, failed)

    def not_modified_soon(self, request: Request, response: Response) -> None:
        """Record a 304 to a conditional request: the stored document stands."""
        self._count("fetched")
        self._not_modified(requested_url(request), response.url, request.meta.get("wirecrawl_last_fetch"))

    def _record(self, url: str, failed: Failed) -> None:
        self._count("errors" if failed.outcome == "error" else "rejected", failed.reason)
        self._log(FetchRecord(url=url, fetched_at=_now(), status=failed.status, outcome=failed.outcome,
                              reason=str(Rejected(failed.reason, failed.detail)), source=self.source,
                              run_id=self.run_id))

    def _not_modified(self, url: str, final_url: str | None, last: FetchRecord | None) -> None:
        if last is None:
            self._record(url, Failed("error", "http_304", "304 Not Modified to a request that was not "
                                     "conditional", 304))
            return
        self._count("not_modified")
        self._log(FetchRecord(url=url, final_url=final_url, status=304, etag=last.etag,
                              last_modified=last.last_modified, content_hash=last.content_hash, fetched_at=_now(),
                              outcome="not_modified", document_id=last.document_id, source=self.source,
                              run_id=self.run_id))

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
            self._track(self._guarded(work, f"{len(batch)} fetch records ({batch[0].url} ...)"))

    def _write_batch(self, batch: list[FetchRecord]) -> None:
        with self.store.write() as conn:
            for record in batch:
                self.store.record_fetch(record, conn)

    def _track(self, work) -> None:
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- plumbing -------------------------------------------------------------

    async def _in_store(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.writer, fn)

    def _count(self, what: str, reason: str | None = None) -> None:
        self.stats.inc_value(f"wirecrawl/{what}/{reason}" if reason else f"wirecrawl/{what}")
