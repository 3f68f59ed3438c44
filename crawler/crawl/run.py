"""Run one crawl of many sources, as many times as a long-lived program likes.

`crawl_sources(sources, ...)` crawls them together in one engine: one
Scrapy process (one reactor, a download slot per host, see
`crawler.crawl.settings`) and one pool of extraction processes, one a core.
Each source keeps its own limits, counts, fetch records and `runs` row, and
a source whose server is down or whose feed is broken slows no other: each
host waits only for its own slot.

Scrapy's Twisted reactor cannot be restarted in a process, so every crawl runs
in its own child process, forked from a fork server that holds no reactor,
threads or database connections ("spawn" where there is no fork server). The
child reports its counts back through a queue: `on_progress` gets each
source's `CrawlStats` as they change, `on_done` each source's as soon as
it has nothing left to do (while the others go on).

One crawl of a source at a time per store: each source's lock
(`Store.source_lock`) is taken before the crawl and held until it ends, so
a second process asking for a source being crawled waits (up to
`wait_busy_s`) or leaves it out, and says by whom it is held. Runs left
`running` by a process that is gone are marked `abandoned` first.

Ctrl-C (SIGINT) or SIGTERM to the calling process, when it calls from its
main thread, stops the crawl cleanly: the pages in flight are finished for
up to `STOP_GRACE_S` (then abandoned), the counts come back, and the runs
of the sources not done yet are marked `interrupted`. A second Ctrl-C stops
at once. A crawl killed at any moment (SIGKILL included) leaves the store
consistent: each page is committed in one transaction, and the next crawl
of a source skips or conditionally re-asks what the fetch history holds.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from crawler.crawl.extract_limit import extract_timeout_setting
from crawler.crawl.process import exit_with_parent, process_context, quiet_garbage_collector
from crawler.crawl.settings import available_cores, crawl_settings, with_overrides
from crawler.crawl.sources import Source
from crawler.crawl.stats import CANNOT_WRITE, CPU_CRAWL, CPU_EXTRACT, CrawlStats, by_source
from crawler.ingest.outcomes import COPY, STORED
from storage.errors import as_cannot_write
from storage.store import Store, StoreConfigError, store_name
from storage.utc import utc_now

logger = logging.getLogger(__name__)

# Seconds a stopped crawl may take to finish the pages in flight.
STOP_GRACE_S = 20.0
# A second signal this soon after the first is the same request to stop, not
# a second one: a service manager signals every process of a service at
# once, and the program that runs the crawl (`serve`) passes its own on.
SAME_STOP_S = 1.0


def crawl_preload() -> list[str]:
    """Modules the fork server imports once for every crawl process: ours,
    and those of Scrapy's default components (Scrapy imports them while
    building each crawler; some take a second or more)."""
    from scrapy.settings import default_settings as d

    paths = [*d.DOWNLOADER_MIDDLEWARES_BASE, *d.SPIDER_MIDDLEWARES_BASE, *d.EXTENSIONS_BASE,
             *(v for v in d.DOWNLOAD_HANDLERS_BASE.values() if v)]
    paths += [getattr(d, name) for name in ("SCHEDULER", "DUPEFILTER_CLASS", "SCHEDULER_PRIORITY_QUEUE",
                                            "SCHEDULER_MEMORY_QUEUE", "STATS_CLASS", "LOG_FORMATTER",
                                            "ROBOTSTXT_PARSER", "DOWNLOADER", "TWISTED_REACTOR")]
    scrapy_modules = sorted({p.rsplit(".", 1)[0] for p in paths if isinstance(p, str)})
    ours = ["crawler.crawl.pipeline", "crawler.crawl.spider", "crawler.crawl.slots", "crawler.crawl.scheduler",
            "crawler.crawl.dupefilter", "crawler.crawl.throttle", "crawler.crawl.scope",
            "crawler.crawl.unresolved", "crawler.crawl.history", "crawler.crawl.failed_requests", "crawler.crawl.robots",
            "crawler.crawl.crawl_delay", "crawler.crawl.retry", "crawler.crawl.download_handler",
            "crawler.crawl.lean"]
    return ["scrapy.crawler", *scrapy_modules, *ours]


class CrawlFailed(RuntimeError):
    """The crawl process ended without a result (it crashed or was killed);
    the message names the sources, the exit code and the log file."""


class SourceBusy(RuntimeError):
    """Another process is crawling the source into this store (`crawl_source`)."""


@dataclass
class CrawlResult:
    """What `crawl_sources` did: `stats` of each source crawled, in the
    order given; `busy` the sources left out because another process held
    them (name -> who); `interrupted` when the crawl was stopped before its
    end; `failure` when the crawl process died (the sources not done by then
    are counted as far as they got, their runs `failed`); `cannot_write`
    when the store or the archive could not be written (a full disk): the
    crawl stopped at the first such write, the runs of the sources not done
    are `failed`, and the line says what could not be written and why."""

    stats: list[CrawlStats] = field(default_factory=list)
    busy: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False
    failure: str | None = None
    cannot_write: str | None = None


@dataclass(frozen=True)
class _Job:
    sources: list[Source]
    database_url: str | None
    data_dir: str
    run_ids: dict[str, int]
    log_file: str
    overrides: dict[str, Any]


def crawl_source(source: Source, *, database_url: str | None, data_dir: str | Path,
                 on_progress: Callable[[CrawlStats], None] | None = None,
                 settings_overrides: dict[str, Any] | None = None, wait_busy_s: float = 0.0) -> CrawlStats:
    """Crawl one source (`crawl_sources` with one) and return its counts.
    Raises CrawlFailed when the crawl process dies, SourceBusy when another
    process holds the source for longer than `wait_busy_s`, and
    StoreConfigError as `crawl_sources` does."""
    result = crawl_sources([source], database_url=database_url, data_dir=data_dir, on_progress=on_progress,
                           settings_overrides=settings_overrides, wait_busy_s=wait_busy_s)
    if result.busy:
        raise SourceBusy(f"source {source.name!r} {result.busy[source.name]}")
    if result.failure is not None:
        raise CrawlFailed(result.failure)
    return result.stats[0]


def crawl_sources(sources: list[Source], *, database_url: str | None, data_dir: str | Path,
                  on_progress: Callable[[CrawlStats], None] | None = None,
                  on_done: Callable[[CrawlStats], None] | None = None,
                  on_stopping: Callable[[], None] | None = None,
                  settings_overrides: dict[str, Any] | None = None,
                  wait_busy_s: float = 0.0) -> CrawlResult:
    """Crawl `sources` together, into the store at `database_url` /
    `data_dir`, and return what each did. Blocks until the crawl ends; safe
    to call any number of times in one process. Pages that fail are counted
    in the result, not raised; so is a source that cannot be reached
    (`CrawlStats.unreachable`).

    Records a `runs` row (kind "crawl") per source crawled: "finished" with
    its counts, "interrupted" when the crawl was stopped before the source
    was done, "failed" when the crawl process died first. A source another
    process is crawling into the same store is waited for up to
    `wait_busy_s` seconds, then left out (`CrawlResult.busy`). Raises
    StoreConfigError (before anything is fetched, every run failed) when
    the store cannot take this crawl's documents. `on_stopping` is called
    once Ctrl-C or SIGTERM asked the crawl to stop. `settings_overrides`
    are Scrapy / WIRECRAWL_* settings that win over the sources' (tests use
    them to drop delays)."""
    data_dir = Path(data_dir)
    overrides = dict(settings_overrides or {})
    # The environment's limit, read here so a wrong value is one line before anything starts.
    overrides.setdefault("WIRECRAWL_EXTRACT_TIMEOUT", extract_timeout_setting())
    result = CrawlResult()
    store = Store(database_url, data_dir)
    locks = []
    try:
        store.mark_abandoned_runs()
        chosen = []
        for source in dict((s.name, s) for s in sources).values():
            lock = store.source_lock(source.name)
            if lock.acquire(wait_busy_s):
                locks.append(lock)
                chosen.append(source)
            else:
                result.busy[source.name] = _holder(store, source.name)
        if not chosen:
            return result
        run_ids = {s.name: store.start_run("crawl", s.name) for s in chosen}
        first = chosen[0].name
        name = f"crawl-{first}-{run_ids[first]}" if len(chosen) == 1 else \
            f"crawl-{len(chosen)}-sources-{run_ids[first]}"
        log_file = data_dir / "logs" / f"{name}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        job = _Job(chosen, database_url, str(data_dir), run_ids, str(log_file), overrides)
        _Crawl(job, store, result, on_progress, on_done, on_stopping).run()
        return result
    finally:
        for lock in locks:
            lock.release()
        store.close()


def _holder(store: Store, source: str) -> str:
    run = store.running_run(source)
    if run is None:
        return "is being crawled by another process"
    where = f"pid {run.pid} on {run.host}" if run.pid else "another process"
    return f"is being crawled by run {run.id} ({where}, started {run.started_at:%Y-%m-%d %H:%M} UTC)"


class _Stop:
    """SIGINT / SIGTERM while a crawl runs (main thread only): the first asks
    the crawl process to stop (it finishes the pages in flight), the second
    ends it at once, unless it came within `SAME_STOP_S` of the first. A SIGTERM the program had its own handler for (Prefect
    cancelling a flow run) is passed on to it once the runs are recorded
    (`pass_on`)."""

    def __init__(self, child, on_stopping: Callable[[], None] | None):
        self.child, self.on_stopping = child, on_stopping
        self.asked_at: float | None = None
        self.signum: int | None = None
        self.forced = False
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> "_Stop":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)

    def pass_on(self) -> None:
        """Deliver a SIGTERM that stopped the crawl to the handler the
        program had before, when it had one of its own."""
        handler = self._saved.get(signal.SIGTERM)
        if self.signum == signal.SIGTERM and callable(handler):
            signal.raise_signal(signal.SIGTERM)

    def _handle(self, signum, frame) -> None:
        if self.asked_at is None:
            self.asked_at = time.monotonic()
            self.signum = signum
            self._signal(signal.SIGTERM)  # the crawl process's graceful stop
            if self.on_stopping is not None:
                self.on_stopping()
        elif time.monotonic() - self.asked_at > SAME_STOP_S:
            self.forced = True
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        try:
            if self.child.pid is not None:
                os.kill(self.child.pid, signum)
        except ProcessLookupError:
            pass

    @property
    def overdue(self) -> bool:
        return self.forced or (self.asked_at is not None and time.monotonic() - self.asked_at > STOP_GRACE_S)


class _Crawl:
    """The parent's side of one crawl: start the child, relay its reports,
    keep the runs table up to date."""

    def __init__(self, job: _Job, store: Store, result: CrawlResult, on_progress, on_done, on_stopping):
        self.job, self.store, self.result = job, store, result
        self.on_progress, self.on_done, self.on_stopping = on_progress, on_done, on_stopping
        self.latest: dict[str, CrawlStats] = {}
        self.done_at: dict[str, datetime] = {}

    def run(self) -> None:
        ctx = process_context(crawl_preload())
        updates = ctx.Queue()
        child = ctx.Process(target=_crawl_in_child, args=(self.job, updates),
                            name=f"wirecrawl-crawl-{self.job.sources[0].name}")
        child.start()
        final: dict[str, CrawlStats] | None = None
        stop = _Stop(child, self.on_stopping)
        try:
            with stop:
                final = self._relay(child, updates, stop)
                self.result.interrupted = stop.asked_at is not None
        except CrawlFailed as exc:
            self.result.failure = str(exc)
            self._finish_all(status="failed", error=str(exc))
            return
        except KeyboardInterrupt:  # not in the main thread: no handler of ours caught it
            self.result.interrupted = True
            self._finish_all(status="interrupted")
            raise
        except BaseException as exc:
            self._finish_all(status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if child.is_alive():
                child.terminate()  # Scrapy's graceful stop
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
                child.join()
        stopped = next((s.cannot_write for s in (final or {}).values() if s.cannot_write), None)
        if stopped is not None:
            self.result.cannot_write = stopped
            self._finish_all(final=final, status="failed", error=stopped)
        else:
            self._finish_all(final=final or {})
        stop.pass_on()

    def _relay(self, child, updates, stop: _Stop) -> dict[str, CrawlStats] | None:
        """Pass the child's reports on until it is done; the final counts,
        or None when a stopped crawl had to be abandoned."""
        job = self.job
        while True:
            try:
                kind, payload = updates.get(timeout=0.25)
            except queue.Empty:
                if stop.overdue:
                    child.kill()
                    return None
                if not child.is_alive():
                    if stop.asked_at is not None:
                        return None
                    names = ", ".join(repr(s.name) for s in job.sources)
                    raise CrawlFailed(f"crawl of source(s) {names}: the crawl process ended with exit code "
                                      f"{child.exitcode} and no result (log: {job.log_file})") from None
                continue
            if kind == "progress":
                for stats in payload:
                    self.latest[stats.source] = stats
                    if self.on_progress is not None:
                        self.on_progress(stats)
            elif kind == "source_done":
                self._source_done(payload)
            elif kind == "done":
                return payload
            elif kind == "failed":
                names = ", ".join(repr(s.name) for s in job.sources)
                raise CrawlFailed(f"crawl of source(s) {names} failed: {payload} (log: {job.log_file})")
            elif kind == "config":
                raise StoreConfigError(payload)

    def _source_done(self, stats: CrawlStats) -> None:
        self.latest[stats.source] = stats
        self.done_at[stats.source] = utc_now()
        self._record_run(stats.run_id, stats.as_dict(), "finished", self.done_at[stats.source])
        if self.on_done is not None:
            self.on_done(stats)

    def _finish_all(self, final: dict[str, CrawlStats] | None = None, status: str | None = None,
                    error: str | None = None) -> None:
        """Record the end of every source's run, and fill the result."""
        for source in self.job.sources:
            run_id = self.job.run_ids[source.name]
            stats = (final or {}).get(source.name) or self.latest.get(source.name) \
                or CrawlStats(source=source.name, run_id=run_id)
            if source.name not in (final or {}) and source.name not in self.done_at:
                self._count_from_store(stats, run_id)
            stats.log_file = self.job.log_file
            done = source.name in self.done_at
            if done:
                run_status = "finished"
            elif status is not None:
                run_status = status
            else:
                run_status = "interrupted" if self.result.interrupted else "finished"
            stats.status = run_status
            record = stats.as_dict()
            if run_status == "failed":
                record["error"] = error
            self._record_run(run_id, record, run_status, self.done_at.get(source.name))
            self.result.stats.append(stats)
            if not done and self.on_done is not None:
                self.on_done(stats)

    def _count_from_store(self, stats: CrawlStats, run_id: int) -> None:
        """A crawl process ended before its last counts came (a second
        Ctrl-C, a kill): the pages its extraction processes committed after
        its last report are in the store, so the counts are made up to
        what the store holds for the run."""
        try:
            recorded = self.store.run_outcomes(run_id)
        except Exception as exc:  # the counts are a report; the run's end must still be recorded
            logger.warning("run %d: its counts could not be read from the store (%s)", run_id, exc)
            return
        more_stored = max(0, recorded.get(STORED, 0) - stats.stored)
        more_copies = max(0, recorded.get(COPY, 0) - stats.copies)
        stats.stored += more_stored
        stats.copies += more_copies
        stats.fetched += more_stored + more_copies  # each of them a page fetched

    def _record_run(self, run_id: int, record: dict, status: str, finished_at: datetime | None) -> None:
        """The end of a run, in the store; when the store cannot take even
        that (a full disk), the run stays `running` until the next crawl or
        `wirecrawl runs` finds its process gone (`abandoned`), and the
        crawl says why it could not write."""
        try:
            self.store.finish_run(run_id, record, status=status, finished_at=finished_at)
        except Exception as exc:
            full = as_cannot_write(exc, store_name(self.store.database_url))
            if full is None:
                raise
            logger.error("run %d could not be marked %s: %s", run_id, status, full)
            self.result.cannot_write = self.result.cannot_write or str(full)


