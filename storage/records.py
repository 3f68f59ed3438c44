"""The records the store keeps. Plain dataclasses with explicit fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FetchRecord:
    """One attempt to fetch a URL, successful or not (the fetch history)."""

    url: str
    fetched_at: datetime
    status: int | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # sha256 of the raw body
    # stored | copy | unchanged | rejected | failed (crawler.ingest.outcomes);
    # stores written by earlier releases also hold not_modified and error.
    outcome: str = "failed"
    reason: str | None = None  # "code: detail", why it was unchanged, rejected or failed
    document_id: int | None = None
    source: str | None = None
    run_id: int | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    id: int | None = None


@dataclass
class SourceHistory:
    """What the fetch history holds for one crawl source, read in one
    transaction (see `Store.source_history`)."""

    # Per URL, the newest fetch by these sources that received the page and
    # judged it: it stored or matched a document, or rejected the body.
    newest: list[FetchRecord]
    # The store holds such a fetch by someone else (another source, an
    # ad-hoc ingest).
    others_have_pages: bool
    # Every URL these sources ever fetched, whatever came of it, when the
    # store holds no fetch at all by anyone else; None when it does.
    urls: list[str] | None


@dataclass
class Document:
    """An article with its ids and its dedup decision."""

    url: str
    url_key: str  # canonical form of url, the identity of "the same URL"
    text: str
    text_hash: str  # hash of the normalised text (exact duplicates)
    fetched_at: datetime
    final_url: str | None = None
    canonical_url: str | None = None
    source: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601 date or datetime
    language: str | None = None
    sitename: str | None = None
    tags: list[str] = field(default_factory=list)
    attribution: str | None = None  # "Via X" / "(AFP)" / "Read more at" line, if the page names a source
    page_hash: str | None = None
    version: int = 1
    is_latest: bool = True
    cluster_id: int | None = None
    is_canonical: bool = True
    duplicate_of: int | None = None  # id of the cluster's canonical member, for copies
    similarity: float | None = None  # similarity to the canonical member, for copies
    fetch_id: int | None = None
    id: int | None = None


@dataclass
class RunRecord:
    """One run in the run history: a crawl of a source, an ad-hoc ingest, a demo."""

    id: int
    kind: str  # crawl | ingest | demo
    source: str | None
    started_at: datetime
    finished_at: datetime | None  # None while running, or if the run's process died
    # running | finished | failed | interrupted (stopped on purpose) | abandoned (its process is gone)
    status: str
    stats: dict[str, Any] = field(default_factory=dict)  # the run's counts, as it recorded them
    host: str | None = None  # the host and pid of the process that started it (None: an earlier release)
    pid: int | None = None
