"""Writes that cannot succeed however often they are tried: a full disk, a
quota reached, a file over the size a process may write, a read-only or
failing device. A crawl that meets one stops instead of downloading pages it
cannot keep, and every command says it in one line.

`cannot_write(exc)` recognises them whichever layer raised: an OSError from
the archive or a snapshot file (ENOSPC, EDQUOT, EFBIG, EROFS, EIO), SQLite's
own codes (SQLITE_FULL, SQLITE_IOERR_*, SQLITE_READONLY: "database or disk is
full", "disk I/O error"), PostgreSQL's SQLSTATEs (53100 disk full, 58030 I/O
error, 25006 read-only transaction), also when SQLAlchemy wraps them or they
are the cause of another exception. `CannotWrite` carries what could not be
written and why, for the one line.
"""

from __future__ import annotations

import errno
import os

_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}
_SQLITE_NAMES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY")
_SQLITE_MESSAGES = ("database or disk is full", "disk i/o error", "attempt to write a readonly database")
_SQLSTATES = {"53100", "58030", "25006"}


class CannotWrite(RuntimeError):
    """`what` (the store, the archive, a snapshot file, named as a user
    knows it) cannot be written: `reason` says why ("No space left on
    device"). The message is the one line to print."""

    def __init__(self, what: str, reason: str):
        super().__init__(f"cannot write to {what}: {reason}")
        self.what, self.reason = what, reason


def cannot_write(exc: BaseException | None) -> str | None:
    """Why `exc`, or an exception it wraps or was caused by, is a write that
    cannot succeed, in one line ("[Errno 28] No space left on device",
    "database or disk is full"); None for any other exception."""
    failure = failed_write(exc)
    return None if failure is None else _reason(failure)


def failed_write(exc: BaseException | None) -> BaseException | None:
    """The exception in `exc`'s chain (itself, what SQLAlchemy wraps, its
    cause or context) that is a write that cannot succeed; None if none is.
    An OSError is a file this process wrote (its `filename` names it when
    the writer gave it); anything else came from the database."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _reason(exc) is not None:
            return exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__  # orig: SQLAlchemy's wrapping
    return None


def _reason(exc: BaseException) -> str | None:
    if isinstance(exc, CannotWrite):
        return exc.reason
    code = getattr(exc, "errno", None)
    if isinstance(exc, OSError) and code in _ERRNOS:
        return f"[Errno {code}] {exc.strerror or os.strerror(code)}"
    name = getattr(exc, "sqlite_errorname", None) or ""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if type(exc).__module__ == "sqlite3" and (name.startswith(_SQLITE_NAMES)
                                              or message.lower().startswith(_SQLITE_MESSAGES)):
        return message
    if (getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)) in _SQLSTATES:
        return message
    return None


def as_cannot_write(exc: BaseException, store: str, files: str = "a file") -> CannotWrite | None:
    """`exc` as a CannotWrite naming what could not be written: `store` (the
    store as a user names it) for the database's errors, the file for a
    file's (`files` when the writer did not name it); None when `exc` is no
    such failure."""
    if isinstance(exc, CannotWrite):
        return exc
    failure = failed_write(exc)
    if failure is None:
        return None
    if isinstance(failure, OSError):
        what = failure.filename or files
    else:
        what = f"the store {store}"
    return CannotWrite(str(what), _reason(failure))