def _crawl_in_child(job: _Job, updates) -> None:
    # Imported here, in the crawl process: the program that starts crawls
    # needs neither Scrapy nor extraction.
    from crawler.crawl.extraction import prestart_extraction_pool

    # Ctrl-C at the terminal reaches every process of the group at once: the
    # program that started the crawl decides, and asks this one to stop with
    # SIGTERM (`_stop_on_sigterm`). This process stays in the caller's
    # group, so a SIGKILL to the group ends it with the rest.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The fork server ignores SIGTERM, and this process inherits that: a SIGTERM before the crawl
    # starts (and its own handler, `_stop_on_sigterm`) ends it, as it ends any program.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # First, while this process has a single thread: fork the extraction workers.
    workers = int(job.overrides.get("WIRECRAWL_EXTRACT_WORKERS") or 0) or available_cores()
    prestart_extraction_pool(workers)
    exit_with_parent()
    quiet_garbage_collector()
    _raise_open_files_limit()
    try:
        _check_store(job)
        stats = _crawl(job, updates)
    except StoreConfigError as exc:
        updates.put(("config", str(exc)))
    except BaseException as exc:
        # The whole story goes to the crawl log, one line to the caller.
        with open(job.log_file, "a", encoding="utf-8") as log:
            log.write(traceback.format_exc())
        updates.put(("failed", f"{type(exc).__name__}: {exc}"))
    else:
        updates.put(("done", stats))
    finally:
        updates.close()
        updates.join_thread()  # the result is out before anything below can hang
        # Extraction workers still alive here (a pool never used, or one whose
        # shutdown failed) would keep this process from exiting.
        for worker in multiprocessing.active_children():
            worker.kill()  # an extraction process ignores SIGTERM


