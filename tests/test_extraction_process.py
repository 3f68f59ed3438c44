"""A command's one extraction process (crawler.crawl.extract_limit): calls
run in another process that lives from one call to the next; a call over
the time limit costs that process, never the command, and the next call
gets a new one; so does a call whose process died."""

from __future__ import annotations

import os
import pickle
import threading
import time

import pytest

from crawler.crawl.extract_limit import (DEFAULT_EXTRACT_TIMEOUT, ExtractionProcess, ExtractionProcessDied,
                                         ExtractionTimedOut, ExtractTimeoutSettingError, extract_timeout_setting)
from crawler.crawl.workers import WorkerError
from crawler.ingest.records import Rejected


def _pid() -> int:
    return os.getpid()


def _busy() -> None:
    while True:  # a parser that never ends
        pass


def _die(code: int) -> None:
    os._exit(code)


def _fail(message: str) -> None:
    raise ValueError(message)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _over_the_limit_then_on(extraction: ExtractionProcess) -> None:
    first = extraction.call(_pid)
    assert first != os.getpid() and extraction.call(_pid) == first  # one process for call after call
    started = time.monotonic()
    with pytest.raises(ExtractionTimedOut, match=r"extraction ran over 1 s \(its process was ended\)"):
        extraction.call(_busy)
    assert 1.0 <= time.monotonic() - started < 3.0
    assert _gone(first)
    assert extraction.call(_pid) not in (first, os.getpid())  # a new process for the next call


def test_a_call_over_the_limit_ends_its_process_and_the_next_call_gets_a_new_one():
    with ExtractionProcess(1.0) as extraction:
        _over_the_limit_then_on(extraction)


def test_processes_ended_over_the_limit_leave_nothing_open_behind_them():
    """A long `wirecrawl ingest` may end hundreds of extraction processes:
    each one ended leaves no file descriptor (nor anything holding one)."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd to count open file descriptors")
    with ExtractionProcess(0.2) as extraction:
        extraction.call(_pid)  # one process started and ended before counting
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(10):
            with pytest.raises(ExtractionTimedOut):
                extraction.call(_busy)
        assert len(os.listdir("/proc/self/fd")) <= before


def test_a_process_with_threads_takes_its_extraction_process_from_the_fork_server():
    # A thread of this process blocked in a wait while the calls run: forking
    # then would be unsafe, and the limit must hold all the same.
    release = threading.Event()
    waiting = threading.Thread(target=release.wait)
    waiting.start()
    try:
        with ExtractionProcess(1.0) as extraction:
            _over_the_limit_then_on(extraction)
    finally:
        release.set()
        waiting.join()


def test_a_process_that_dies_under_a_call_is_reported_and_replaced():
    with ExtractionProcess(5.0) as extraction:
        before = extraction.call(_pid)
        with pytest.raises(ExtractionProcessDied) as died:
            extraction.call(_die, 3)
        assert died.value.exitcode == 3
        assert extraction.call(_pid) not in (before, os.getpid())
        with pytest.raises(WorkerError, match="ValueError: bad page"):  # raised there: the traceback here
            extraction.call(_fail, "bad page")


def test_closing_ends_the_process():
    with ExtractionProcess(5.0) as extraction:
        pid = extraction.call(_pid)
    assert _gone(pid)


def test_no_limit_runs_the_call_in_this_process():
    assert ExtractionProcess(0).call(_pid) == os.getpid()


def test_the_limit_comes_from_the_environment():
    assert extract_timeout_setting({}) == DEFAULT_EXTRACT_TIMEOUT == 30.0
    assert extract_timeout_setting({"WIRECRAWL_EXTRACT_TIMEOUT": "2.5"}) == 2.5
    assert extract_timeout_setting({"WIRECRAWL_EXTRACT_TIMEOUT": "0"}) == 0.0
    for wrong in ("soon", "-1", "nan", "inf"):
        with pytest.raises(ExtractTimeoutSettingError, match="WIRECRAWL_EXTRACT_TIMEOUT="):
            extract_timeout_setting({"WIRECRAWL_EXTRACT_TIMEOUT": wrong})


def test_a_rejection_keeps_its_reason_across_processes():
    back = pickle.loads(pickle.dumps(Rejected("too_short", "180 characters", 200)))
    assert (back.reason, back.detail, back.status, str(back)) == ("too_short", "180 characters", 200,
                                                                   "too_short: 180 characters")
