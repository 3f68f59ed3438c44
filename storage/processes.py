"""Which process owns a run, and whether it is still there.

A run records the host and pid of the process that started it
(`this_process`). `process_gone` tells, on the same host, whether that
process has ended: no process with the pid, or a process with that pid that
started after the run did (the pid was given to someone else since).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path

# /proc's start times are in clock ticks after a boot time given in whole
# seconds: a process can look up to this much younger than it is.
_CLOCK_SLACK_S = 2.0


def this_process() -> tuple[str, int]:
    """(host name, pid) of this process, as runs record them."""
    return socket.gethostname(), os.getpid()


def process_gone(host: str | None, pid: int | None, since: datetime) -> bool | None:
    """True when the process `pid` of `host`, which started a run at
    `since`, has ended; False while it runs; None when this process cannot
    tell (another host, or no host or pid recorded). Never raises."""
    if not host or not pid or host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, owned by another user
    except OSError:
        return None
    started = _start_time(pid)
    if started is None:
        return False
    return started > since.timestamp() + _CLOCK_SLACK_S


def _start_time(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), where /proc
    tells; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None

