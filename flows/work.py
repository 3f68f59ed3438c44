"""The work of each flow, as plain functions: crawl sources, ingest URLs,
write a snapshot, and the counts each run reports.

No Prefect here. The Prefect tasks (`flows.prefect_flows`) call these, and so
does the command line directly when no Prefect server is configured
(`flows.runs`). The crawl, ingest and snapshot machinery is imported inside
each function: every `wirecrawl` call loads this module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from crawler.ingest.outcomes import COPY, FAILED, REJECTED, STORED, UNCHANGED
from flows.settings import Settings

if TYPE_CHECKING:
    from crawler.crawl.run import CrawlResult
    from crawler.crawl.sources import Source
    from crawler.crawl.stats import CrawlStats
    from crawler.ingest.ingest import IngestResult
    from storage.snapshot import SnapshotInfo


# A crawl run by Prefect waits this long for a source another process (a
# `wirecrawl crawl` from a shell) is crawling into the same store.
BUSY_WAIT_S = 6 * 3600


def sources_named(names: list[str], sources_path: str) -> list[Source]:
    """The sources of the sources file with these names, in that order.
    SourcesError if the file is wrong or names no such source."""
    from crawler.crawl.sources import SourcesError, load_sources

    sources = load_sources(sources_path)
    unknown = [n for n in names if n not in sources]
    if unknown:
        raise SourcesError(sources_path, f"no such source; the file names {', '.join(sources)}",
                           source=unknown[0])
    return [sources[n] for n in dict.fromkeys(names)]


def crawl(source_name: str, sources_path: str, settings: Settings,
          on_progress: Callable[..., None] | None = None) -> CrawlStats:
    """Crawl one source of the sources file once, waiting for another
    process crawling it into the same store to finish. SourcesError if the
    file is wrong or names no such source."""
    from crawler.crawl.run import crawl_source

    [source] = sources_named([source_name], sources_path)
    # INFO keeps Scrapy's per-item debug lines out of the run log.
    return crawl_source(source, database_url=settings.database_url, data_dir=settings.data_dir,
                        on_progress=on_progress, settings_overrides={"LOG_LEVEL": "INFO"}, wait_busy_s=BUSY_WAIT_S)


def crawl_together(names: list[str], sources_path: str, settings: Settings,
                   on_progress: Callable[..., None] | None = None,
                   on_done: Callable[..., None] | None = None) -> CrawlResult:
    """Crawl these sources of the sources file together, in one crawl. A
    source another process is crawling into the same store is left out
    (`CrawlResult.busy`). SourcesError if the file is wrong or names no such source."""
    from crawler.crawl.run import crawl_sources

    return crawl_sources(sources_named(names, sources_path), database_url=settings.database_url,
                         data_dir=settings.data_dir, on_progress=on_progress, on_done=on_done,
                         settings_overrides={"LOG_LEVEL": "INFO"})


def ingest(urls: list[str], settings: Settings, allow_private: bool = False,
           on_result: Callable[[IngestResult], None] | None = None) -> list[IngestResult]:
    """Ingest URLs in this process, as one run in the store's run history;
    the same path as a crawl (`crawler.crawl.adhoc.ingest_url`). Each page
    is extracted in another process within WIRECRAWL_EXTRACT_TIMEOUT
    (`crawler.crawl.extract_limit`): a page that runs over it is recorded as
    extract_timeout and the next URL goes on. `on_result` hears of each URL
    as soon as it is done. Ctrl-C (KeyboardInterrupt) ends the run as
    `interrupted`, with the counts of the URLs done, and goes on up."""
    from crawler.crawl.adhoc import ingest_url
    from crawler.crawl.extract_limit import ExtractionProcess, extract_timeout_setting
    from crawler.crawl.fetch import FetchConfig

    fetch_config = FetchConfig(allow_private=allow_private)
    archive = settings.archive()
    with settings.open_store() as store, ExtractionProcess(extract_timeout_setting()) as extraction:
        run_id = store.start_run("ingest")
        results: list[IngestResult] = []
        try:
            for u in urls:
                results.append(ingest_url(u, store, archive=archive, fetch_config=fetch_config, run_id=run_id,
                                          extraction=extraction))
                if on_result is not None:
                    on_result(results[-1])
        except KeyboardInterrupt:
            store.finish_run(run_id, ingest_counts(results), status="interrupted")
            raise
        store.finish_run(run_id, ingest_counts(results))
    return results


def snapshot(settings: Settings, out_dir: str, canonical_only: bool = False,
             since: str | None = None) -> SnapshotInfo:
    """Write one snapshot of the store under `out_dir` (made absolute, so
    artifacts and logs name it wherever they are read). The manifest records
    this process's dedup configuration; its `fingerprint_id` equals the store's
    `store_meta.dedup_config` when the clusters were made with it."""
    from crawler.ingest.config import dedup_config
    from storage.snapshot import write_snapshot

    config = dedup_config()
    with settings.open_store() as store:
        return write_snapshot(store, Path(out_dir).resolve(), canonical_only=canonical_only, since=since,
                              dedup_config={**asdict(config), "fingerprint_id": config.fingerprint_id()})


# -- counts, for artifacts and logs ----------------------------------------------

def crawl_counts(stats: CrawlStats) -> dict[str, Any]:
    """The counts of one crawl, in the order a reader wants them."""
    counts: dict[str, Any] = {
        "fetched": stats.fetched, "stored": stats.stored, "copies": stats.copies,
        "unchanged": stats.unchanged, "not modified (304)": stats.not_modified,
        "skipped (fetched recently)": stats.skipped_recent,
        "skipped (rejected recently)": stats.skipped_rejected,
        "skipped (gone recently: 404, 410)": stats.skipped_gone,
        "skipped (older than max_age_hours)": stats.skipped_old,
        "rejected": sum(stats.rejected.values()),
    }
    counts.update({f"rejected: {reason}": n for reason, n in sorted(stats.rejected.items())})
    counts["failed"] = sum(stats.failed.values())
    counts.update({f"failed: {reason}": n for reason, n in sorted(stats.failed.items())})
    counts["duration (s)"] = round(stats.duration_s, 1)
    counts["pages/s"] = round(stats.pages_per_s, 1)
    if stats.unreachable:
        counts["unreachable"] = stats.unreachable
    if stats.status != "finished":
        counts["status"] = stats.status
    return counts


def ingest_counts(results: list[IngestResult]) -> dict[str, Any]:
    """Outcomes of an ad-hoc ingest, plus rejections and failures by reason."""
    outcomes = Counter(r.outcome for r in results)
    counts: dict[str, Any] = {"urls": len(results)}
    counts.update({o: outcomes.get(o, 0) for o in (STORED, COPY, UNCHANGED, REJECTED, FAILED)})
    for r in results:
        if r.outcome in (REJECTED, FAILED):
            key = f"{r.outcome}: {r.reason_code or 'unknown'}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def ingest_rows(results: list[IngestResult]) -> list[dict[str, Any]]:
    """One row per URL, in order: the URL, its outcome, the reason (code and
    sentence; empty for stored and copy), its cluster, and for a copy the
    canonical member it copies."""
    return [{"url": r.url, "outcome": r.outcome, "reason": r.reason or "",
             "cluster": r.cluster_id, "copy of": r.duplicate_of_url or ""} for r in results]


def ingest_failure(results: list[IngestResult]) -> str | None:
    """Why an ad-hoc ingest failed as a whole: every URL was rejected or
    failed (a sentence naming the URL and its reason, or for several URLs
    the count by outcome and reason). None when at least one URL was
    stored, a copy or unchanged, or when there were no URLs."""
    if not results or any(r.outcome not in (REJECTED, FAILED) for r in results):
        return None
    if len(results) == 1:
        return f"the URL was not ingested: {results[0].line()}"
    why = Counter(f"{r.outcome} ({r.reason_code or 'unknown'})" for r in results)
    return (f"none of the {len(results)} URLs was ingested: "
            + ", ".join(f"{n} {what}" for what, n in why.most_common()))


@dataclass
class IngestReport:
    """What a run of ad-hoc ingest leaves for Prefect: its log lines (one per
    URL, then the counts), its table artifacts by key, the one-line summary,
    and why the run failed (None when it did not)."""

    log_lines: list[str]
    tables: dict[str, tuple[list[dict[str, Any]], str]]  # key -> (rows, description)
    summary: str
    failure: str | None


def ingest_report(results: list[IngestResult]) -> IngestReport:
    """The report of one ad-hoc ingest: artifact `ingest-url`, each URL with
    its outcome and reason (`ingest_rows`); artifact `ingest-url-counts`, the
    counts (`ingest_counts`); failed when every URL was rejected or failed
    (`ingest_failure`). The flow and the command line leave the same."""
    counts = ingest_counts(results)
    summary = f"ingest done: {counts_line(counts)}"
    tables = {
        "ingest-url": (ingest_rows(results), f"Ad-hoc ingest of {len(results)} URL(s): each URL and its outcome"),
        "ingest-url-counts": ([{"count": k, "value": v} for k, v in counts.items()],
                              f"Ad-hoc ingest of {len(results)} URL(s): counts"),
    }
    return IngestReport([r.line() for r in results] + [summary], tables, summary, ingest_failure(results))


def counts_line(counts: dict[str, Any]) -> str:
    """Counts on one line: "fetched 9, stored 7, …"."""
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def snapshot_counts(info: SnapshotInfo) -> dict[str, Any]:
    """Where a snapshot went and how many rows of each kind it holds."""
    return {"version": info.version, "path": str(info.path),
            "incremental since": info.since or "-", "canonical only": info.canonical_only,
            **{f"rows: {k}": v for k, v in info.rows.items()}}
