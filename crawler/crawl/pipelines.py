"""The item pipeline of a crawl: every Page through the one ingest path,
every Skipped and failed request into the fetch history, everything counted.

Where the work runs, so the reactor only downloads:
- a page's whole ingest (the unchanged check, `crawler.ingest.prepare`, which
  is CPU-bound, and `commit`) in extraction processes, one a core, forked
  before Scrapy starts (`prestart_extraction_pool`) and fed over sockets
  from the event loop (`crawler.crawl.workers`). Each process opens its
  own store connection and archive file on its first page; the store's
  writer lock serialises their transactions. Done in the crawl process, the
  commits and the hand-offs of every page between the reactor, a store
  thread and the pool took half of its CPU (5 ms a page, 2.5 ms without them,
  on 120 KB pages), on cores the extraction needs; and only a small result
  comes back, not the page's archive record and text;
- the fetch log of what makes no document (unchanged, 304, failures) on one
  thread of the crawl process, written in batches.

A page whose raw body equals the last fetch of its URL is not extracted
again: it is `unchanged` when that fetch made a document, and rejected for
the same reason when it did not (extraction is deterministic).

Counts go to Scrapy's stats under `wirecrawl/…`; `crawler.crawl.run.CrawlStats`
is built from them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.util
import threading
import time
import traceback
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from crawler.ingest.ingest import IngestConfig, commit, page_hash, prepare
from crawler.crawl.middlewares import Failed, requested_url
from crawler.ingest.records import Page, Rejected, Skipped
from crawler.crawl.settings import available_cores
from crawler.crawl.workers import WorkerDied, WorkerPool
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
    """fn's result and the seconds it took where it ran (an extraction
    process): the crawl log's stats then say where the time went."""
    start = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - start


@dataclass
class Ingested:
    """What an extraction process did with a page, for the crawl to count:
    `counted` is the counter (and reason) to add. `log` is the fetch record
    of a page whose body is the same as last time, for the crawl's batched
    fetch log; `extracted` says the page went through extraction, and
    `failure` is the traceback of a commit that failed (its reason is
    "store_error")."""

    counted: tuple[str, ...]
    log: FetchRecord | None = None
    extracted: bool = False
    extract_seconds: float = 0.0
    commit_seconds: float = 0.0
    failure: str | None = None


# This process's store and archive when it is an extraction process: opened on
# its first page, after the fork (a database connection must not cross one),
# and closed when the process exits.
_worker_store: tuple[tuple[str | None, str], Store, Archive] | None = None


def _store_of_this_process(database_url: str | None, data_dir: str) -> tuple[Store, Archive]:
    global _worker_store
    key = (database_url, data_dir)
    if _worker_store is None or _worker_store[0] != key:
        if _worker_store is not None:
            _worker_store[1].close()
        store = Store(database_url, Path(data_dir))
        multiprocessing.util.Finalize(store, store.close, exitpriority=10)
        _worker_store = (key, store, Archive(Path(data_dir) / "archive"))
    return _worker_store[1], _worker_store[2]


def ingest_in_worker(page: Page, config: IngestConfig, database_url: str | None, data_dir: str,
                     run_id: int | None) -> Ingested:
    """A page's whole ingest, in an extraction process: the same-body check,
    then `prepare` and `commit` (one transaction: a kill at any moment leaves
    no half-written document). An error in the check propagates; a failed
    commit comes back as `failure`, the page having been extracted."""
    store, archive = _store_of_this_process(database_url, data_dir)
    if not page.first_fetch:  # a query a page; a fifth of a millisecond the first crawl of a site does without
        counted, record = same_as_last_fetch(store, page, run_id)
        if record is not None:
            return Ingested(counted, log=record)
    prepared, extract_seconds = _timed(prepare, page, config)
    try:
        result, commit_seconds = _timed(commit, prepared, store, archive=archive, config=config, run_id=run_id)
    except Exception:
        return Ingested(("errors", "store_error"), extracted=True, extract_seconds=extract_seconds,
                        failure=traceback.format_exc())
    if result.outcome == "rejected" and prepared.rejection is not None:
        counted = ("rejected", prepared.rejection.reason)
    elif result.outcome == "copy":
        counted = ("copies",)
    elif result.outcome in ("stored", "unchanged"):
        counted = (result.outcome,)
    else:
        counted = ("errors", result.reason or result.outcome)
    return Ingested(counted, extracted=True, extract_seconds=extract_seconds, commit_seconds=commit_seconds)


