"""The wall-clock limit of one page's extraction, for the commands that
extract in their own process (`wirecrawl ingest URL`, `ingest --html`,
`wirecrawl extract`), as a crawl's extraction processes have it.

- `extract_timeout_setting`: the limit, WIRECRAWL_EXTRACT_TIMEOUT seconds
  (30 unless set, as Nutch's parser.timeout; 0: no limit). A crawl reads
  the same variable (`crawler.crawl.settings`).
- `ExtractionProcess`: one process that runs a command's extractions one at
  a time, each within the limit. A page that runs over it costs its
  process, not the command: the process is killed, the call raises
  `ExtractionTimedOut`, and the next page gets a new process.

A parser busy in C code holds the interpreter and never runs a Python
handler, so a limit within the command's own process could not stop it;
another process can be killed. That process is forked, so it starts in
milliseconds with everything the command imported, and it lives as long as
the command, so what extraction loads on its first page (and keeps in its
caches) is loaded once.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import pickle
import selectors
import socket
import threading
import time
from typing import Any, Callable

# The default limit: a page that takes longer than this is not worth the
# wait. Normal pages take well under a second; the pages that take minutes
# are built to (one <p> with 80,000 attributes: libxml2 compares each with
# the ones before it).
DEFAULT_EXTRACT_TIMEOUT = 30.0
ENVIRONMENT_VARIABLE = "WIRECRAWL_EXTRACT_TIMEOUT"


class ExtractTimeoutSettingError(ValueError):
    """WIRECRAWL_EXTRACT_TIMEOUT holds no number of seconds; the message says so in one line."""


def extract_timeout_setting(environ: dict[str, str] | None = None) -> float:
    """Seconds one page's extraction may take: WIRECRAWL_EXTRACT_TIMEOUT when
    set (0: no limit), else `DEFAULT_EXTRACT_TIMEOUT`.
    ExtractTimeoutSettingError for a value that is not a number >= 0."""
    value = (os.environ if environ is None else environ).get(ENVIRONMENT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_EXTRACT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise ExtractTimeoutSettingError(f"{ENVIRONMENT_VARIABLE}={value!r}: expected the seconds one page's "
                                         "extraction may take, a number (0: no limit)")
    return seconds


class ExtractionTimedOut(RuntimeError):
    """The call ran over the limit; its process was killed."""

    def __init__(self, seconds: float):
        super().__init__(f"extraction ran over {seconds:g} s (its process was ended)")
        self.seconds = seconds


class ExtractionProcessDied(RuntimeError):
    """The process died while running the call (killed from outside, a
    crash in a parser, out of memory); `exitcode` as multiprocessing gives it."""

    def __init__(self, exitcode: int | None):
        super().__init__(f"the extraction process died (exit code {exitcode})")
        self.exitcode = exitcode


class ExtractionProcess:
    """Runs `call(fn, *args)` in one other process, each call within
    `seconds` of wall-clock time (0: no limit, and no other process: the
    call runs here). `fn`, its arguments and its result must pickle; `fn`
    must not touch the store (a connection does not cross a fork).

    The process is started on the first call and kept for the next ones;
    after a call that timed out or died, the next call starts another. Use
    it as a context manager, or `close()` it: the process ends with it, and
    never outlives the command (`crawler.crawl.process.exit_with_parent`).

    Forked from this process while it has a single thread (milliseconds);
    from the crawl's fork server once it has more (forking a threaded
    process is unsafe)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._process: multiprocessing.process.BaseProcess | None = None
        self._sock: socket.socket | None = None

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)`, in the other process. ExtractionTimedOut when it ran
        over the limit, ExtractionProcessDied when its process died,
        crawler.crawl.workers.WorkerError (with the traceback) when it raised."""
        from crawler.crawl.workers import HEADER, WorkerError

        if self.seconds <= 0:
            return fn(*args)
        payload = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        sock = self._started()
        deadline = time.monotonic() + self.seconds
        try:
            sock.sendall(HEADER.pack(len(payload)) + payload)
            answer = self._answer(sock, deadline)
        except OSError:  # the process died before it took the whole call
            answer = None
        if answer is None:
            raise self._ended(timed_out=time.monotonic() >= deadline)
        ok, value = pickle.loads(answer)
        if not ok:
            raise WorkerError(value)
        return value

    def _answer(self, sock: socket.socket, deadline: float) -> bytes | None:
        """The answer to the call just sent; None when the deadline passed
        or the process's end closed (it died) first."""
        from crawler.crawl.workers import HEADER

        buf, want = bytearray(), HEADER.size
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            while len(buf) < want:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return None
                data = sock.recv(max(want - len(buf), 1 << 20))
                if not data:
                    return None
                buf += data
                if want == HEADER.size and len(buf) >= HEADER.size:
                    want += HEADER.unpack_from(buf)[0]
        return bytes(buf[HEADER.size:])

    def _started(self) -> socket.socket:
        if self._sock is not None:
            return self._sock
        from crawler.crawl.process import EXTRACTION_PROCESS, end_at_exit
        from crawler.crawl.workers import serve_calls

        mine, theirs = socket.socketpair()
        ctx = self._context()
        inherited = [mine] if ctx.get_start_method() == "fork" else []
        process = ctx.Process(target=serve_calls, args=(theirs, inherited), daemon=True, name=EXTRACTION_PROCESS)
        process.start()
        end_at_exit()
        theirs.close()
        self._process, self._sock = process, mine
        return mine

    @staticmethod
    def _context() -> multiprocessing.context.BaseContext:
        if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
            return multiprocessing.get_context("fork")
        from crawler.crawl.extraction import worker_context

        return worker_context()

    def _ended(self, timed_out: bool) -> Exception:
        """Kill the process (when it still runs) and forget it; what to raise."""
        process = self._process
        self._stop(kill=True)
        if timed_out:
            return ExtractionTimedOut(self.seconds)
        return ExtractionProcessDied(process.exitcode if process is not None else None)

    def _stop(self, kill: bool) -> None:
        process, sock = self._process, self._sock
        self._process = self._sock = None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_WR)  # no more calls: it ends
            except OSError:
                pass
        if process is not None:
            if kill:
                process.kill()
            process.join(timeout=None if kill else 5)
            if process.is_alive():
                process.kill()
                process.join()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        """End the process, if one was started; waits for it."""
        self._stop(kill=False)

    def __enter__(self) -> "ExtractionProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        # Interrupted (Ctrl-C) mid-call: the process may be busy for minutes.
        self._stop(kill=exc[0] is not None)
