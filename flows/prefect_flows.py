"""The Prefect flows of wirecrawl: `crawl-sources`, `crawl-source`,
`ingest-url` and `snapshot`.

Flows are thin: each calls one task that does the work (`flows.work`), then
leaves an artifact (a table of counts) and a summary line in the run log.
Retries, their condition and timeouts are declared on the decorators; one
crawl per source at a time is a Prefect global concurrency limit per
source, held around the crawl. Pages that fail are counted, never retried:
only infrastructure failures are (the database, the disk, a crawl process
that died), and a wrong sources file or snapshot request fails at once.

`crawl-sources` crawls many sources together in one crawl (one engine, one
extraction pool): the sources whose schedules fall due at the minute a run
was scheduled for, or those it is given. The UI still shows each source: a
`crawl-<source>` task run with its own `crawl-<source>` table artifact, and
the store has one `runs` row per source.

Importing this module imports Prefect (about 2 s): the command line imports
it only when a Prefect server is configured (`flows.runs`). Deployments name
these flows by entrypoint, e.g. `flows.prefect_flows.crawl_source_flow`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.runtime import deployment, flow_run
from prefect.states import Failed, State

from crawler.crawl.sources import SourcesError
from crawler.crawl.stats import CrawlStats
from crawler.ingest.ingest import IngestResult
from flows import work
from flows.schedule import SERVED_ENV, due_sources, minute_of, unserved
from flows.settings import Settings, private_addresses_allowed, snapshot_dir
from storage.snapshot import SnapshotError, SnapshotInfo
from storage.store import Store

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
    store, so a retry is cheap. A crawl stopped by a signal comes back with
    the status `interrupted` (the flow reports it, then ends as stopped)."""
    return work.crawl(source, sources, settings, on_progress)


@task(name="crawl-together", retries=2, retry_delay_seconds=[60, 600], retry_condition_fn=infrastructure_failure,
      cache_policy=NO_CACHE)
def crawl_together_task(names: list[str], sources: str, settings: Settings,
                        on_progress: Callable[..., None] | None = None,
                        on_done: Callable[[CrawlStats], None] | None = None,
                        holding: "_Slots | None" = None) -> dict[str, Any]:
    """Crawl these sources together, in one crawl. Returns each source's
    counts (and the sources another process held), for the per-source
    reports. `on_done` hears of each source as soon as it has nothing left
    to do. With `holding`, the run's crawl slots: a retry crawls again only
    the sources whose slots the run still holds (those whose crawl failed;
    one that finished let go of its slot and is not crawled a second time,
    outside it). A crawl is incremental, so a retry is cheap."""
    if holding is not None:
        names = holding.held(names)
        if not names:
            return {"stats": {}, "busy": {}, "interrupted": False}
    result = work.crawl_together(names, sources, settings, on_progress, on_done)
    if result.failure is not None:
        raise RuntimeError(result.failure)  # the crawl process died: retried
    # Stopped by a signal: not retried; the flow reports each source, then ends as stopped.
    return {"stats": {s.source: s for s in result.stats}, "busy": result.busy, "interrupted": result.interrupted}


@task(name="report-source", task_run_name="crawl-{source}", cache_policy=NO_CACHE)
def report_source_task(source: str, stats: CrawlStats | None, note: str | None = None) -> dict[str, Any]:
    """One source's part of a crawl of several: its table artifact
    (`crawl-<source>`) and a line in the log, in a task run of its own so
    the UI shows each source. `note` says why a source was not crawled."""
    logger = get_run_logger()
    if stats is None:
        counts = {"crawled": "no", "why": note or "-"}
        logger.info("%s not crawled: %s", source, note)
    else:
        counts = work.crawl_counts(stats)
        logger.info("crawl of %s done: %s", source, _line(counts))
    _table_artifact(f"crawl-{source}", counts, f"Crawl of {source}" + (f" (run {stats.run_id})" if stats else ""))
    return counts


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
def crawl_source_flow(source: str, sources: str = "sources.toml") -> dict[str, Any]:
    """Crawl one source, then summarise. Never two runs of one source at once.
    The store is the worker's (WIRECRAWL_DATA_DIR, WIRECRAWL_DATABASE_URL),
    never a run's parameter."""
    logger = get_run_logger()
    settings = Settings.resolve()
    _served_sources_only(sources, source)
    with one_crawl_per_source(source, logger):
        stats = crawl_task(source, sources, settings, _progress_logger(logger, source))
    counts = work.crawl_counts(stats)
    if stats.status == "interrupted":  # reported, then the run ends as stopped, not completed
        _table_artifact(f"crawl-{source}", counts, f"Crawl of {source}, interrupted ({settings.describe()})")
        raise KeyboardInterrupt(f"the crawl of {source} was stopped; what it fetched is stored")
    _table_artifact(f"crawl-{source}", counts, f"Crawl of {source} ({settings.describe()})")
    logger.info("crawl of %s done: %s", source, _line(counts))
    return counts


