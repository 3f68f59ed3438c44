"""One crawl of a source at a time, per store, whichever process asks.

Two `wirecrawl crawl` processes for one source on one store would both
download the whole site and archive every page twice. A source lock, taken
before the crawl starts and held until it ends, makes the second one wait
or step aside. The lock dies with the process that holds it, SIGKILL
included, so a crash never leaves a source locked:

- PostgreSQL: a session-level advisory lock on a connection of its own,
  released when that connection closes (the server sees a killed client's
  connection close).
- SQLite: an exclusive `flock` on a file beside the database file
  (`<database>.locks/<source>.lock`), released by the kernel when the
  process ends. SQLite stores are local files, so every process that can
  open the store sees the same lock. Where `fcntl` does not exist, or for a
  database that is no file, the lock is held by nobody and always granted.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import time
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

# The first key of wirecrawl's two-key advisory locks ("wc"); the writer
# lock uses the one-key form, so the two never collide.
_PG_NAMESPACE = 0x7763
_POLL_S = 0.2


class SourceLock:
    """The lock of one source of one store; `acquire`, then `release`."""

    def __init__(self, source: str):
        self.source = source
        self.held = False

    def acquire(self, wait_s: float = 0.0) -> bool:
        """Take the lock, waiting up to `wait_s` seconds for its holder to
        let go; False when it is still held by another process then."""
        deadline = time.monotonic() + wait_s
        while not self._try():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(_POLL_S, left))
        self.held = True
        return True

    def release(self) -> None:
        """Let go (nothing happens when not held)."""
        if self.held:
            self._release()
            self.held = False

    def _try(self) -> bool:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


class FileLock(SourceLock):
    """An exclusive flock on `<folder>/<source>.lock`."""

    def __init__(self, source: str, folder: Path):
        super().__init__(source)
        self.path = folder / f"{_file_name(source)}.lock"
        self._file = None

    def _try(self) -> bool:
        import fcntl

        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a+b")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(self) -> None:
        import fcntl

        fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None


class AdvisoryLock(SourceLock):
    """A PostgreSQL session-level advisory lock on a connection of its own."""

    def __init__(self, source: str, engine: Engine):
        super().__init__(source)
        self.engine = engine
        self.key = int.from_bytes(hashlib.sha256(source.encode("utf-8")).digest()[:4], "big", signed=True)
        self._conn: Connection | None = None

    def _try(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = self._conn.execute(select(func.pg_try_advisory_lock(_PG_NAMESPACE, self.key))).scalar()
        return bool(got)

    def _release(self) -> None:
        try:
            self._conn.execute(select(func.pg_advisory_unlock(_PG_NAMESPACE, self.key)))
        finally:
            self._conn.close()
            self._conn = None


class NoLock(SourceLock):
    """Always granted: a store where no lock can be shared (see the module docstring)."""

    def _try(self) -> bool:
        return True

    def _release(self) -> None:
        pass


def source_lock(engine: Engine, database_file: str | None, source: str) -> SourceLock:
    """The lock of `source` for the store behind `engine` (`database_file`
    for SQLite: the database file's path, None for an in-memory database)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(source, engine)
    if importlib.util.find_spec("fcntl") is None:  # not on this platform
        return NoLock(source)
    if not database_file or database_file == ":memory:":
        return NoLock(source)
    path = Path(database_file)
    return FileLock(source, path.parent / f"{path.name}.locks")


def _file_name(source: str) -> str:
    # Source names are letters, digits, '_', '.', '-' (sources.py); anything
    # else, from a source built in code, gets a readable name and a hash.
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", source):
        return source
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", source).strip("._") or "source"
    return f"{safe}-{hashlib.sha256(source.encode('utf-8')).hexdigest()[:12]}"
