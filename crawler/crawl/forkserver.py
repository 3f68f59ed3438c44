"""Loaded by the fork server of the crawl and extraction processes, and
nowhere else (`crawler.crawl.process.process_context` preloads it): there,
SIGTERM is ignored.

A service manager stops a service by signalling every process of it at once
(systemd's default). The crawl and extraction processes handle that signal
themselves, finishing the pages in flight; but the program learns how its
crawl process is doing through the fork server that forked it: with the fork
server gone, the crawl counts as ended (exit code 255) while it still runs,
and no extraction process can be started in place of one that dies. The
fork server ends anyway when the program that started it does.
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
