"""The dedup and ingest configuration of a process, built in one place.

A store's near-duplicate index holds band keys made with one DedupConfig
(it records `DedupConfig.fingerprint_id()` and refuses others), so every
part of a process that fingerprints, dedups, reindexes, checks a store or
writes a snapshot manifest takes its configuration from here, and none can
disagree with another. No setting changes the documented defaults of
`DedupConfig` and `ExtractConfig` yet; one that does is read here.
"""

from __future__ import annotations

import functools
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


@functools.cache
def dedup_config() -> DedupConfig:
    """This process's dedup configuration (the same object on every call)."""
    return DedupConfig()


@functools.cache
def ingest_config() -> IngestConfig:
    """This process's ingest configuration, with `dedup_config()` inside
    (the same object on every call)."""
    return IngestConfig(dedup=dedup_config())
