"""A process's descendants, and their memory, for tests and benchmarks that
look at a whole crawl (the command, its crawl process, its extraction
processes, the fork servers): to kill one of them, or to bound what they
hold. Linux only: it reads /proc.

    with TreeMemory(child.pid) as memory:
        child.wait()
    memory.rss, memory.pss    # peaks, bytes
"""

from __future__ import annotations

import os
import threading


class TreeMemory:
    """Peaks of the memory of a process and all its descendants, summed,
    sampled every `every` seconds until `stop`: resident (VmRSS, which
    counts the pages forked processes share once per process) and
    proportional (Pss, which splits shared pages among them, so the sum is
    what the tree holds)."""

    def __init__(self, pid: int, every: float = 0.02):
        self.pid, self.every, self.rss, self.pss = pid, every, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = tree(self.pid)
            self.rss = max(self.rss, sum(_memory(p, "status", "VmRSS:") for p in pids))
            self.pss = max(self.pss, sum(_memory(p, "smaps_rollup", "Pss:") for p in pids))
            self._stop.wait(self.every)

    def stop(self) -> tuple[int, int]:
        """Stop sampling; the peaks (rss, pss) in bytes."""
        self._stop.set()
        self._thread.join()
        return self.rss, self.pss

    def __enter__(self) -> "TreeMemory":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def children(pid: int) -> list[int]:
    """The processes `pid` started that are still there, as /proc lists them now."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone meanwhile
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(c) for c in fh.read().split()]
        except OSError:
            continue  # a thread that ended since the listing
    return found


def tree(pid: int) -> list[int]:
    """`pid` and every process descending from it, as /proc lists them now."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children(p)
    return pids


def _memory(pid: int, file: str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/{file}") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
