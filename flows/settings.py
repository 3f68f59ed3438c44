"""Where wirecrawl keeps its data: one data directory and one store URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from storage.archive import Archive
from storage.store import Store, default_database_url, store_exists


def private_addresses_allowed() -> bool:
    """Whether this process may fetch ad-hoc URLs on private, loopback and
    link-local addresses: WIRECRAWL_ALLOW_PRIVATE=1 in its environment (set
    by whoever starts the worker, or by `wirecrawl ingest --allow-private` for
    the flow run it makes), never a parameter of a run."""
    return os.environ.get("WIRECRAWL_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes")


# Where a worker's snapshot flow writes unless WIRECRAWL_SNAPSHOT_DIR says
# otherwise: relative to its working directory (a worker's WIRECRAWL_HOME).
DEFAULT_SNAPSHOT_DIR = "snapshots"


def snapshot_dir() -> Path:
    """Where this process's snapshot flow writes its versions, made absolute:
    WIRECRAWL_SNAPSHOT_DIR from its environment (set by whoever starts the
    worker, by `wirecrawl serve --snapshots`, or by `wirecrawl snapshot
    --out` for the flow run it makes), else `DEFAULT_SNAPSHOT_DIR` in the
    working directory. Never a parameter of a run: whoever can trigger a
    run does not choose where files are written."""
    return Path(os.environ.get("WIRECRAWL_SNAPSHOT_DIR", "").strip() or DEFAULT_SNAPSHOT_DIR).resolve()


class StoreUnavailable(RuntimeError):
    """The store named by the settings does not exist (for a command that
    only reads it) or cannot be opened; the message names the store and why,
    in one line."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str

    @classmethod
    def resolve(cls, data_dir: str | Path | None = None, database_url: str | None = None) -> "Settings":
        """Explicit values first, then WIRECRAWL_DATA_DIR / WIRECRAWL_DATABASE_URL,
        then ./data and a SQLite file inside it."""
        d = Path(data_dir or os.environ.get("WIRECRAWL_DATA_DIR") or "data").resolve()
        url = database_url or os.environ.get("WIRECRAWL_DATABASE_URL") or default_database_url(d)
        return cls(data_dir=d, database_url=url)

    def open_store(self) -> Store:
        """The store, created if it does not exist yet. StoreUnavailable, with
        the reason in one line, when the data directory cannot be made, the
        URL is not a database URL, or the database does not answer."""
        self.ensure_data_dir()
        try:
            return Store(self.database_url, self.data_dir)
        except Exception as exc:
            if not _is_store_failure(exc):
                raise
            raise StoreUnavailable(f"cannot open the store {self.store_name()}: {_first_line(exc)}") from exc

    def open_existing_store(self) -> Store:
        """The store, for commands that only read it: StoreUnavailable ("no
        store at …") instead of creating an empty one."""
        self.require_store()
        return self.open_store()

    def require_store(self) -> None:
        """StoreUnavailable unless the store exists already (a SQLite file, or
        a database holding wirecrawl's tables); nothing is created."""
        try:
            exists = store_exists(self.database_url)
        except Exception as exc:
            if not _is_store_failure(exc):
                raise
            raise StoreUnavailable(f"cannot open the store {self.store_name()}: {_first_line(exc)}") from exc
        if not exists:
            raise StoreUnavailable(f"no store at {self.store_name()}: nothing was crawled or ingested there "
                                   "yet (choose another with --data-dir or --database-url)")

    def ensure_data_dir(self) -> None:
        """Create the data directory; StoreUnavailable if it cannot be one."""
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise StoreUnavailable(f"the data directory {self.data_dir} is a file, not a folder")
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the data directory {self.data_dir}: "
                                   f"{exc.strerror or exc}") from exc

    def archive(self) -> Archive:
        """The raw-page archive in the data directory; StoreUnavailable if
        its folder cannot be made."""
        self.ensure_data_dir()
        try:
            return Archive(self.data_dir / "archive")
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the archive folder {self.data_dir / 'archive'}: "
                                   f"{exc.strerror or exc}") from exc

    def store_name(self) -> str:
        """The store as a user named it: the SQLite file's path, or the URL
        without its password."""
        from storage.store import store_name

        return store_name(self.database_url)

    def describe(self) -> str:
        return f"data directory {self.data_dir}, store {self.store_name()}"


def _is_store_failure(exc: Exception) -> bool:
    from storage.store import is_store_failure

    return is_store_failure(exc)


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    text = str(orig if orig is not None else exc).strip() or type(exc).__name__
    return text.splitlines()[0]
