"""The Prefect flows — `crawl-source`, `ingest-url`, `snapshot` — and the
functions the command line calls to run them (`ingest_urls`, `take_snapshot`).

Flows are thin: each calls one task that does the work in crawler/ or
storage/, then leaves an artifact (a table of counts) and a summary line in
the run log. Retries, timeouts and the one-crawl-per-source limit are declared
in `FLOWS` and `TASKS` below, not written as loops.

Prefect is imported only when a flow is needed. Importing it costs about 2 s,
and `wirecrawl ingest URL` must stay fast when no Prefect server is configured:
then `ingest_urls` and `take_snapshot` do the work directly in this process.
The flow objects `crawl_source_flow`, `ingest_url_flow` and `snapshot_flow`
are built on first access (a module `__getattr__`, PEP 562); deployments name
them by entrypoint, e.g. `flows.flows.crawl_source_flow`.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
import tomllib
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from crawler.ingest.outcomes import COPY, FAILED, REJECTED, STORED, UNCHANGED
from flows.settings import Settings
from storage.store import default_database_url

if TYPE_CHECKING:
    from crawler.ingest.ingest import IngestResult
    from crawler.crawl.stats import CrawlStats
    from storage.snapshot import SnapshotInfo

log = logging.getLogger(__name__)

HOUR = 3600


# -- is there a Prefect server? ------------------------------------------------

def prefect_api_url() -> str | None:
    """The Prefect API this process would report to: PREFECT_API_URL from the
    environment, else from the active Prefect profile (`prefect config set
    PREFECT_API_URL=…`). None when neither names one: Prefect would then start
    a temporary server, which costs seconds and cannot run schedules. Read
    without importing Prefect; an unreadable profile file counts as none."""
    if "PREFECT_API_URL" in os.environ:
        return os.environ["PREFECT_API_URL"] or None
    home = Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("cannot read the Prefect profiles file %s (%s); assuming no Prefect server", path, exc)
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    return profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL") or None


def prefect_server_answers(api_url: str, timeout: float = 2.0) -> bool:
    """True if the Prefect API at `api_url` answers its health check."""
    import httpx

    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _report_to_prefect() -> bool:
    url = prefect_api_url()
    if url is None:
        return False
    if not prefect_server_answers(url):
        log.warning("the Prefect API at %s is not answering; running without it "
                    "(start it with `wirecrawl server` or `prefect server start`)", url)
        return False
    return True


# -- what the command line calls -------------------------------------------------

def ingest_urls(urls: list[str], settings: Settings, *, allow_private: bool = False) -> list[IngestResult]:
    """Fetch and ingest each URL; one IngestResult per URL, in order. A bad URL
    or page never raises: it comes back `rejected` or `error` with its reason.
    Ad-hoc URLs on private, loopback or link-local addresses are refused
    unless `allow_private`.

    As a run of the `ingest-url` flow when a Prefect API is configured and
    answering (the run shows in its UI); directly in this process otherwise,
    without importing Prefect."""
    urls = list(urls)
    if _report_to_prefect():
        return _flow("ingest_url_flow")(urls=urls, allow_private=allow_private, **_store_parameters(settings))
    return ingest(urls, settings, allow_private)


def take_snapshot(settings: Settings, out_dir: str | Path, *, canonical_only: bool = False,
                  since: str | None = None) -> SnapshotInfo:
    """Write a new snapshot version of the store under `out_dir` (see
    `storage.snapshot.write_snapshot`; SnapshotError for an unknown `since`).
    As a run of the `snapshot` flow when a Prefect API is configured and
    answering, directly otherwise."""
    if _report_to_prefect():
        return _flow("snapshot_flow")(out_dir=str(Path(out_dir).resolve()), canonical_only=canonical_only,
                                      since=since, **_store_parameters(settings))
    return snapshot(settings, str(out_dir), canonical_only, since)


def _store_parameters(settings: Settings) -> dict[str, str | None]:
    # Flow parameters are shown in the Prefect UI: name the database only when
    # it is not the default SQLite file of the data directory.
    url = settings.database_url
    return {"data_dir": str(settings.data_dir),
            "database_url": None if url == default_database_url(settings.data_dir) else url}


# -- the work (called by the tasks, and directly when Prefect is not used) -------

def crawl(source_name: str, sources_path: str, settings: Settings,
          on_progress: Callable[..., None] | None = None) -> CrawlStats:
    """Crawl one source of the sources file once. SourcesError if the file is
    wrong or names no such source."""
    from crawler.crawl.run import crawl_source
    from crawler.crawl.sources import SourcesError, load_sources

    sources = load_sources(sources_path)
    if source_name not in sources:
        raise SourcesError(sources_path, f"no such source; the file names {', '.join(sources)}",
                           source=source_name)
    # INFO keeps Scrapy's per-item debug lines out of the run log.
    return crawl_source(sources[source_name], database_url=settings.database_url, data_dir=settings.data_dir,
                        on_progress=on_progress, settings_overrides={"LOG_LEVEL": "INFO"})


def ingest(urls: list[str], settings: Settings, allow_private: bool = False) -> list[IngestResult]:
    """Ingest URLs in this process, as one run in the store's run history;
    the same path as a crawl (`crawler.crawl.adhoc.ingest_url`)."""
    from crawler.crawl.adhoc import ingest_url
    from crawler.crawl.fetch import FetchConfig

    fetch_config = FetchConfig(allow_private=allow_private)
    archive = settings.archive()
    with settings.open_store() as store:
        run_id = store.start_run("ingest")
        results = [ingest_url(u, store, archive=archive, fetch_config=fetch_config, run_id=run_id) for u in urls]
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
        "rejected": sum(stats.rejected.values()),
    }
    counts.update({f"rejected: {reason}": n for reason, n in sorted(stats.rejected.items())})
    counts["failed"] = sum(stats.failed.values())
    counts.update({f"failed: {reason}": n for reason, n in sorted(stats.failed.items())})
    counts["duration (s)"] = round(stats.duration_s, 1)
    counts["pages/s"] = round(stats.pages_per_s, 1)
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


def snapshot_counts(info: SnapshotInfo) -> dict[str, Any]:
    """Where a snapshot went and how many rows of each kind it holds."""
    return {"version": info.version, "path": str(info.path),
            "incremental since": info.since or "-", "canonical only": info.canonical_only,
            **{f"rows: {k}": v for k, v in info.rows.items()}}


# -- the flows ---------------------------------------------------------------

def _crawl_source(source: str, sources: str = "sources.toml", data_dir: str | None = None,
                  database_url: str | None = None) -> dict[str, Any]:
    """Crawl one source, then summarise. Never two runs of one source at once."""
    from prefect import get_run_logger

    logger = get_run_logger()
    settings = Settings.resolve(data_dir, database_url)
    with _one_crawl_per_source(source, logger):
        stats = _task(crawl)(source, sources, settings, _progress_logger(logger, source))
    counts = crawl_counts(stats)
    _table_artifact(f"crawl-{source}", counts, f"Crawl of {source} ({settings.describe()})")
    logger.info("crawl of %s done: %s", source, _line(counts))
    return counts


def _ingest_url(url: str | None = None, urls: list[str] | None = None, allow_private: bool = False,
                data_dir: str | None = None, database_url: str | None = None) -> list[IngestResult]:
    """Fetch and ingest one URL (`url`) or several (`urls`). Private, loopback
    and link-local addresses are refused unless `allow_private`."""
    from prefect import get_run_logger

    logger = get_run_logger()
    wanted = ([url] if url else []) + list(urls or [])
    if not wanted:
        raise ValueError("ingest-url needs a `url` or a list of `urls`")
    results = _task(ingest)(wanted, Settings.resolve(data_dir, database_url), allow_private)
    for r in results:
        logger.info(r.line())
    counts = ingest_counts(results)
    _table_artifact("ingest-url", counts, f"Ad-hoc ingest of {len(wanted)} URL(s)")
    logger.info("ingest done: %s", _line(counts))
    return results


def _snapshot(out_dir: str = "snapshots", canonical_only: bool = False, since: str | None = None,
              data_dir: str | None = None, database_url: str | None = None) -> SnapshotInfo:
    """Write a snapshot of the store under `out_dir`."""
    from prefect import get_run_logger
    from prefect.artifacts import create_markdown_artifact

    logger = get_run_logger()
    info = _task(snapshot)(Settings.resolve(data_dir, database_url), out_dir, canonical_only, since)
    counts = snapshot_counts(info)
    _table_artifact("snapshot", counts, f"Snapshot {info.version}")
    create_markdown_artifact(key="snapshot-path", description=f"Snapshot {info.version}", markdown=(
        f"Snapshot **{info.version}** at `{info.path}`: {info.rows['all']} rows "
        f"({info.rows['canonical']} canonical, {info.rows['copies']} copies, "
        f"{info.rows['superseded']} superseded versions)"
        + (f", incremental since {info.since}" if info.since else "") + "."))
    logger.info("snapshot %s written to %s: %s", info.version, info.path,
                _line({k: v for k, v in counts.items() if k.startswith("rows")}))
    return info


def _infrastructure_failure(task, task_run, state) -> bool:
    """Retry condition: a wrong sources file or snapshot request fails at
    once; anything else (database, disk, a crawl process that died) is retried."""
    from crawler.crawl.sources import SourcesError
    from storage.snapshot import SnapshotError

    return not isinstance(state.data, (SourcesError, SnapshotError, ValueError))


# Flow and task options. Timeouts bound a stuck run; retries cover
# infrastructure failures only (pages that fail are counted, not raised).
FLOWS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "crawl_source_flow": (_crawl_source, dict(name="crawl-source", flow_run_name="crawl-{source}",
                                              timeout_seconds=6 * HOUR)),
    "ingest_url_flow": (_ingest_url, dict(name="ingest-url", timeout_seconds=1 * HOUR)),
    "snapshot_flow": (_snapshot, dict(name="snapshot", timeout_seconds=2 * HOUR)),
}
TASKS: dict[Callable[..., Any], dict[str, Any]] = {
    # a crawl is incremental and resumes from the store, so a retry is cheap
    crawl: dict(name="crawl", retries=2, retry_delay_seconds=[60, 600],
                retry_condition_fn=_infrastructure_failure),
    # a retry re-ingests URLs already done: they come back "unchanged"
    ingest: dict(name="ingest", retries=2, retry_delay_seconds=[5, 30],
                 retry_condition_fn=_infrastructure_failure),
    snapshot: dict(name="write-snapshot", retries=1, retry_delay_seconds=60,
                   retry_condition_fn=_infrastructure_failure),
}

_build_lock = threading.Lock()


def _flow(attr: str):
    """The Prefect flow named `attr` in FLOWS, built once."""
    with _build_lock:
        built = globals().get(attr)
        if built is None:
            from prefect import flow

            body, options = FLOWS[attr]
            built = globals()[attr] = flow(body, **options)
        return built


@functools.cache
def _task(fn: Callable[..., Any]):
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    # NO_CACHE: every call must really fetch / crawl / write again.
    return task(fn, cache_policy=NO_CACHE, **TASKS[fn])


def __getattr__(name: str):  # PEP 562: `flows.flows.crawl_source_flow` builds the flow
    if name in FLOWS:
        return _flow(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- one crawl per source ------------------------------------------------------

@contextmanager
def _one_crawl_per_source(source: str, logger) -> Iterator[None]:
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
    from prefect.concurrency.sync import concurrency

    name = f"crawl-source-{source}"
    _ensure_limit(name)
    logger.info("taking the crawl slot of %s (a second run of %s waits here until the first ends)",
                source, source)
    # A failed lease renewal (the API blinked) must not kill a long crawl.
    with concurrency(name, occupy=1, strict=True, raise_on_lease_renewal_failure=False):
        logger.info("crawl slot of %s taken", source)
        yield


def _ensure_limit(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

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
    from prefect.artifacts import create_table_artifact

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
