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
Every path calls it; it answers a 304 and a body fetched before from the
fetch history first (`crawler.ingest.fetches`). What can come of a page is
named in `crawler.ingest.outcomes`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from crawler.ingest.config import IngestConfig, ingest_config
from crawler.ingest.dedup import (Fingerprint, Shingled, ensure_compatible, fingerprint, forget_expired, lock_keys,
                                  store_document)
from crawler.ingest.extract import extract, text_length
from crawler.ingest.fetches import (failure_record, not_modified_record, page_hash, page_record,
                                    same_body_record)
from crawler.ingest.outcomes import UNCHANGED, code_of
from crawler.ingest.records import Article, Page, Rejected
from crawler.ingest.sitelines import CLUSTERS_NEEDED, KNOWN, site_of
from crawler.ingest.urls import document_key
from storage.archive import Archive, encode_record
from storage.records import Document, FetchRecord
from storage.store import Store, is_deadlock

logger = logging.getLogger(__name__)


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
    outcome: str  # one of crawler.ingest.outcomes.OUTCOMES
    reason: str | None = None  # "code: detail", the code one of crawler.ingest.outcomes.REASONS
    document_id: int | None = None
    cluster_id: int | None = None
    duplicate_of_url: str | None = None
    similarity: float | None = None
    version: int | None = None
    joined: bool = False  # stored into a cluster that already had members
    fetch: FetchRecord | None = None  # the fetch record of this URL
    extracted: bool = False  # the page went through extraction
    # Where the time went, for the crawl log's stats.
    extract_seconds: float = 0.0
    commit_seconds: float = 0.0

    @property
    def reason_code(self) -> str | None:
        """The code of `reason` ("not_html: content type …" -> "not_html")."""
        return code_of(self.reason)

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


def prepare(page: Page, config: IngestConfig | None = None,
            site_furniture: frozenset[int] = frozenset()) -> Prepared:
    """Extract and fingerprint a page (with `ingest_config()` unless told
    otherwise), taking out the lines `site_furniture` names (what the page's
    site repeats on its pages, crawler.ingest.sitelines). Never raises for
    bad input: a page that cannot become a document comes back with
    `rejection` set."""
    config = config or ingest_config()
    prepared = not_extracted(page, None, config)
    try:
        article = extract(page, config.extract, site_furniture=site_furniture)
        _check_matchable(article, config)
        prepared.article = article
        prepared.fingerprint = fingerprint(article.text, config.dedup)
    except Rejected as exc:
        prepared.rejection = exc
    except Exception as exc:  # a bug or a pathological page: record it, go on
        prepared.rejection = Rejected("extract_error", f"{type(exc).__name__}: {exc}")
    return prepared


def _check_matchable(article: Article, config: IngestConfig) -> None:
    """Rejected("too_short") for a text kept under the article minimum only
    because its page names its source (a republished excerpt) that is too
    short for the dedup to find its story by (`DedupConfig.min_excerpt_shingles`,
    about a dozen words): it would be stored as a story of its own."""
    if article.attribution is None or text_length(article.text) >= config.extract.min_text_length:
        return
    needed = config.dedup.min_excerpt_shingles or config.dedup.min_shingles
    if len(Shingled.of(article.text, config.dedup).all) < needed:
        raise Rejected("too_short", f"{text_length(article.text)} characters of text naming its source, too few "
                                    f"words to be matched to the story it is cut from ({needed} shingles needed)")


def not_extracted(page: Page, rejection: Rejected | None, config: IngestConfig | None = None) -> Prepared:
    """A page as `prepare` has it before extraction: its hash and its
    archive record. With `rejection`, the reason it has no article, for a
    page whose extraction never finished (it ran over its time limit, or
    its process died): committed as any rejected page is."""
    config = config or ingest_config()
    prepared = Prepared(page=page, page_hash=page_hash(page.body), rejection=rejection)
    if config.archive_pages and page.body:
        prepared.archive_record = encode_record(page.final_url or page.url, page.status, page.headers,
                                                page.body, page.fetched_at)
    return prepared


def record_failure(store: Store, url: str, reason: Rejected, *, fetched_at: datetime,
                   source: str | None = None, run_id: int | None = None) -> IngestResult:
    """Record a URL that produced no page at all (robots, timeout, bad
    address…): rejected or failed as the code of `reason` says."""
    record = failure_record(url, reason, fetched_at=fetched_at, source=source, run_id=run_id)
    store.record_fetch(record)
    return _answered(record)


def _answered(record: FetchRecord) -> IngestResult:
    # What the fetch history answered, without extraction.
    return IngestResult(url=record.url, outcome=record.outcome, reason=record.reason,
                        document_id=record.document_id, fetch=record)


