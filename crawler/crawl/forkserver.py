"""Loaded by the fork server of the crawl and extraction processes, and
nowhere else (`crawler.crawl.process.process_context` preloads it): there,
SIGTERM is ignored.

A service manager stops a service by signalling every process of it at once
(systemd's default). The crawl and extraction processes handle that signal
themselves, finishing the pages in flight; but a crawl process ends with the
process that forked it (`exit_with_parent`: a fork server's child watches
the fork server), so a fork server that SIGTERM ended would take every crawl
with it. It ends anyway when the program that started it does.
"""

from __future__ import annotations

import signal
import sys


def _in_fork_server() -> bool:
    """Whether this import runs in multiprocessing's fork server, as it
    preloads its modules (a guard: imported anywhere else, this module
    does nothing)."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.endswith(("multiprocessing/forkserver.py",
                                                                 "multiprocessing\\forkserver.py")):
            return True
        frame = frame.f_back
    return False


if _in_fork_server():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
