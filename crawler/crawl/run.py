"""Run one crawl of one source, as many times as a long-lived program likes.

Scrapy's Twisted reactor cannot be restarted in a process, so every crawl runs
in its own child process, forked from a fork server that holds no reactor,
threads or database connections ("spawn" where there is no fork server). The
child reports its counts back through a queue; `crawl_source` turns them into
`CrawlStats` and calls `on_progress` with each update.

A crawl killed at any moment (SIGKILL included) leaves the store consistent:
each page is committed in one transaction, and the next crawl of the source
skips or conditionally re-asks what the fetch history already holds.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import resource
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from crawler.crawl.process import exit_with_parent, process_context, quiet_garbage_collector
from crawler.crawl.settings import available_cores, crawl_settings
from crawler.crawl.sources import Source
from crawler.crawl.stats import CrawlStats
from storage.store import Store, StoreConfigError

logger = logging.getLogger(__name__)


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
    return ["scrapy.crawler", *scrapy_modules, "crawler.crawl.pipeline", "crawler.crawl.spider"]


class CrawlFailed(RuntimeError):
    """The crawl process ended without a result (it crashed or was killed);
    the message names the source, the exit code and the log file."""


@dataclass(frozen=True)
class _Job:
    source: Source
    database_url: str | None
    data_dir: str
    run_id: int
    log_file: str
    overrides: dict[str, Any]


def crawl_source(source: Source, *, database_url: str | None, data_dir: str | Path,
                 on_progress: Callable[[CrawlStats], None] | None = None,
                 settings_overrides: dict[str, Any] | None = None) -> CrawlStats:
    """Crawl `source` into the store at `database_url` / `data_dir` and return
    its counts. Blocks until the crawl ends; safe to call any number of times
    in one process. Pages that fail are counted in the result, not raised.

    Records a `runs` row (kind "crawl"): "finished" with the counts, or
    "failed" when the crawl process dies (CrawlFailed is raised) or the store
    cannot take this crawl's documents (StoreConfigError, raised before
    anything is fetched).
    `settings_overrides` are Scrapy / WIRECRAWL_* settings that win over the
    source's (tests use them to drop delays)."""
    data_dir = Path(data_dir)
    with Store(database_url, data_dir) as store:
        run_id = store.start_run("crawl", source.name)
    log_file = data_dir / "logs" / f"crawl-{source.name}-{run_id}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    job = _Job(source, database_url, str(data_dir), run_id, str(log_file), dict(settings_overrides or {}))
    started = time.monotonic()
    try:
        result = _run_child(job, on_progress)
    except BaseException as exc:
        with Store(database_url, data_dir) as store:
            store.finish_run(run_id, {"error": f"{type(exc).__name__}: {exc}"}, status="failed")
        raise
    result.timed(time.monotonic() - started)
    with Store(database_url, data_dir) as store:
        store.finish_run(run_id, result.as_dict())
    return result


def _run_child(job: _Job, on_progress: Callable[[CrawlStats], None] | None) -> CrawlStats:
    ctx = process_context(crawl_preload())
    updates = ctx.Queue()
    child = ctx.Process(target=_crawl_in_child, args=(job, updates),
                        name=f"wirecrawl-crawl-{job.source.name}")
    child.start()
    try:
        while True:
            try:
                kind, payload = updates.get(timeout=0.5)
            except queue.Empty:
                if not child.is_alive():
                    raise CrawlFailed(f"crawl of source {job.source.name!r}: the crawl process ended with "
                                      f"exit code {child.exitcode} and no result (log: {job.log_file})") from None
                continue
            if kind == "progress" and on_progress is not None:
                on_progress(payload)
            elif kind == "done":
                return payload
            elif kind == "failed":
                raise CrawlFailed(f"crawl of source {job.source.name!r} failed: {payload} (log: {job.log_file})")
            elif kind == "config":
                raise StoreConfigError(payload)
    except KeyboardInterrupt:
        child.join(timeout=30)  # Ctrl-C reached the child too (same process group): it stops cleanly
        raise
    except BaseException:
        if child.is_alive():
            child.terminate()  # Scrapy's graceful stop
        raise
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
            child.join()



def _crawl_in_child(job: _Job, updates) -> None:
    # Imported here, in the crawl process: the program that starts crawls
    # needs neither Scrapy nor extraction.
    from crawler.crawl.extraction import prestart_extraction_pool

    # First, while this process has a single thread: fork the extraction workers.
    workers = int(job.overrides.get("WIRECRAWL_EXTRACT_WORKERS") or 0) or available_cores()
    prestart_extraction_pool(workers)
    exit_with_parent()
    quiet_garbage_collector()
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
            worker.terminate()


def _check_store(job: _Job) -> None:
    """Refuse, before fetching anything, a store whose near-duplicate index was
    built with other dedup settings (every page would fail to commit)."""
    # Imported here, in the crawl process: the program that starts crawls
    # needs no dedup.
    from crawler.ingest.config import dedup_config
    from crawler.ingest.dedup import ensure_compatible

    with Store(job.database_url, job.data_dir) as store:
        ensure_compatible(store, dedup_config())


def _crawl(job: _Job, updates) -> CrawlStats:
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.misc import load_object
    from twisted.internet.task import LoopingCall

    settings = crawl_settings(job.source, database_url=job.database_url, data_dir=job.data_dir,
                              run_id=job.run_id, log_file=job.log_file, overrides=job.overrides)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(load_object(settings["WIRECRAWL_SPIDER"]))
    started = time.monotonic()
    final: list[CrawlStats] = []

    def snapshot() -> CrawlStats:
        return CrawlStats.from_scrapy(crawler.stats.get_stats(), source=job.source.name, run_id=job.run_id,
                                      duration_s=time.monotonic() - started)

    reporters: list[LoopingCall] = []

    def opened(spider) -> None:
        # Built here: a LoopingCall imports the reactor, which Scrapy installs first.
        reporters.append(LoopingCall(lambda: updates.put(("progress", snapshot()))))
        reporters[0].start(settings["WIRECRAWL_PROGRESS_INTERVAL"], now=True)

    def closed(spider, reason) -> None:
        for reporter in reporters:
            if reporter.running:
                reporter.stop()
        # CPU of this process (reactor, spider, store thread), for the log's stats.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        crawler.stats.set_value("wirecrawl/seconds/crawl_process_cpu", round(usage.ru_utime + usage.ru_stime, 3))
        # ... and of its extraction processes, ended by now (the pipeline closed first).
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        crawler.stats.set_value("wirecrawl/seconds/extract_processes_cpu", round(usage.ru_utime + usage.ru_stime, 3))
        final.append(snapshot())

    crawler.signals.connect(opened, signal=signals.spider_opened)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, source=job.source)
    process.start()
    if not final:
        raise RuntimeError("the spider never closed; see the crawl log")
    return final[0]
