"""Extraction processes fed straight from the crawl's event loop.

Each process has its own socket pair to the crawl process. A call is one
length-prefixed pickle each way: the reactor thread writes the call without
blocking (what the socket cannot take yet is written when it can) and reads
results as the event loop reports them readable. `concurrent.futures`'s
process pool hands every call through two threads of the crawl process and
every result through a third; on 120 KB pages that cost 0.6 ms of the crawl
process's CPU a page, against 0.15 ms here (`bench/crawl.py`), on cores the
extraction needs.

A process that dies (killed, a crash in a parser, out of memory) fails the
call it was running with `WorkerDied`; the calls queued behind it go to the
other processes, and a replacement is started in a thread, so the reactor
never waits for a process to start.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.context
import pickle
import signal
import socket
import struct
import traceback
from collections import deque
from itertools import islice
from typing import Any, Callable

from crawler.crawl.process import EXTRACTION_PROCESS, end_at_exit, exit_with_parent, quiet_garbage_collector

logger = logging.getLogger(__name__)

# Each call and each answer: its length, then its pickle.
HEADER = struct.Struct("!Q")
# What one socket may hold in flight each way. The kernel may grant less.
_BUFFER = 4 << 20
# Buffers handed to one sendmsg (Linux takes up to 1024); one send at a time where there is none.
_IOV = 64
_SENDMSG = hasattr(socket.socket, "sendmsg")


class WorkerDied(RuntimeError):
    """The process running a call ended before answering it; `exitcode` is
    its exit code (-N: killed by signal N)."""

    def __init__(self, message: str, exitcode: int | None = None):
        super().__init__(message)
        self.exitcode = exitcode


class WorkerError(RuntimeError):
    """The call raised in the worker; the message holds its traceback."""


class _NotStarted(Exception):
    """The call was queued behind the one its process died on: run it elsewhere."""


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = sock.recv_into(view[got:])
        if not k:
            return None  # the crawl process closed its end: no more calls
        got += k
    return bytes(buf)


def serve_calls(sock: socket.socket, inherited: list[socket.socket]) -> None:
    """A worker's life: answer calls in order until the process that started
    it closes its end of the socket (or dies: `exit_with_parent`). Also the
    life of a command's one extraction process (`crawler.crawl.extract_limit`)."""
    for other in inherited:  # the crawl's ends of earlier workers' sockets, copied by fork
        other.close()
    # Ctrl-C and a service manager's SIGTERM reach every process of the group: stopping is the
    # crawl's to decide (it lets the pages in flight be extracted), and this process ends when
    # the crawl closes its socket or dies.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    exit_with_parent()
    quiet_garbage_collector()
    while True:
        header = _recv_exact(sock, HEADER.size)
        if header is None:
            return
        payload = _recv_exact(sock, HEADER.unpack(header)[0])
        if payload is None:
            return
        try:
            fn, args = pickle.loads(payload)
            out = pickle.dumps((True, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            out = pickle.dumps((False, traceback.format_exc()), protocol=pickle.HIGHEST_PROTOCOL)
        sock.sendall(HEADER.pack(len(out)) + out)


class _Worker:
    def __init__(self, process: multiprocessing.process.BaseProcess, sock: socket.socket):
        self.process, self.sock = process, sock
        self.pending: deque[asyncio.Future] = deque()
        self.inbox = bytearray()
        # What the socket has not taken yet: each call's header and pickle as they are, never
        # copied into one buffer (appending a page to a buffer the socket has half taken
        # copied all the calls queued behind it, megabytes when the workers are behind).
        self.outbox: deque[memoryview] = deque()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.writing = False
        self.alive = True


class WorkerPool:
    """`size` worker processes from `ctx`; `await pool.run(fn, *args)` runs
    `fn(*args)` in the least busy one. `fn`, its arguments and its result
    must pickle. Used from one event loop (the crawl's)."""

    def __init__(self, size: int, ctx: multiprocessing.context.BaseContext,
                 replace_ctx: multiprocessing.context.BaseContext | None = None):
        # Replacements start from a thread of a process that has threads by
        # then: never with "fork" there.
        self.size, self.ctx, self.replace_ctx = size, ctx, replace_ctx or ctx
        self.workers: list[_Worker] = []
        self.died = 0
        self._replacing: asyncio.Future | None = None
        for _ in range(size):
            self.workers.append(self._start())

    def _start(self, ctx: multiprocessing.context.BaseContext | None = None) -> _Worker:
        ctx = ctx or self.ctx
        mine, theirs = socket.socketpair()
        for s in (mine, theirs):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _BUFFER)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _BUFFER)
        inherited = [w.sock for w in self.workers] + [mine] if ctx.get_start_method() == "fork" else []
        process = ctx.Process(target=serve_calls, args=(theirs, inherited), daemon=True,
                                   name=EXTRACTION_PROCESS)
        process.start()
        end_at_exit()
        theirs.close()
        mine.setblocking(False)
        return _Worker(process, mine)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """fn(*args) in a worker. Raises WorkerDied when its process died
        while running it, WorkerError when it raised there."""
        loop = asyncio.get_running_loop()
        payload = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        while True:
            alive = [w for w in self.workers if w.alive]
            while not alive:
                await self._replacement(loop)
                alive = [w for w in self.workers if w.alive]
            worker = min(alive, key=lambda w: len(w.pending))
            if worker.loop is None:
                worker.loop = loop
                loop.add_reader(worker.sock, self._readable, worker)
            future = loop.create_future()
            worker.pending.append(future)
            worker.outbox.append(memoryview(HEADER.pack(len(payload))))
            worker.outbox.append(memoryview(payload))
            self._write(worker)
            try:
                ok, value = await future
            except _NotStarted:
                continue
            if not ok:
                raise WorkerError(value)
            return value

    # -- the event loop's side ------------------------------------------------

    def _write(self, worker: _Worker) -> None:
        outbox = worker.outbox
        while outbox:
            chunks = list(islice(outbox, _IOV)) if _SENDMSG else [outbox[0]]
            try:
                sent = worker.sock.sendmsg(chunks) if _SENDMSG else worker.sock.send(chunks[0])
            except BlockingIOError:
                break
            except OSError:
                self._lost(worker)
                return
            full = sent < sum(map(len, chunks))  # the socket took what it could
            while sent:
                head = outbox[0]
                if sent < len(head):
                    outbox[0] = head[sent:]
                    break
                sent -= len(head)
                outbox.popleft()
            if full:
                break
        if worker.outbox and not worker.writing:
            worker.loop.add_writer(worker.sock, self._write, worker)
            worker.writing = True
        elif not worker.outbox and worker.writing:
            worker.loop.remove_writer(worker.sock)
            worker.writing = False

    def _readable(self, worker: _Worker) -> None:
        try:
            # Answers are small: a read of 1 MB would allocate (and map) 1 MB for each of them.
            data = worker.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lost(worker)
            return
        inbox = worker.inbox
        inbox += data
        while len(inbox) >= HEADER.size:
            (n,) = HEADER.unpack_from(inbox)
            if len(inbox) < HEADER.size + n:
                break
            result = pickle.loads(inbox[HEADER.size:HEADER.size + n])
            del inbox[:HEADER.size + n]
            future = worker.pending.popleft()
            if not future.done():
                future.set_result(result)

    def _lost(self, worker: _Worker) -> None:
        """The worker's end closed: it died. Fail its calls, start another."""
        if not worker.alive:
            return
        worker.alive = False
        self.died += 1
        loop = worker.loop
        loop.remove_reader(worker.sock)
        if worker.writing:
            loop.remove_writer(worker.sock)
        worker.sock.close()
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        # A worker answers in order and every answer it sent was read before
        # its end closed: it died on its oldest call, and never started the
        # others, which go to another process.
        for i, future in enumerate(worker.pending):
            if not future.done():
                future.set_exception(WorkerDied(f"the extraction process ended (exit code {code})", code)
                                     if i == 0 else _NotStarted())
        worker.pending.clear()
        self.workers.remove(worker)
        self._replacement(loop)

    def _replacement(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        """Start processes up to `size` again, in a thread (a process start
        may wait for the fork server's imports)."""
        if self._replacing is None or self._replacing.done():
            self._replacing = loop.run_in_executor(None, self._refill)
            self._replacing.add_done_callback(_log_failure)
        return self._replacing

    def _refill(self) -> None:
        while len(self.workers) < self.size:
            self.workers.append(self._start(self.replace_ctx))

    def detach(self) -> None:
        """Stop watching the sockets (in the event loop's thread, before `close`)."""
        for worker in self.workers:
            if worker.loop is not None and not worker.loop.is_closed():
                worker.loop.remove_reader(worker.sock)
                if worker.writing:
                    worker.loop.remove_writer(worker.sock)
            worker.loop = None

    def close(self) -> None:
        """Let every worker finish what it holds and end; wait for them.
        Blocks: call it from a thread when an event loop is running."""
        for worker in self.workers:
            try:
                worker.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        for worker in self.workers:
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.sock.close()
        self.workers = []


def _log_failure(done: asyncio.Future) -> None:
    if not done.cancelled() and done.exception() is not None:
        logger.error("could not start an extraction process: %r", done.exception())