def _crawl_sources_run_name() -> str:
    names = flow_run.parameters.get("names")
    when = minute_of(flow_run.scheduled_start_time)
    return f"crawl-{len(names)}-sources" if names else f"crawl-due-{when:%Y%m%dT%H%M}"


@flow(name="crawl-sources", flow_run_name=_crawl_sources_run_name, timeout_seconds=6 * HOUR)
def crawl_sources_flow(sources: str = "sources.toml", names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Crawl several sources together, in one crawl, then report each.

    `names` given: those sources. Not given (a scheduled run): every source
    whose `schedule` falls due at the minute this run was scheduled for.
    Each source's crawl slot (`crawl-source-<name>`) is held for the whole
    crawl. A source whose slot is held (its last crawl is still running) is
    not started twice: it is left out of this crawl, and says so in its
    report; so is a source crawled since that minute already (by a run of
    another schedule that fell due at the same minute). An unknown name
    fails the run at once (SourcesError). The store is the worker's
    (WIRECRAWL_DATA_DIR, WIRECRAWL_DATABASE_URL), never a run's parameter."""
    logger = get_run_logger()
    settings = Settings.resolve()
    minute = minute_of(flow_run.scheduled_start_time)
    served = _served_sources_only(sources)
    if names:
        wanted = [s.name for s in work.sources_named(list(names), sources)]
    else:
        from crawler.crawl.sources import load_sources

        loaded = load_sources(sources)
        for line in unserved(loaded, served) if served else ():
            logger.warning("the sources file changed since serve started: %s; restart `wirecrawl serve` to "
                           "register it", line)
        wanted = due_sources(loaded, minute)
        logger.info("%d source(s) due at %s UTC: %s", len(wanted), f"{minute:%Y-%m-%d %H:%M}",
                    ", ".join(wanted) or "none")
    reports: dict[str, dict[str, Any]] = {}
    slots = _Slots()
    try:
        chosen, left_out, already = _take_free_slots(slots, wanted, settings, since=None if names else minute)
        for name, why in {**left_out, **already}.items():
            logger.info("%s left out of this crawl: %s", name, why)
        # Each source's slot is let go as soon as that source is done, not when the slowest
        # source of the crawl is: its next due minute is its own.
        done = crawl_together_task(chosen, sources, settings, _batch_progress_logger(logger, len(chosen)),
                                   slots.release_done, holding=slots) if chosen else \
            {"stats": {}, "busy": {}, "interrupted": False}
    except Exception as exc:
        # Every attempt failed: the sources done before the failure are still reported.
        for name, stats in slots.reported.items():
            if stats.status == "finished":
                report_source_task(name, stats)
        logger.error("crawl of %s failed: %s", ", ".join(wanted), exc)
        raise
    finally:
        slots.close()
    left_out.update({name: f"busy: {holder}" for name, holder in done["busy"].items()})
    # A source done in an attempt that failed for another source is not crawled again by the retry.
    crawled = {**slots.reported, **done["stats"]}
    for name in wanted:
        if name in already:
            continue  # another run of this minute crawled it, and reported it
        reports[name] = report_source_task(name, crawled.get(name) if name not in left_out else None,
                                           left_out.get(name))
    logger.info("crawl of %d source(s) together done; %d left out", len(crawled), len(left_out) + len(already))
    if done["interrupted"]:  # reported, then the run ends as stopped, not completed
        raise KeyboardInterrupt(f"the crawl of {', '.join(chosen)} was stopped; what it fetched is stored")
    return reports


class _Slots:
    """The crawl slots a run holds, one per source: each let go when its
    source is done (`release_done`, called from the crawl's reports) or
    when the run ends (`close`). A source whose crawl failed keeps its slot
    until the run ends: the task's retry crawls it again under it."""

    def __init__(self) -> None:
        self._held: dict[str, ExitStack] = {}
        self._lock = threading.Lock()
        self.reported: dict[str, CrawlStats] = {}  # each source's last counts, over every attempt

    def take(self, source: str, slot) -> None:
        stack = ExitStack()
        stack.enter_context(slot)
        with self._lock:
            self._held[source] = stack

    def held(self, names: list[str]) -> list[str]:
        """Those of `names` whose slots this run still holds."""
        with self._lock:
            return [name for name in names if name in self._held]

    def release_done(self, stats: CrawlStats) -> None:
        with self._lock:
            self.reported[stats.source] = stats
            if stats.status == "failed":
                return  # the crawl process died before this source was done: a retry crawls it, in its slot
            stack = self._held.pop(stats.source, None)
        if stack is None:
            return
        try:
            stack.close()
        except Exception as exc:  # the Prefect API blinked: the lease frees the slot; the crawl goes on
            logging.getLogger(__name__).warning("crawl slot of %s not let go (%s: %s); it frees itself within "
                                                "%.0f s", stats.source, type(exc).__name__, exc, SLOT_LEASE_S)

    def close(self) -> None:
        with self._lock:
            stacks, self._held = list(self._held.values()), {}
        for stack in stacks:
            stack.close()


def _served_sources_only(sources: str, source: str | None = None) -> dict | None:
    """Under `serve` (SERVED_ENV set), what it registered; a run that names
    another sources file, or a crawl-source deployment asked to crawl
    another source than its own, fails at once (SourcesError): a sources
    file is trusted (it may reach private addresses), so whoever triggers a
    run cannot choose it. None outside `serve`."""
    raw = os.environ.get(SERVED_ENV)
    if not raw:
        return None
    served = json.loads(raw)
    if Path(sources).resolve() != Path(served["sources"]).resolve():
        raise SourcesError(sources, f"runs of this worker crawl the sources file serve was started with "
                                    f"({served['sources']}); a run cannot name another")
    deployment_name = deployment.name
    if source is not None and deployment_name in served["names"] and deployment_name != source:
        raise SourcesError(sources, f"the crawl-source/{deployment_name} deployment crawls {deployment_name}, "
                                    "not another source", source=source)
    return served


def _take_free_slots(slots: _Slots, wanted: list[str], settings: Settings,
                     since: datetime | None) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Take the crawl slot of every source of `wanted` that is free, while
    holding the gathering lock (`crawl-sources-gather`), so two runs that
    start at once never split the sources between them: the second finds
    the slots taken. A source crawled at or after `since` is left out too.
    Returns the sources whose slots are now held by `slots`, why the others
    were left out (their slot is held), and those crawled already for this
    minute (by another run of a schedule that fell due with this one)."""
    chosen: list[str] = []
    left_out: dict[str, str] = {}
    already: dict[str, str] = {}
    _ensure_limit(_GATHER)
    with concurrency(_GATHER, occupy=1, strict=True, timeout_seconds=600):
        with Store(settings.database_url, settings.data_dir) as store:
            last = {name: store.last_run_started(name) for name in wanted} if since is not None else {}
        for name in wanted:
            started = last.get(name)
            if since is not None and started is not None and started >= since:
                already[name] = f"crawled already at {started:%H:%M:%S} UTC, for this minute"
            elif _try_slot(slots, name):
                chosen.append(name)
            else:
                left_out[name] = "still running (its crawl slot is held): not started twice"
    return chosen, left_out, already


_GATHER = "crawl-sources-gather"


def _try_slot(slots: _Slots, source: str) -> bool:
    """Take the crawl slot of `source` into `slots` if it is free, without waiting."""
    name = f"crawl-source-{source}"
    _ensure_limit(name)
    try:
        # Prefect logs a held slot at ERROR from its acquisition service; here it is the
        # expected answer ("not started twice"), said at INFO by the caller.
        with _quiet(_SLOT_SERVICE_LOGGER, "ConcurrencySlotAcquisition"):
            slots.take(source, concurrency(name, occupy=1, strict=True, max_retries=0,
                                           lease_duration=SLOT_LEASE_S, raise_on_lease_renewal_failure=False))
    except ConcurrencySlotAcquisitionError as exc:
        if getattr(getattr(exc.__cause__, "response", None), "status_code", None) == 423:
            return False
        raise
    return True


_SLOT_SERVICE_LOGGER = "prefect._internal.concurrency"


@contextmanager
def _quiet(logger_name: str, about: str) -> Iterator[None]:
    """Drop the records of `logger_name` that mention `about` while the block runs."""
    def keep(record: logging.LogRecord) -> bool:
        return about not in record.getMessage()

    target = logging.getLogger(logger_name)
    target.addFilter(keep)
    try:
        yield
    finally:
        target.removeFilter(keep)


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
def snapshot_flow(canonical_only: bool = False, since: str | None = None) -> SnapshotInfo:
    """Write a snapshot of the store. A run chooses what goes in it, not
    where anything is: the store is the worker's (WIRECRAWL_DATA_DIR,
    WIRECRAWL_DATABASE_URL), and so is the snapshot folder
    (WIRECRAWL_SNAPSHOT_DIR, else `snapshots` in its working directory:
    `flows.settings.snapshot_dir`)."""
    logger = get_run_logger()
    info = snapshot_task(Settings.resolve(), str(snapshot_dir()), canonical_only, since)
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
    (`SLOT_LEASE_S`)."""
    name = f"crawl-source-{source}"
    _ensure_limit(name)
    logger.info("taking the crawl slot of %s (a second run of %s waits here until the first ends)",
                source, source)
    # A failed lease renewal (the API blinked) must not kill a long crawl.
    with concurrency(name, occupy=1, strict=True, lease_duration=SLOT_LEASE_S, raise_on_lease_renewal_failure=False):
        logger.info("crawl slot of %s taken", source)
        yield