def commit(prepared: Prepared, store: Store, *, archive: Archive | None = None,
           config: IngestConfig | None = None, run_id: int | None = None) -> IngestResult:
    """Store what `prepare` produced. Transactional: the document, its index
    rows, its cluster decision and its fetch record commit together or not at all."""
    config = config or ingest_config()
    page = prepared.page
    record = page_record(page, prepared.page_hash, run_id)
    if archive is not None and prepared.archive_record is not None:
        record.warc_file, record.warc_offset = archive.append(prepared.archive_record, page.fetched_at)

    if prepared.rejection is not None:
        record.outcome, record.reason = prepared.rejection.outcome, str(prepared.rejection)
        store.record_fetch(record)
        return IngestResult(url=page.url, outcome=record.outcome, reason=record.reason, fetch=record)

    article, fp = prepared.article, prepared.fingerprint
    assert article is not None and fp is not None
    ensure_compatible(store, config.dedup)
    _forget_expired_when_due(store, config)
    site = site_of(page.final_url or page.url)
    keys = lock_keys(page.url, page.final_url, article, fp, site)
    for attempt in range(1, _DEADLOCK_ATTEMPTS + 1):
        try:
            return _commit_document(prepared, store, record, config, site, keys)
        except Exception as exc:
            if not is_deadlock(exc) or attempt == _DEADLOCK_ATTEMPTS:
                raise
            # Two commits locked one cluster each and wanted the other's (a
            # merge racing a join); PostgreSQL rolled this one back whole.
            logger.warning("%s: commit attempt %d rolled back to break a lock cycle (%s); trying again",
                           page.url, attempt, str(exc).splitlines()[0])
    raise AssertionError("unreachable")


# With a retention window, how often a process takes the documents past it
# out of the near-duplicate index (lookups pass over them meanwhile).
_FORGET_EVERY_S = 3600.0
_forgotten_at: dict[str, float] = {}


def _forget_expired_when_due(store: Store, config: IngestConfig) -> None:
    if config.dedup.index_retention_days is None:
        return
    last = _forgotten_at.get(store.database_url)
    if last is not None and time.monotonic() - last < _FORGET_EVERY_S:
        return
    _forgotten_at[store.database_url] = time.monotonic()
    gone = forget_expired(store, config.dedup)
    if gone:
        logger.info("%d documents older than %d days left the near-duplicate index", gone,
                    config.dedup.index_retention_days)


# A commit rolled back by PostgreSQL's deadlock detector is tried again this
# many times in all: the cycle needs two cluster merges racing, each retry
# starts afresh and finds the merged cluster.
_DEADLOCK_ATTEMPTS = 3


def _commit_document(prepared: Prepared, store: Store, record: FetchRecord, config: IngestConfig,
                     site: str, keys: list[int]) -> IngestResult:
    """The document's transaction of `commit`, under its lock keys."""
    page, article, fp = prepared.page, prepared.article, prepared.fingerprint
    assert article is not None and fp is not None
    url_key = document_key(page.url, page.final_url)
    with store.write(keys=keys) as conn:
        previous = store.latest_for_url(url_key, conn)
        if previous is not None and previous.text_hash == fp.text_hash:
            record.outcome, record.reason, record.document_id = UNCHANGED, "same_text", previous.id
            store.record_fetch(record, conn)
            return IngestResult(url=page.url, outcome=UNCHANGED, reason=record.reason, document_id=previous.id,
                                cluster_id=previous.cluster_id, fetch=record)
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
        learned = store.learn_site_lines(conn, site, article.line_keys, decision.cluster_id, page.fetched_at,
                                         CLUSTERS_NEEDED)
        joined = decision.size > 1
        record.outcome = "copy" if decision.matched_id is not None else "stored"
        record.document_id = doc.id
        doc.fetch_id = store.record_document_fetch(conn, record)
    KNOWN.learned(store, site, learned)
    return IngestResult(
        url=page.url,
        outcome=record.outcome,
        document_id=doc.id,
        cluster_id=decision.cluster_id,
        duplicate_of_url=decision.matched_url,
        similarity=decision.similarity,
        version=doc.version,
        joined=joined,
        fetch=record,
    )


def ingest_page(page: Page, store: Store, *, archive: Archive | None = None,
                config: IngestConfig | None = None, run_id: int | None = None,
                log: Callable[[FetchRecord], None] | None = None,
                prepare_with: Callable[[Page, IngestConfig | None, frozenset[int]], Prepared] = prepare,
                ) -> IngestResult:
    """Turn one fetched page into a stored document (or a recorded rejection),
    on every path: a crawl's extraction processes, an ad-hoc URL, a saved page.

    A 304, and a page whose raw body is the last fetch's (unless
    `page.first_fetch`), are answered from the fetch history without
    extraction (`crawler.ingest.fetches`); their record goes to `log` when
    given (a crawl writes them in batches), else to the store.
    `prepare_with(page, config, site_furniture)` does the extraction
    (`prepare` unless told otherwise): a crawl's extraction processes and
    the commands that extract in their own process wrap it in their time
    limit. Never raises for a bad page; database errors propagate."""
    if page.status == 304:
        record = not_modified_record(page.url, page.validated or store.last_fetch(page.url, with_page=True),
                                     fetched_at=page.fetched_at, final_url=page.final_url, source=page.source,
                                     run_id=run_id)
    else:
        record = None if page.first_fetch else same_body_record(store, page, run_id)
    if record is not None:
        (log or store.record_fetch)(record)
        return _answered(record)
    furniture = KNOWN.of(store, site_of(page.final_url or page.url))
    started = time.perf_counter()
    prepared = prepare_with(page, config, furniture)
    extracted = time.perf_counter()
    result = commit(prepared, store, archive=archive, config=config, run_id=run_id)
    result.extracted = True
    result.extract_seconds, result.commit_seconds = extracted - started, time.perf_counter() - extracted
    return result
