"""The extraction processes' side of a crawl: a page's whole ingest, run in
one of the processes of the pool (`crawler.crawl.workers`), one a core.

Each process opens its own store connection and archive file on its first
page; the store's writer lock serialises their transactions. The processes
are forked before Scrapy starts (`prestart_extraction_pool`), while the crawl
process has a single thread; replacements come from a fork server.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from crawler.crawl.process import process_context
from crawler.crawl.workers import WorkerPool
from crawler.ingest.ingest import IngestConfig, commit, page_hash, prepare
from crawler.ingest.records import Page
from storage.archive import Archive
from storage.records import FetchRecord
from storage.store import Store


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


def already_committed(store: Store, page: Page) -> Ingested | None:
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
    _prestarted = WorkerPool(workers, multiprocessing.get_context("fork"), replace_ctx=worker_context())


def take_prestarted_pool() -> WorkerPool | None:
    """The processes `prestart_extraction_pool` forked, once; None when it
    forked none (the pipeline then starts its pool on first use)."""
    global _prestarted
    pool, _prestarted = _prestarted, None
    return pool


def worker_context() -> multiprocessing.context.BaseContext:
    """Where extraction processes come from once the crawl process has
    threads: its fork server (forking a threaded process is unsafe)."""
    return process_context([__name__])