# A slot's lease, renewed while its holder lives: a crawl killed with its
# flow run (a SIGKILL, a lost machine) frees its sources' slots
# within this many seconds, so the next due minute crawls them again.
SLOT_LEASE_S = 60.0


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
    # Prefect artifact keys: lowercase letters, digits and dashes only. A name
    # that had to change gets a short hash of itself, so "news_a", "news.a" and
    # "news-a" keep three keys.
    key = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    if key != name:
        key += "-" + hashlib.blake2b(name.encode(), digest_size=3).hexdigest()
    return key


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


def _batch_progress_logger(logger, sources: int, every_s: float = 30.0) -> Callable[..., None]:
    """A progress callback for a crawl of several sources: one INFO line at
    most every `every_s`, with the totals over the sources so far."""
    latest: dict[str, Any] = {}
    last = [0.0]

    def report(progress: Any = None, *_: Any) -> None:
        source = getattr(progress, "source", None)
        if source is not None:
            latest[source] = progress
        now = time.monotonic()
        if now - last[0] >= every_s and latest:
            last[0] = now
            totals = {f: sum(getattr(p, f, 0) for p in latest.values()) for f in ("fetched", "stored", "copies")}
            logger.info("crawl of %d source(s): %d reporting, %s", sources, len(latest),
                        ", ".join(f"{k} {v}" for k, v in totals.items()))

    return report


def _describe_progress(progress: Any) -> str:
    fields = ("fetched", "stored", "copies", "unchanged", "pages_per_s")
    if all(hasattr(progress, f) for f in fields):
        return ", ".join(f"{f.replace('_', ' ')} {getattr(progress, f)}" for f in fields)
    return str(progress)
