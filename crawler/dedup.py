"""Placeholder until the dedup module lands."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DedupConfig:
    shingle_size: int = 5


@dataclass
class Fingerprint:
    text_hash: str
    band_keys: list = field(default_factory=list)


def fingerprint(text, config=DedupConfig()):
    raise NotImplementedError


def store_document(conn, store, doc, fp, config):
    raise NotImplementedError