def _committed(store: Store, page: Page) -> Ingested | None:
    """What to count for a page whose fetch is in the store already (its
    process committed it, then was ended with a pool that broke); None when
    it is not."""
    last = store.last_fetch(page.url)
    if last is None or last.fetched_at != page.fetched_at:
        return None
    reason = (last.reason or last.outcome).split(":", 1)[0]
    counted = {"stored": ("stored",), "copy": ("copies",), "unchanged": ("unchanged",),
               "rejected": ("rejected", reason)}.get(last.outcome, ("errors", reason))
    return Ingested(counted, extracted=True)


def same_as_last_fetch(store: Store, page: Page, run_id: int | None) -> tuple[tuple[str, ...], FetchRecord | None]:
    """Same raw body as the last fetch of this URL: the fetch record to
    write instead of extracting, and what to count. "unchanged" when that
    fetch made a document; rejected for the same reason when it did not
    (extraction is deterministic). ((), None) when the page must be
    extracted. One query for a page never seen before."""
    last = store.last_fetch(page.url)
    if last is None:
        return (), None
    digest = page_hash(page.body)
    if last.document_id is None and last.outcome != "rejected":
        # The newest attempt failed (timeout, 5xx): compare with the last good one.
        last = store.last_fetch(page.url, with_document=True)
    if last is None or last.content_hash != digest:
        return (), None
    record = FetchRecord(
        url=page.url, final_url=page.final_url, status=page.status, etag=page.headers.get("etag"),
        last_modified=page.headers.get("last-modified"), content_hash=digest, fetched_at=page.fetched_at,
        source=page.source, run_id=run_id)
    if last.document_id is not None:
        record.outcome, record.reason, record.document_id = "unchanged", "same body as the last fetch", \
            last.document_id
        return ("unchanged",), record
    if last.outcome == "rejected" and last.reason:
        record.outcome, record.reason = "rejected", last.reason
        return ("rejected", last.reason.split(":", 1)[0]), record
    return (), None


# Extraction processes forked by `prestart_extraction_pool`, for the pipeline to take.
_prestarted: WorkerPool | None = None


def prestart_extraction_pool(workers: int) -> None:
    """Fork the extraction processes now. Called by the crawl process before
    Scrapy starts: it still has a single thread (forking is safe) and has
    already imported everything extraction needs, so the processes start in
    milliseconds instead of seconds. Where fork is unavailable the pipeline
    starts its pool on first use instead."""
    global _prestarted
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return
    _prestarted = WorkerPool(workers, multiprocessing.get_context("fork"), replace_ctx=_worker_context())


def _worker_context() -> multiprocessing.context.BaseContext:
    """Where extraction processes come from once the crawl process has
    threads: its fork server (forking a threaded process is unsafe)."""
    from crawler.crawl.run import process_context

    return process_context(["crawler.crawl.pipelines"])


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
        self.pool: WorkerPool | None = None
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
        done = await self._ingest_in_pool(page)
        if done is None:
            return
        if done.extracted:
            self._count("extracted")
            self.stats.inc_value("wirecrawl/seconds/extract", done.extract_seconds, start=0.0)
            self.stats.inc_value("wirecrawl/seconds/commit", done.commit_seconds, start=0.0)
        if done.failure is not None:
            logger.error("could not store the outcome of %s:\n%s", page.url, done.failure)
        if done.log is not None:
            self._log(done.log)
        self._count(*done.counted)

    async def _ingest_in_pool(self, page: Page) -> Ingested | None:
        pool = await self._extraction_pool()
        try:
            return await pool.run(ingest_in_worker, page, self.config, self.database_url, str(self.data_dir),
                                  self.run_id)
        except WorkerDied as exc:
            # The extraction process died (killed, a crash in a parser, out
            # of memory): this page is recorded, the others go on and a new
            # process takes its place. It may have committed this page just
            # before it died.
            committed = await self._in_store(partial(_committed, self.store, page))
            if committed is not None:
                return committed
            logger.error("extraction process died while extracting %s: %s", page.url, exc)
            self._count("extracted")
            self._record(page.url, Failed("error", "extract_crashed", f"the extraction process died: {exc}",
                                          page.status))
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
        self.pool = WorkerPool(self.workers, _worker_context())
        return self.pool

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
