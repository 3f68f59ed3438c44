"""Where crawl and extraction processes come from, and how they behave.

- `process_context`: a fork server that imported what the processes need
  once, so each new process starts in milliseconds from a clean,
  single-threaded parent.
- `exit_with_parent`: no crawl or extraction process outlives the program
  that asked for it.
- `quiet_garbage_collector`: the collector settings of the crawl process and
  of the extraction processes.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import threading


def exit_with_parent() -> None:
    """End this process as soon as the process that started it is gone
    (SIGKILL included), so no crawl or extraction process outlives the
    program that asked for it. No-op in a process not started by multiprocessing."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(70)

    threading.Thread(target=watch, name="wirecrawl-parent-watch", daemon=True).start()


def process_context(preload: list[str]) -> multiprocessing.context.BaseContext:
    """Where crawl and extraction processes come from: a fork server that has
    imported `preload` once (Scrapy, trafilatura, datasketch take seconds to
    import), so each new process starts in milliseconds from a clean,
    single-threaded parent. "spawn" where there is no fork server."""
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:
        return multiprocessing.get_context("spawn")
    # The fork server ignores SIGTERM (crawler.crawl.forkserver): a service manager's, sent to
    # every process at once, is for the crawls to handle, and they end with the fork server.
    ctx.set_forkserver_preload([*preload, "crawler.crawl.forkserver"])
    return ctx


EXTRACTION_PROCESS = "wirecrawl-extract"  # the name of every extraction process
_ends_at_exit: int | None = None  # the pid of the process that registered `_kill_extraction_processes`


def end_at_exit() -> None:
    """Kill this program's extraction processes (`EXTRACTION_PROCESS`) when
    it exits, those still running then: an extraction process ignores
    SIGTERM, which is all multiprocessing sends its daemon processes at exit
    before waiting for them. Registered once a process; holds none of them."""
    import multiprocessing.util

    global _ends_at_exit
    if _ends_at_exit != os.getpid():
        _ends_at_exit = os.getpid()
        multiprocessing.util.Finalize(None, _kill_extraction_processes, exitpriority=5)


def _kill_extraction_processes() -> None:
    for child in multiprocessing.active_children():
        if child.name == EXTRACTION_PROCESS:
            child.kill()


# The crawl process allocates container objects fast (requests, responses,
# Deferreds) and keeps few of them: with Python's default thresholds (700,
# 10, 10) a 2,000-page crawl ran 510 young collections and 4 full ones, each
# full one walking every object of Scrapy, Twisted, lxml and trafilatura
# imported before the crawl (65 ms each); 11 % of the crawl process's CPU.
_GC_THRESHOLDS = (10_000, 20, 20)


def quiet_garbage_collector() -> None:
    """Fewer, cheaper cyclic collections in the crawl process and in each
    extraction process: what is loaded by now (imported modules, the fork
    server's preload, or all the crawl process held when it forked its
    extraction processes) lives as long as the process, so it moves out of
    the collector's sight (`gc.freeze`; a forked process's collections then
    no longer touch, and copy, the memory pages it shares with its parent),
    and young collections run at 10,000 new containers instead of 700.
    Reference counting frees a page's response, request and trees as before;
    only garbage in cycles waits longer (the crawl process's peak memory was
    the same, 164 MB against 163, on `bench/crawl.py`'s 2,000 pages)."""
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)

