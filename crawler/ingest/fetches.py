"""The fetch history's part in ingest: the record of each fetch, and what the
history answers without any extraction.

- `failure_record`: a URL that produced no page (robots, a timeout, a bad
  address…), rejected or failed as its reason code says;
- `not_modified_record`: a 304 answer (the document stands, or the page
  is rejected again);
- `same_body_record`: a page whose raw body is the one fetched last time.

Each builds the `FetchRecord` to write and writes nothing: an ad-hoc ingest
writes it at once, a crawl in batches.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from crawler.ingest.outcomes import FAILED, REJECTED, UNCHANGED, current_reason, recorded
from crawler.ingest.records import Page, Rejected
from storage.records import FetchRecord
from storage.store import Store


def page_hash(body: bytes) -> str:
    """sha256 (hex) of a raw body: equal for byte-identical pages."""
    return hashlib.sha256(body).hexdigest()


def page_record(page: Page, content_hash: str | None, run_id: int | None) -> FetchRecord:
    """The fetch record of a page that was received; its outcome is set by the caller."""
    return FetchRecord(
        url=page.url,
        final_url=page.final_url,
        status=page.status,
        etag=page.headers.get("etag"),
        last_modified=page.headers.get("last-modified"),
        content_hash=content_hash,
        fetched_at=page.fetched_at,
        source=page.source,
        run_id=run_id,
    )


def failure_record(url: str, reason: Rejected, *, fetched_at: datetime, source: str | None = None,
                   run_id: int | None = None) -> FetchRecord:
    """A URL that produced no page at all: rejected or failed as the code of
    `reason` says, with its HTTP status when one was received."""
    return FetchRecord(url=url, fetched_at=fetched_at, status=reason.status, outcome=reason.outcome,
                       reason=str(reason), source=source, run_id=run_id)


def not_modified_record(url: str, last: FetchRecord | None, *, fetched_at: datetime, final_url: str | None = None,
                        source: str | None = None, run_id: int | None = None) -> FetchRecord:
    """A 304 answer to a request for `url`. `last` is the fetch whose
    validators the request sent: when it made or confirmed a document, that
    document stands, `unchanged` (not_modified); when it rejected the page
    it received, the page is rejected again for the same reason (the body
    did not change, and extraction is deterministic). Without one the request
    was not conditional, and the 304 failed (http_status)."""
    if last is None or last.outcome == FAILED:  # none, or a 404 / 410: no validators were sent
        why = Rejected("http_status", "304 Not Modified to a request that was not conditional", status=304)
        return failure_record(url, why, fetched_at=fetched_at, source=source, run_id=run_id)
    record = FetchRecord(url=url, final_url=final_url, status=304, etag=last.etag, last_modified=last.last_modified,
                         content_hash=last.content_hash, fetched_at=fetched_at, outcome=UNCHANGED,
                         reason="not_modified", document_id=last.document_id, source=source, run_id=run_id)
    outcome, _ = recorded(last)
    if last.document_id is None and outcome == REJECTED and last.reason:
        record.outcome, record.reason = REJECTED, current_reason(last.reason)
    return record


def same_body_record(store: Store, page: Page, run_id: int | None = None) -> FetchRecord | None:
    """What came of this very body last time, when the page's raw body is
    byte for byte the one of the last fetch of its URL: `unchanged`
    (same_body) when that fetch made or confirmed a document, rejected again
    for the same reason when it was rejected (extraction is deterministic).
    When the newest fetch failed (a timeout, a 5xx), the body is compared
    with the last fetch that made a document. None when the page must be
    extracted. Reads histories written by earlier releases too."""
    last = store.last_fetch(page.url)
    if last is None:
        return None
    outcome, _ = recorded(last)
    if last.document_id is None and outcome != REJECTED:
        last = store.last_fetch(page.url, with_document=True)
        if last is None:
            return None
    digest = page_hash(page.body)
    if last.content_hash != digest:
        return None
    record = page_record(page, digest, run_id)
    if last.document_id is not None:
        record.outcome, record.reason, record.document_id = UNCHANGED, "same_body", last.document_id
    elif outcome == REJECTED and last.reason:
        record.outcome, record.reason = REJECTED, current_reason(last.reason)
    else:
        return None
    return record
