"""Where wirecrawl keeps its data: one data directory and one store URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from storage.archive import Archive
from storage.store import Store, default_database_url


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
        return Store(self.database_url, self.data_dir)

    def archive(self) -> Archive:
        return Archive(self.data_dir / "archive")

    def describe(self) -> str:
        return f"data directory {self.data_dir}, store {self.database_url}"
