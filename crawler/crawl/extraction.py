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
import signal
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Iterator

from crawler.crawl.process import process_context
from crawler.crawl.workers import WorkerPool
from crawler.ingest.config import IngestConfig
from crawler.ingest.ingest import IngestResult, Prepared, ingest_page, prepare
from crawler.ingest.outcomes import recorded
from crawler.ingest.records import Page
from storage.archive import Archive
from storage.errors import as_cannot_write
from storage.records import FetchRecord
from storage.store import Store, default_database_url, store_name


@dataclass
class Ingested:
    """What an extraction process did with a page, for the crawl to count:
    the `result` of `ingest_page`, and the fetch records it left for the
    crawl's batched fetch log (`deferred`: pages that needed no
    transaction). When the store failed, `failure` holds the traceback
    instead (the page counts as failed, store_error), and `cannot_write` the
    one line that says what could not be written and why when no later page
    could be either (a full disk: the crawl stops)."""

    result: IngestResult | None = None
    deferred: list[FetchRecord] = field(default_factory=list)
    failure: str | None = None
    cannot_write: str | None = None


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


# How an extraction process that ran over its time limit ends: the kernel's
# default action for SIGALRM, so the pool can tell it from any other death.
TIMED_OUT = -signal.SIGALRM


@contextmanager
def extraction_time_limit(seconds: float) -> Iterator[None]:
    """Within the block, this process ends (killed by SIGALRM, exit code
    `TIMED_OUT`) once `seconds` of wall-clock time have passed; no limit for
    0. For an extraction process only: the kernel's default action is the one
    stop that reaches a parser busy in C code, which holds the interpreter
    and would never run a Python handler. The pool then starts another
    process and the crawl records the page as extract_timeout."""
    if seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _prepare_under_alarm(seconds: float, page: Page, config: IngestConfig | None,
                    site_furniture: frozenset[int]) -> Prepared:
    with extraction_time_limit(seconds):
        return prepare(page, config, site_furniture)


def ingest_in_worker(page: Page, config: IngestConfig, database_url: str | None, data_dir: str,
                     run_id: int | None, extract_timeout: float = 0.0) -> Ingested:
    """A page's whole ingest, in an extraction process, through the one entry
    point every path takes (`crawler.ingest.ingest.ingest_page`: the
    same-body check, then extraction and one transaction; a kill at any
    moment leaves no half-written document). The extraction alone may take
    `extract_timeout` seconds (0: no limit), then this process ends
    (`extraction_time_limit`). Never raises: a store that fails comes back
    as `failure`."""
    store, archive = _store_of_this_process(database_url, data_dir)
    deferred: list[FetchRecord] = []
    try:
        result = ingest_page(page, store, archive=archive, config=config, run_id=run_id, log=deferred.append,
                             prepare_with=partial(_prepare_under_alarm, extract_timeout))
    except Exception as exc:
        full = as_cannot_write(exc, store_name(database_url or default_database_url(Path(data_dir))))
        return Ingested(failure=traceback.format_exc(), cannot_write=None if full is None else str(full))
    return Ingested(result, deferred)


def already_committed(store: Store, page: Page) -> Ingested | None:
    """What to count for a page whose fetch is in the store already (its
    process committed it, then was ended with a pool that broke); None when
    it is not."""
    last = store.last_fetch(page.url)
    if last is None or last.fetched_at != page.fetched_at:
        return None
    outcome, _ = recorded(last)
    return Ingested(IngestResult(url=page.url, outcome=outcome, reason=last.reason, document_id=last.document_id,
                                 fetch=last, extracted=True))


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

