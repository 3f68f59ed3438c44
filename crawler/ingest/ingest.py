"""The one path from a fetched page to a stored document.

Every entry point (a crawl, an ad-hoc URL, a re-ingest of archived HTML) ends
here. The work is split in two so a crawl can run the CPU-bound half in a
process pool while the reactor keeps downloading:

- `prepare(page, config)`: pure and picklable, no store access: decode,
  extract, normalise, fingerprint (MinHash band keys).
- `commit(prepared, store, ...)`: archive the raw page, then in one store
  transaction decide unchanged / new version / new cluster / copy, write the
  document and its index rows, and record the fetch.

`ingest_page` is the two in a row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from crawler.ingest.dedup import DedupConfig, Fingerprint, ensure_compatible, fingerprint, store_document
from crawler.ingest.extract import ExtractConfig, extract
from crawler.ingest.records import Article, Page, Rejected
from crawler.ingest.urls import canonicalize
from storage.archive import Archive, encode_record
from storage.records import Document, FetchRecord
from storage.store import Store


@dataclass(frozen=True)
class IngestConfig:
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    archive_pages: bool = True


@dataclass
class Prepared:
    """A page after the CPU-bound half of ingest."""

    page: Page
    page_hash: str
    article: Article | None = None
    fingerprint: Fingerprint | None = None
    rejection: Rejected | None = None
    archive_record: bytes | None = None  # the raw page as a gzip WARC record, for `Archive.append`


@dataclass
class IngestResult:
    """What happened to one URL; `line()` is what the CLI prints."""

    url: str
    outcome: str  # stored | copy | unchanged | rejected | error
    reason: str | None = None
    document_id: int | None = None
    cluster_id: int | None = None
    duplicate_of_url: str | None = None
    similarity: float | None = None
    version: int | None = None
    joined: bool = False  # stored into a cluster that already had members

    def line(self) -> str:
        if self.outcome == "stored":
            extra = f", version {self.version}" if self.version and self.version > 1 else ""
            where = "canonical of cluster" if self.joined else "new cluster"
            return f"{self.url}: stored ({where} {self.cluster_id}{extra})"
        if self.outcome == "copy":
            return f"{self.url}: stored as a copy of {self.duplicate_of_url} ({self.similarity:.2f})"
        if self.outcome == "unchanged":
            return f"{self.url}: unchanged"
        return f"{self.url}: {self.outcome} ({self.reason})"


def page_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def prepare(page: Page, config: IngestConfig = IngestConfig()) -> Prepared:
    """Extract and fingerprint a page. Never raises for bad input: a page that
    cannot become a document comes back with `rejection` set."""
    prepared = Prepared(page=page, page_hash=page_hash(page.body))
    if config.archive_pages and page.body:
        prepared.archive_record = encode_record(page.final_url or page.url, page.status, page.headers,
                                                page.body, page.fetched_at)
    try:
        article = extract(page, config.extract)
        prepared.article = article
        prepared.fingerprint = fingerprint(article.text, config.dedup)
    except Rejected as exc:
        prepared.rejection = exc
    except Exception as exc:  # a bug or a pathological page: record it, go on
        prepared.rejection = Rejected("extract_error", f"{type(exc).__name__}: {exc}")
    return prepared


def _fetch_record(page: Page, prepared_hash: str | None, run_id: int | None) -> FetchRecord:
    return FetchRecord(
        url=page.url,
        final_url=page.final_url,
        status=page.status,
        etag=page.headers.get("etag"),
        last_modified=page.headers.get("last-modified"),
        content_hash=prepared_hash,
        fetched_at=page.fetched_at,
        source=page.source,
        run_id=run_id,
    )


def record_failure(store: Store, url: str, reason: Rejected, *, fetched_at: datetime,
                   status: int | None = None, source: str | None = None, run_id: int | None = None,
                   outcome: str = "rejected") -> IngestResult:
    """Record a URL that produced no page at all (robots, timeout, bad address…)."""
    store.record_fetch(FetchRecord(url=url, fetched_at=fetched_at, status=status, outcome=outcome,
                                   reason=str(reason), source=source, run_id=run_id))
    return IngestResult(url=url, outcome=outcome, reason=str(reason))


def unchanged_since_last_fetch(store: Store, page: Page) -> FetchRecord | None:
    """The previous fetch of this URL if it had the same raw body and made a
    document: then nothing needs extracting."""
    last = store.last_fetch(page.url, with_document=True)
    if last is not None and last.content_hash == page_hash(page.body):
        return last
    return None


def commit(prepared: Prepared, store: Store, *, archive: Archive | None = None,
           config: IngestConfig = IngestConfig(), run_id: int | None = None) -> IngestResult:
    """Store what `prepare` produced. Transactional: the document, its index
    rows, its cluster decision and its fetch record commit together or not at all."""
    page = prepared.page
    record = _fetch_record(page, prepared.page_hash, run_id)
    if archive is not None and prepared.archive_record is not None:
        record.warc_file, record.warc_offset = archive.append(prepared.archive_record, page.fetched_at)

    if prepared.rejection is not None:
        record.outcome, record.reason = "rejected", str(prepared.rejection)
        store.record_fetch(record)
        return IngestResult(url=page.url, outcome="rejected", reason=str(prepared.rejection))

    article, fp = prepared.article, prepared.fingerprint
    assert article is not None and fp is not None
    ensure_compatible(store, config.dedup)
    url_key = canonicalize(page.url)
    with store.write() as conn:
        previous = store.latest_for_url(url_key, conn)
        if previous is not None and previous.text_hash == fp.text_hash:
            record.outcome, record.document_id = "unchanged", previous.id
            store.record_fetch(record, conn)
            return IngestResult(url=page.url, outcome="unchanged", document_id=previous.id,
                                cluster_id=previous.cluster_id)
        if previous is not None:
            store.supersede(conn, previous.id)
        doc = Document(
            url=page.url,
            url_key=url_key,
            final_url=page.final_url,
            canonical_url=article.canonical_url,
            source=page.source,
            title=article.title,
            author=article.author,
            published=article.published,
            language=article.language,
            sitename=article.sitename,
            tags=list(article.tags),
            attribution=article.attribution,
            text=article.text,
            text_hash=fp.text_hash,
            page_hash=prepared.page_hash,
            fetched_at=page.fetched_at,
            version=(previous.version + 1) if previous else 1,
        )
        decision = store_document(conn, store, doc, fp, config.dedup)
        joined = decision.size > 1
        record.outcome = "copy" if decision.matched_id is not None else "stored"
        record.document_id = doc.id
        doc.fetch_id = store.record_fetch(record, conn)
        store.link_fetch(conn, doc.id, doc.fetch_id)
    return IngestResult(
        url=page.url,
        outcome=record.outcome,
        document_id=doc.id,
        cluster_id=decision.cluster_id,
        duplicate_of_url=decision.matched_url,
        similarity=decision.similarity,
        version=doc.version,
        joined=joined,
    )


def ingest_page(page: Page, store: Store, *, archive: Archive | None = None,
                config: IngestConfig = IngestConfig(), run_id: int | None = None) -> IngestResult:
    """Turn one fetched page into a stored document (or a recorded rejection).

    A page whose raw body is byte-identical to the last stored fetch of the
    same URL is `unchanged` without extraction."""
    last = unchanged_since_last_fetch(store, page)
    if last is not None:
        record = _fetch_record(page, last.content_hash, run_id)
        record.outcome, record.document_id = "unchanged", last.document_id
        store.record_fetch(record)
        return IngestResult(url=page.url, outcome="unchanged", document_id=last.document_id)
    return commit(prepare(page, config), store, archive=archive, config=config, run_id=run_id)
