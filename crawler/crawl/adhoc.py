"""Ad-hoc ingest: one URL (or one saved HTML file) through the same path as a
crawl. Used by `wirecrawl ingest`, the `ingest-url` flow and the demo.

Given an `ExtractionProcess` (`crawler.crawl.extract_limit`), each page is
extracted there, within its time limit, as a crawl's pages are: a page that
runs over it is recorded as extract_timeout and the caller goes on with the
next one. Without one, the page is extracted in this process, unbounded."""

from __future__ import annotations

import errno
import os
import stat
from functools import partial
from pathlib import Path

from crawler.crawl.extract_limit import ExtractionProcess, ExtractionProcessDied, ExtractionTimedOut
from crawler.crawl.fetch import FetchConfig, fetch
from crawler.ingest.config import IngestConfig
from crawler.ingest.ingest import IngestResult, Prepared, ingest_page, not_extracted, prepare, record_failure
from crawler.ingest.records import Page, Rejected
from crawler.ingest.urls import canonicalize
from storage.archive import Archive
from storage.store import Store
from storage.utc import utc_now


def ingest_url(url: str, store: Store, *, archive: Archive | None = None,
               fetch_config: FetchConfig = FetchConfig(), config: IngestConfig | None = None,
               run_id: int | None = None, source: str | None = None,
               extraction: ExtractionProcess | None = None) -> IngestResult:
    """Fetch `url` politely and ingest it, extracting in `extraction` when
    given. Never raises for a bad URL or a bad page: the outcome and its
    reason are recorded in the fetch history and returned. Ad-hoc URLs are
    refused private addresses unless `fetch_config.allow_private`."""
    now = utc_now()
    try:
        key = canonicalize(url)
    except ValueError as exc:
        return record_failure(store, url, Rejected("bad_url", str(exc)), fetched_at=now,
                              source=source, run_id=run_id)
    last = store.last_fetch(key, with_document=True)
    try:
        page = fetch(key, fetch_config,
                     etag=last.etag if last else None,
                     last_modified=last.last_modified if last else None,
                     source=source)
    except Rejected as exc:
        return record_failure(store, key, exc, fetched_at=now, source=source, run_id=run_id)
    except Exception as exc:  # an unexpected fetch failure: record it, go on
        return record_failure(store, key, Rejected("download_error", f"{type(exc).__name__}: {exc}"),
                              fetched_at=now, source=source, run_id=run_id)
    if last is not None and (last.etag or last.last_modified):
        page.validated = last  # a 304 answers the validators of this fetch, whatever came since
    return ingest_page(page, store, archive=archive, config=config, run_id=run_id,
                       prepare_with=prepare_in(extraction))


def read_page_file(path: str | Path, size: int = -1) -> bytes:
    """The bytes of a saved page (its first `size`, or all of it). OSError
    for what cannot be read, and for a path that is no regular file: a FIFO
    or a device would block the reader or never end."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO opens without waiting for a writer
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return f.read(size)


def ingest_html_file(path: str | Path, url: str, store: Store, *, archive: Archive | None = None,
                     config: IngestConfig | None = None, run_id: int | None = None,
                     extraction: ExtractionProcess | None = None) -> IngestResult:
    """Ingest a saved HTML page as if it had been fetched from `url` now,
    extracting in `extraction` when given. Never raises for a bad URL
    (bad_url) or a file that cannot be read (unreadable_file): the outcome
    is recorded and returned."""
    now = utc_now()
    try:
        key = canonicalize(url)
    except ValueError as exc:
        return record_failure(store, url, Rejected("bad_url", str(exc)), fetched_at=now, run_id=run_id)
    try:
        body = read_page_file(path)
    except OSError as exc:
        return record_failure(store, key, Rejected("unreadable_file", f"{path}: {exc}"), fetched_at=now,
                              run_id=run_id)
    page = Page(url=key, status=200, headers={"content-type": "text/html"}, body=body,
                fetched_at=now, final_url=url)
    return ingest_page(page, store, archive=archive, config=config, run_id=run_id,
                       prepare_with=prepare_in(extraction))


def prepare_in(extraction: ExtractionProcess | None):
    """What `ingest_page` extracts with: `prepare` in `extraction` when
    given, else `prepare` here."""
    return prepare if extraction is None else partial(_prepare_within, extraction)


def _prepare_within(extraction: ExtractionProcess, page: Page, config: IngestConfig | None,
                    site_furniture: frozenset[int]) -> Prepared:
    """`prepare` in the extraction process. A page whose extraction ran over
    the limit comes back rejected (extract_timeout), one whose process died
    under it failed (extract_crashed), to be recorded as any other."""
    try:
        return extraction.call(prepare, page, config, site_furniture)
    except ExtractionTimedOut as exc:
        return not_extracted(page, Rejected("extract_timeout", str(exc), page.status), config)
    except ExtractionProcessDied as exc:
        return not_extracted(page, Rejected("extract_crashed", str(exc), page.status), config)