def _raise_open_files_limit() -> None:
    """A crawl of many hosts keeps a connection or two open to each: take
    the hard limit of open files when the soft one is lower."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 65536 if hard == resource.RLIM_INFINITY else hard
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        pass


def _check_store(job: _Job) -> None:
    """Refuse, before fetching anything, a store whose near-duplicate index was
    built with other dedup settings (every page would fail to commit)."""
    # Imported here, in the crawl process: the program that starts crawls
    # needs no dedup.
    from crawler.ingest.config import dedup_config
    from crawler.ingest.dedup import ensure_compatible

    with Store(job.database_url, job.data_dir) as store:
        ensure_compatible(store, dedup_config())


def _crawl(job: _Job, updates) -> dict[str, CrawlStats]:
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.misc import load_object
    from twisted.internet.task import LoopingCall

    sources = [with_overrides(s, job.overrides) for s in job.sources]
    settings = crawl_settings(sources, database_url=job.database_url, data_dir=job.data_dir,
                              run_ids=job.run_ids, log_file=job.log_file, overrides=job.overrides)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(load_object(settings["WIRECRAWL_SPIDER"]))
    started = time.monotonic()
    reporter = _Reporter(crawler, sources, job.run_ids, started, updates)
    final: list[dict[str, CrawlStats]] = []
    loops: list[LoopingCall] = []

    def opened(spider) -> None:
        # Built here: a LoopingCall imports the reactor, which Scrapy installs first.
        loops.append(LoopingCall(reporter.report))
        loops[0].start(settings["WIRECRAWL_PROGRESS_INTERVAL"], now=True)

    def closed(spider, reason) -> None:
        for loop in loops:
            if loop.running:
                loop.stop()
        # CPU of this process (reactor, spider, store thread), for the log's stats.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        crawler.stats.set_value(CPU_CRAWL, round(usage.ru_utime + usage.ru_stime, 3))
        # ... and of its extraction processes, ended by now (the pipeline closed first).
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        crawler.stats.set_value(CPU_EXTRACT, round(usage.ru_utime + usage.ru_stime, 3))
        final.append(reporter.final())

    crawler.signals.connect(opened, signal=signals.spider_opened)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, sources=sources)
    _stop_on_sigterm(process)
    process.start(install_signal_handlers=False)
    if not final:
        raise RuntimeError("the spider never closed; see the crawl log")
    return final[0]


def _stop_on_sigterm(process) -> None:
    """SIGTERM stops the crawl as Scrapy's own handler would: the first
    lets the pages in flight finish and closes the spider ("shutdown"), a
    second stops the reactor at once. A second that comes within
    `SAME_STOP_S` of the first is the same request (a service manager
    signals every process of the service, and the parent passes its own
    on). SIGINT is the caller's to handle."""
    from twisted.internet import reactor

    asked: list[float] = []

    def handle(signum, frame) -> None:
        if not asked:
            asked.append(time.monotonic())
            reactor.callFromThread(process.stop)
        elif time.monotonic() - asked[0] > SAME_STOP_S:
            reactor.callFromThread(reactor.stop)

    signal.signal(signal.SIGTERM, handle)


