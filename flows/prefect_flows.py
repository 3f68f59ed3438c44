"""The Prefect flows of wirecrawl: `crawl-source`, `ingest-url` and `snapshot`.

Flows are thin: each calls one task that does the work (`flows.work`), then
leaves an artifact (a table of counts) and a summary line in the run log.
Retries, their condition and timeouts are declared on the decorators; one
crawl per source at a time is a Prefect global concurrency limit the flow
holds around its task. Pages that fail are counted, never retried: only
infrastructure failures are (the database, the disk, a crawl process that
died), and a wrong sources file or snapshot request fails at once.

Importing this module imports Prefect (about 2 s): the command line imports
it only when a Prefect server is configured (`flows.runs`). Deployments name
these flows by entrypoint, e.g. `flows.prefect_flows.crawl_source_flow`.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.states import Failed, State

from crawler.crawl.sources import SourcesError
from crawler.crawl.stats import CrawlStats
from crawler.ingest.ingest import IngestResult
from flows import work
from flows.settings import Settings, private_addresses_allowed
from storage.snapshot import SnapshotError, SnapshotInfo

HOUR = 3600


def infrastructure_failure(task, task_run, state) -> bool:
    """Retry condition: a wrong sources file or snapshot request fails at
    once; anything else (database, disk, a crawl process that died) is retried."""
    return not isinstance(state.data, (SourcesError, SnapshotError, ValueError))


# -- tasks: the work, with its retry policy. NO_CACHE: every call must really
# fetch, crawl or write again.

@task(name="crawl", retries=2, retry_delay_seconds=[60, 600], retry_condition_fn=infrastructure_failure,
      cache_policy=NO_CACHE)
def crawl_task(source: str, sources: str, settings: Settings,
               on_progress: Callable[..., None] | None = None) -> CrawlStats:
    """Crawl one source once. A crawl is incremental and resumes from the
    store, so a retry is cheap."""
    return work.crawl(source, sources, settings, on_progress)


@task(name="ingest", retries=2, retry_delay_seconds=[5, 30], retry_condition_fn=infrastructure_failure,
      cache_policy=NO_CACHE)
def ingest_task(urls: list[str], settings: Settings, allow_private: bool) -> list[IngestResult]:
    """Fetch and ingest URLs. A retry re-ingests the URLs already done: they
    come back unchanged."""
    return work.ingest(urls, settings, allow_private)


@task(name="write-snapshot", retries=1, retry_delay_seconds=60, retry_condition_fn=infrastructure_failure,
      cache_policy=NO_CACHE)
def snapshot_task(settings: Settings, out_dir: str, canonical_only: bool, since: str | None) -> SnapshotInfo:
    """Write one snapshot version of the store."""
    return work.snapshot(settings, out_dir, canonical_only, since)


# -- flows: order, limits and reports -------------------------------------------

@flow(name="crawl-source", flow_run_name="crawl-{source}", timeout_seconds=6 * HOUR)
def crawl_source_flow(source: str, sources: str = "sources.toml", data_dir: str | None = None,
                      database_url: str | None = None) -> dict[str, Any]:
    """Crawl one source, then summarise. Never two runs of one source at once."""
    logger = get_run_logger()
    settings = Settings.resolve(data_dir, database_url)
    with one_crawl_per_source(source, logger):
        stats = crawl_task(source, sources, settings, _progress_logger(logger, source))
    counts = work.crawl_counts(stats)
    _table_artifact(f"crawl-{source}", counts, f"Crawl of {source} ({settings.describe()})")
    logger.info("crawl of %s done: %s", source, _line(counts))
    return counts


@flow(name="ingest-url", timeout_seconds=1 * HOUR)
def ingest_url_flow(url: str | None = None, urls: list[str] | None = None) -> list[IngestResult] | State:
    """Fetch and ingest one URL (`url`) or several (`urls`); neither fails
    the run at once (ValueError).

    Anyone who can trigger a run chooses its URLs, and nothing else: the
    store is the worker's (WIRECRAWL_DATA_DIR, WIRECRAWL_DATABASE_URL), and
    private, loopback and link-local addresses are refused unless the worker
    itself runs with WIRECRAWL_ALLOW_PRIVATE=1 (`private_addresses_allowed`).

    Leaves the artifacts `ingest-url` (each URL with its outcome and reason)
    and `ingest-url-counts`, and a log line per URL. The run ends Failed,
    with a message naming the URL and its reason (or the counts by reason),
    when every URL was rejected or failed; else Completed, returning the
    results."""
    logger = get_run_logger()
    wanted = ([url] if url else []) + list(urls or [])
    if not wanted:
        raise ValueError("ingest-url needs a `url` or a list of `urls`")
    results = ingest_task(wanted, Settings.resolve(), private_addresses_allowed())
    report = work.ingest_report(results)
    for line in report.log_lines:
        logger.info(line)
    for key, (rows, description) in report.tables.items():
        create_table_artifact(key=key, table=rows, description=description)
    if report.failure is not None:
        return Failed(message=report.failure)
    return results


@flow(name="snapshot", timeout_seconds=2 * HOUR)
def snapshot_flow(out_dir: str = "snapshots", canonical_only: bool = False, since: str | None = None,
                  data_dir: str | None = None, database_url: str | None = None) -> SnapshotInfo:
    """Write a snapshot of the store under `out_dir`."""
    logger = get_run_logger()
    info = snapshot_task(Settings.resolve(data_dir, database_url), out_dir, canonical_only, since)
    counts = work.snapshot_counts(info)
    _table_artifact("snapshot", counts, f"Snapshot {info.version}")
    create_markdown_artifact(key="snapshot-path", description=f"Snapshot {info.version}", markdown=(
        f"Snapshot **{info.version}** at `{info.path}`: {info.rows['all']} rows "
        f"({info.rows['canonical']} canonical, {info.rows['copies']} copies, "
        f"{info.rows['superseded']} superseded versions)"
        + (f", incremental since {info.since}" if info.since else "") + "."))
    logger.info("snapshot %s written to %s: %s", info.version, info.path,
                _line({k: v for k, v in counts.items() if k.startswith("rows")}))
    return info


# -- one crawl per source ------------------------------------------------------

@contextmanager
def one_crawl_per_source(source: str, logger) -> Iterator[None]:
    """Hold the source's slot of a Prefect global concurrency limit (limit 1,
    named `crawl-source-<source>`, created on first use) for the whole crawl.

    A second trigger of the same source WAITS for the running crawl to end
    rather than being dropped: the crawl is incremental, so the second run
    costs little (feeds and sitemaps re-read, recently fetched pages skipped)
    and a trigger someone asked for is never lost. The limit lives on the
    Prefect server, so it holds across `serve`, work-pool workers on several
    machines and direct calls. A crawl process killed while holding the slot
    stops renewing its lease, and the slot frees itself after the lease
    (5 minutes)."""
    name = f"crawl-source-{source}"
    _ensure_limit(name)
    logger.info("taking the crawl slot of %s (a second run of %s waits here until the first ends)",
                source, source)
    # A failed lease renewal (the API blinked) must not kill a long crawl.
    with concurrency(name, occupy=1, strict=True, raise_on_lease_renewal_failure=False):
        logger.info("crawl slot of %s taken", source)
        yield


def _ensure_limit(name: str) -> None:
    # Created only if missing: an operator may have changed it in the UI.
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except ObjectAlreadyExists:
                pass  # another run of this source created it a moment ago: same effect


# -- artifacts and log lines ---------------------------------------------------

def _table_artifact(key: str, counts: dict[str, Any], description: str) -> None:
    create_table_artifact(key=_artifact_key(key), description=description,
                          table=[{"count": k, "value": v} for k, v in counts.items()])


def _artifact_key(name: str) -> str:
    # Prefect artifact keys: lowercase letters, digits and dashes only.
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")


def _line(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _progress_logger(logger, source: str, every_s: float = 30.0) -> Callable[..., None]:
    """A crawl progress callback that logs at INFO at most every `every_s`."""
    last = [0.0]

    def report(progress: Any = None, *_: Any) -> None:
        now = time.monotonic()
        if now - last[0] >= every_s:
            last[0] = now
            logger.info("crawl of %s: %s", source, _describe_progress(progress))

    return report


def _describe_progress(progress: Any) -> str:
    fields = ("fetched", "stored", "copies", "unchanged", "pages_per_s")
    if all(hasattr(progress, f) for f in fields):
        return ", ".join(f"{f.replace('_', ' ')} {getattr(progress, f)}" for f in fields)
    return str(progress)
