"""The crawl's extraction processes (crawler.crawl.workers): results come back to
the right caller, a process that dies fails only what it held and is
replaced, an error in a call is reported with its traceback, and closing
ends every process."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
import time

import pytest

from crawler.crawl.extraction import TIMED_OUT, extraction_time_limit
from crawler.crawl import workers
from crawler.crawl.workers import WorkerDied, WorkerError, WorkerPool


def _echo(value: bytes, tag: int) -> tuple[int, int, bytes]:
    return tag, os.getpid(), value[::-1]


def _die(code: int) -> None:
    os._exit(code)


def _fail(message: str) -> None:
    raise ValueError(message)


def _pid() -> int:
    return os.getpid()


@pytest.fixture
def ctx():
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method (POSIX)")
    return multiprocessing.get_context("fork")


@pytest.mark.parametrize("buffer", [None, 64 * 1024])
def test_many_large_calls_each_get_their_own_answer(ctx, monkeypatch, buffer):
    """Pages bigger than a socket's buffer, many in flight at once: every
    caller gets the answer to its own call, and both processes work. Also
    where the kernel grants small socket buffers: each page then goes out
    in many partial sends, the calls queued behind it waiting their turn."""
    if buffer is not None:
        monkeypatch.setattr(workers, "_BUFFER", buffer)
    pool = WorkerPool(2, ctx)
    pages = [os.urandom(300_000 + i) for i in range(40)]

    async def main():
        return await asyncio.gather(*(pool.run(_echo, page, i) for i, page in enumerate(pages)))

    try:
        results = asyncio.run(main())
        pool.detach()
    finally:
        pool.close()
    assert [(tag, out) for tag, _, out in results] == [(i, page[::-1]) for i, page in enumerate(pages)]
    assert len({pid for _, pid, _ in results}) == 2


def test_a_process_that_dies_fails_only_its_call_and_is_replaced(ctx):
    pool = WorkerPool(2, ctx)
    pids = {w.process.pid for w in pool.workers}

    async def main():
        with pytest.raises(WorkerDied, match="exit code 3"):
            await pool.run(_die, 3)
        # the other process, or the replacement, answers what comes next
        return await asyncio.gather(*(pool.run(_echo, b"abc", i) for i in range(8)))

    try:
        results = asyncio.run(main())
        pool.detach()
        assert [out for _, _, out in results] == [b"cba"] * 8
        assert pool.died == 1
        assert len(pool.workers) == 2 and all(w.process.is_alive() for w in pool.workers)
        assert len(pids - {w.process.pid for w in pool.workers}) == 1  # one new process
    finally:
        pool.close()


def test_a_process_killed_from_outside_fails_one_call_and_the_queued_ones_run_elsewhere(ctx):
    """SIGKILL while the only process holds calls: the oldest (the one it was
    running) fails with WorkerDied; those queued behind it run in the new
    process."""
    pool = WorkerPool(1, ctx)

    async def main():
        victim = await pool.run(_pid)
        os.kill(victim, signal.SIGKILL)
        held = await asyncio.gather(*(pool.run(_echo, b"x", i) for i in range(3)), return_exceptions=True)
        return victim, held, await pool.run(_pid)

    try:
        victim, held, after = asyncio.run(main())
        pool.detach()
    finally:
        pool.close()
    assert isinstance(held[0], WorkerDied)
    assert [out for _, _, out in held[1:]] == [b"x", b"x"]
    assert {pid for _, pid, _ in held[1:]} == {after} and after != victim


def test_an_error_in_a_call_comes_back_with_its_traceback(ctx):
    pool = WorkerPool(1, ctx)

    async def main():
        with pytest.raises(WorkerError, match="ValueError: bad page"):
            await pool.run(_fail, "bad page")
        return await pool.run(_echo, b"ok", 1)

    try:
        assert asyncio.run(main())[2] == b"ko"
        pool.detach()
        assert pool.died == 0
    finally:
        pool.close()


def test_close_ends_every_process(ctx):
    """Each process ends on its own when the crawl closes its socket (not
    killed: a killed process has a negative exit code)."""
    pool = WorkerPool(3, ctx)
    processes = [w.process for w in pool.workers]
    pool.close()
    assert not any(p.is_alive() for p in processes)
    assert all(p.exitcode is not None and p.exitcode >= 0 for p in processes)


def _stuck_in_c(limit: float) -> str:
    """A call that would hold its process far longer than `limit`, inside C
    code that never returns to the interpreter in time (as libxml2 does on
    pathological markup), under the extraction's time limit."""
    with extraction_time_limit(limit):
        re.fullmatch(r"(a+)+b", "a" * 40)  # exponential backtracking: minutes, all of it in C
    return "finished"


def _quick() -> str:
    with extraction_time_limit(5.0):
        return "quick"


def test_a_call_over_the_extraction_time_limit_ends_its_process_which_is_replaced(ctx):
    pool = WorkerPool(1, ctx)

    async def main():
        first = await pool.run(_pid)
        started = time.monotonic()
        with pytest.raises(WorkerDied) as died:
            await pool.run(_stuck_in_c, 0.5)
        took = time.monotonic() - started
        return first, died.value, took, await pool.run(_quick), await pool.run(_pid)

    try:
        first, died, took, quick, after = asyncio.run(main())
        pool.detach()
    finally:
        pool.close()
    assert died.exitcode == TIMED_OUT  # told apart from any other death
    assert took < 5
    assert quick == "quick" and after != first  # a new process answers the next calls