class _Reporter:
    """In the crawl process: each source's counts as they change, and each
    source as soon as it has nothing left to do."""

    def __init__(self, crawler, sources: list[Source], run_ids: dict[str, int], started: float, updates):
        self.crawler, self.run_ids, self.started, self.updates = crawler, run_ids, started, updates
        self.names = [s.name for s in sources]
        self.sent: dict[str, tuple] = {}
        self.done: dict[str, float] = {}

    def _stats(self, name: str, counts: dict, stats: dict) -> CrawlStats:
        ended = self.done.get(name, time.monotonic())
        return CrawlStats.from_counts(counts.get(name, {}), stats, source=name, run_id=self.run_ids[name],
                                      duration_s=ended - self.started)

    def report(self) -> None:
        stats = self.crawler.stats.get_stats()
        counts = by_source(stats)
        stopping = CANNOT_WRITE in stats  # no source is done: each stopped where the writes failed
        changed = []
        for name in self.names:
            if name in self.done:
                continue
            current = self._stats(name, counts, stats)
            if current.counts() != self.sent.get(name):
                self.sent[name] = current.counts()
                changed.append(current)
        if changed:
            self.updates.put(("progress", changed))
        if not stopping:
            self._report_done(counts, stats)

    def _report_done(self, counts: dict, stats: dict) -> None:
        if not self.crawler.crawling:
            # Asked to stop: a source not done by then is interrupted, even when its pages in
            # flight turn out to be its last (the parent records it so).
            return
        engine = self.crawler.engine
        spider, scheduler = getattr(engine, "spider", None), getattr(engine, "scheduler", None)
        at_work = scheduler.sources_at_work() if hasattr(scheduler, "sources_at_work") else None
        if spider is None or at_work is None:
            return
        for name in self.names:
            if name not in self.done and name in spider.seeded and name not in at_work:
                self.done[name] = time.monotonic()
                self.updates.put(("source_done", self._stats(name, counts, stats)))

    def final(self) -> dict[str, CrawlStats]:
        stats = self.crawler.stats.get_stats()
        counts = by_source(stats)
        return {name: self._stats(name, counts, stats) for name in self.names}
