"""Recompute the near-duplicate index after the dedup settings changed.

Band keys from two settings (shingle size, permutations, bands, hashing
scheme) cannot be mixed in one index, so the store records which settings
its bands were made with and refuses others until this has run. Existing
clusters are kept; only the index is rebuilt."""

from __future__ import annotations

from crawler.ingest.dedup import DedupConfig, fingerprint
from storage.store import Store


def reindex(store: Store, config: DedupConfig, batch: int = 500) -> int:
    """Rebuild every latest document's index rows with `config`; returns the
    number of documents indexed. Safe to interrupt: rerun it."""
    with store.write() as conn:
        store.lsh_clear(conn)
        store.set_meta("dedup_config", "reindexing", conn)
    count = 0
    pending: list = []

    def flush() -> None:
        with store.write() as conn:
            for doc in pending:
                store.lsh_add(conn, doc.id, fingerprint(doc.text, config).band_keys)
        pending.clear()

    for doc in store.iter_latest_documents():
        pending.append(doc)
        count += 1
        if len(pending) >= batch:
            flush()
    flush()
    store.set_meta("dedup_config", config.fingerprint_id())
    return count
