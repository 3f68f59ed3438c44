"""The dedup and ingest configuration of a process, built in one place.

A store's near-duplicate index holds band keys made with one DedupConfig
(it records `DedupConfig.fingerprint_id()` and refuses others), so every
part of a process that fingerprints, dedups, reindexes, checks a store or
writes a snapshot manifest takes its configuration from here, and none can
disagree with another. Settings that change the documented defaults of
`DedupConfig` and `ExtractConfig` are read here, from the environment of the
process (as a worker's store URL is):

- WIRECRAWL_INDEX_RETENTION_DAYS: `DedupConfig.index_retention_days`, the
  days after which a document leaves the near-duplicate index (unset or
  empty: never).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

from crawler.ingest.dedup import DedupConfig
from crawler.ingest.extract import ExtractConfig


@dataclass(frozen=True)
class IngestConfig:
    """How a page becomes a document: extraction, dedup, and whether the raw
    page is archived."""

    extract: ExtractConfig = field(default_factory=ExtractConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    archive_pages: bool = True


RETENTION_SETTING = "WIRECRAWL_INDEX_RETENTION_DAYS"


class SettingError(ValueError):
    """A setting in the environment that cannot be used; the message names it."""


@functools.cache
def dedup_config() -> DedupConfig:
    """This process's dedup configuration (the same object on every call).
    SettingError for a retention window that is not a whole number of days
    of at least 1."""
    return DedupConfig(index_retention_days=_retention_days(os.environ.get(RETENTION_SETTING, "")))


def _retention_days(value: str) -> int | None:
    if not value.strip():
        return None
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise SettingError(f"{RETENTION_SETTING}={value!r}: expected a whole number of days (1 or more), "
                           "or nothing to keep every document in the near-duplicate index")
    return days


@functools.cache
def ingest_config() -> IngestConfig:
    """This process's ingest configuration, with `dedup_config()` inside
    (the same object on every call)."""
    return IngestConfig(dedup=dedup_config())
