"""Dedup at scale: cost per document at 10k and 100k stored documents, index
bytes per document, and start-up time, on SQLite.

    .venv/bin/python bench/dedup_scale.py [--small 10000] [--large 100000] [--probe 300]

The corpus is synthetic (made-up words with a Zipf distribution, 6-10
paragraphs each) so that unrelated documents share common word triples the
way news does. It is bulk-loaded with executemany (real `fingerprint` band
keys, computed in a process pool); the documents measured then go through
the real path one by one: `fingerprint`, then `store_document` inside
`store.write()`. Two thirds of them are new articles, one third syndicated
copies of stored ones (which join a cluster after verification).

Prints the median cost per document at --small and at --large stored
documents and their ratio (target <= 1.2), the lsh_bands bytes per document
from SQLite's dbstat (target <= 1 KB), and the start-up time: a fresh process
that opens the store at --large documents and finds a copy (target < 2 s).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from crawler.ingest.dedup import DedupConfig, ensure_compatible, fingerprint, store_document  # noqa: E402
from storage.records import Document  # noqa: E402
from storage.schema import clusters, documents, lsh_bands  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.sampleweb.copies import make_copy  # noqa: E402

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def _vocabulary(size: int = 30000) -> tuple[list[str], np.ndarray]:
    rng = random.Random(0)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    ranks = np.arange(1, size + 1, dtype=np.float64)
    weights = 1.0 / (ranks + 2.7) ** 1.07  # Zipf-Mandelbrot, as word counts in news
    return sorted(words), np.cumsum(weights / weights.sum())


_WORDS, _CDF = _vocabulary()


def article(n: int) -> list[str]:
    """The paragraphs of synthetic article number n (deterministic)."""
    rng = np.random.default_rng(n)
    lengths = rng.integers(30, 60, size=int(rng.integers(6, 11)))
    idx = np.minimum(np.searchsorted(_CDF, rng.random(int(lengths.sum()))), len(_WORDS) - 1).tolist()
    words = [_WORDS[i] for i in idx]
    ends = np.cumsum(lengths).tolist()
    return [" ".join(words[a:b]).capitalize() + "." for a, b in zip([0] + ends[:-1], ends)]


def _fingerprinted(span: tuple[int, int]) -> list[tuple[int, str, str, list[int]]]:
    out = []
    for n in range(*span):
        text = "\n\n".join(article(n))
        fp = fingerprint(text)
        out.append((n, text, fp.text_hash, fp.band_keys))
    return out


def bulk_load(store: Store, start: int, stop: int, offset: int, workers: int) -> float:
    """Store synthetic articles start..stop-1 as originals, each in its own
    cluster (document and cluster id n + 1 + offset), with their real band
    keys. Returns seconds taken."""
    began = time.perf_counter()
    spans = [(i, min(i + 2000, stop)) for i in range(start, stop, 2000)]
    with ProcessPoolExecutor(workers) as pool:
        for batch in pool.map(_fingerprinted, spans):
            now = datetime.now(timezone.utc)
            with store.write() as conn:
                conn.exec_driver_sql("PRAGMA cache_size=-262144")  # the loader's own cache
                conn.execute(insert(clusters), [
                    {"id": n + 1 + offset, "canonical_id": n + 1 + offset, "size": 1, "created_at": now,
                     "updated_at": now} for n, *_ in batch])
                conn.execute(insert(documents), [
                    {"id": n + 1 + offset, "url": f"http://bulk.example/{n}", "url_key": f"http://bulk.example/{n}",
                     "text": text, "text_hash": h, "fetched_at": T0, "version": 1, "is_latest": True,
                     "cluster_id": n + 1 + offset, "is_canonical": True, "tags": "[]", "updated_at": now}
                    for n, text, h, _keys in batch])
                conn.execute(insert(lsh_bands), [
                    {"key": k, "doc_id": n + 1 + offset} for n, _t, _h, keys in batch for k in sorted(set(keys))])
    return time.perf_counter() - began


def probe_documents(count: int, small: int, seed: int) -> list[tuple[str, str | None, int | None]]:
    """(text, attribution, original n or None): two thirds new articles, one
    third syndicated copies of articles stored in both stores (n < small)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        if i % 3 == 2:
            n = rng.randrange(small)
            _title, paragraphs, attribution = make_copy(rng.choice(("wire", "trimmed", "excerpt")), article(n), rng)
            out.append(("\n\n".join(paragraphs), attribution, n))
        else:
            out.append(("\n\n".join(article(10_000_000 + seed * 100_000 + i)), None, None))
    return out


def ingest_one(store: Store, url: str, text: str, attribution: str | None, config: DedupConfig):
    """The real path for one document: fingerprint, then store_document in a
    write transaction. Returns (seconds, decision)."""
    began = time.perf_counter()
    fp = fingerprint(text, config)
    doc = Document(url=url, url_key=url, text=text, text_hash=fp.text_hash,
                   fetched_at=datetime.now(timezone.utc), attribution=attribution)
    with store.write() as conn:
        decision = store_document(conn, store, doc, fp, config)
    return time.perf_counter() - began, decision


def probe(stores: dict[int, Store], docs, config: DedupConfig, name: str) -> dict[int, tuple[list[float], int, int]]:
    """Ingest the same documents into every store, alternating stores document
    by document so machine noise falls on all alike. Per store: seconds per
    document, copies that joined their original, chance candidates seen."""
    out = {size: ([], 0, 0) for size in stores}
    for i, (text, attribution, original) in enumerate(docs):
        for size, store in stores.items():
            costs, joined, chance = out[size]
            if original is None:
                with store.read() as conn:  # outside the timing: how many unrelated candidates
                    chance += len(store.lsh_candidates(conn, fingerprint(text, config).band_keys))
            seconds, decision = ingest_one(store, f"http://{name}.example/{i}", text, attribution, config)
            costs.append(seconds)
            if original is not None:
                joined += decision.matched_url == f"http://bulk.example/{original}"
            out[size] = (costs, joined, chance)
    return out


def index_bytes(store: Store) -> tuple[int, int]:
    with store.read() as conn:
        size = conn.exec_driver_sql("SELECT sum(pgsize) FROM dbstat WHERE name = 'lsh_bands'").scalar()
        rows = conn.exec_driver_sql("SELECT count(*) FROM lsh_bands").scalar()
    return int(size), int(rows)


_STARTUP = textwrap.dedent("""
    import sys, time
    began = time.perf_counter()
    sys.path.insert(0, sys.argv[1])
    from crawler.ingest.dedup import DedupConfig, ensure_compatible, fingerprint, store_document
    from storage.records import Document
    from storage.store import Store
    from datetime import datetime, timezone
    imported = time.perf_counter()
    text = open(sys.argv[3], encoding="utf-8").read()
    store = Store(None, sys.argv[2])
    ensure_compatible(store, DedupConfig())
    fp = fingerprint(text)
    doc = Document(url="http://late.example/copy", url_key="http://late.example/copy", text=text,
                   text_hash=fp.text_hash, fetched_at=datetime.now(timezone.utc))
    with store.write() as conn:
        decision = store_document(conn, store, doc, fp, DedupConfig())
    done = time.perf_counter()
    print(imported - began, done - imported, decision.matched_url)
""")


def startup(data_dir: Path, target: int) -> tuple[float, float, str]:
    """A fresh process: import, open the store, find a copy of synthetic
    article `target`. Returns (import seconds, open + find seconds, matched URL)."""
    _t, paragraphs, _a = make_copy("trimmed", article(target), random.Random(5))
    copy_file = data_dir / "copy.txt"
    copy_file.write_text("\n\n".join(paragraphs), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", _STARTUP, str(REPO), str(data_dir), str(copy_file)],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1]), out[2]


def _ms(costs: list[float]) -> str:
    return f"median {statistics.median(costs) * 1000:6.2f} ms, p90 {np.percentile(costs, 90) * 1000:6.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--probe", type=int, default=300, help="documents measured in each store")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    config = DedupConfig()
    print(f"dedup config: {config.fingerprint_id()}")

    with tempfile.TemporaryDirectory() as tmp:
        stores: dict[int, Store] = {}
        for size in (args.small, args.large):
            store = Store(None, Path(tmp) / str(size))
            ensure_compatible(store, config)
            print(f"bulk-loading {size} documents: {bulk_load(store, 0, size, 0, args.workers):.0f} s")
            raw = store.engine.raw_connection()  # a checkpoint cannot run inside a transaction
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            store.close()
            # Measure through a store opened as ingest opens it (the loader's
            # connections had a big page cache of their own).
            stores[size] = Store(None, Path(tmp) / str(size))
        os.sync()  # the loader's dirty pages would otherwise be flushed by the first measured commits
        probe(stores, probe_documents(30, args.small, seed=2), config, "warm-up")  # not counted
        docs = probe_documents(args.probe, args.small, seed=1)
        results = probe(stores, docs, config, "probe")

        print(f"\n{args.probe} documents through fingerprint + store_document, into each store in turn "
              f"({args.probe - args.probe // 3} new, {args.probe // 3} copies):")
        medians, index = {}, {}
        for size, (costs, joined, chance) in results.items():
            size_bytes, rows = index_bytes(stores[size])
            docs_stored = stores[size].count_documents()
            medians[size], index[size] = statistics.median(costs), size_bytes / docs_stored
            print(f"  {size:>7} stored: {_ms(costs)}; copies joined their original {joined}/{args.probe // 3}; "
                  f"chance candidates per new document {chance / (args.probe - args.probe // 3):.3f}")
            print(f"           index: {rows / docs_stored:.1f} lsh_bands rows/doc, {size_bytes / docs_stored:.0f} "
                  f"bytes/doc (dbstat), {size_bytes / rows:.1f} bytes/row")
        fp_costs = [timed_fingerprint(text, config) for text, _a, _o in docs[:100]]
        for store in stores.values():
            store.close()
        large_dir = Path(tmp) / str(args.large)
        db_bytes = (large_dir / "wirecrawl.db").stat().st_size
        print(f"  database file at {args.large}: {db_bytes / 1e6:.0f} MB (texts included)")
        imports, open_and_find, matched = startup(large_dir, target=args.small // 2)

    rebuild = statistics.median(fp_costs) * args.large
    print(f"\nstart-up at {args.large}, fresh process: imports {imports:.2f} s, open the store and find a copy "
          f"{open_and_find:.2f} s (matched {matched})")
    print(f"  baseline, an in-memory index rebuilt from the stored texts: ~{rebuild:.0f} s "
          f"({args.large} x {statistics.median(fp_costs) * 1000:.2f} ms fingerprint, estimated)")
    print(f"\nper-document cost ratio {args.large} / {args.small}: {medians[args.large] / medians[args.small]:.2f}"
          f"  (target <= 1.2)")
    print(f"index bytes per document at {args.large}: {index[args.large]:.0f}  (target <= 1024)")
    print(f"start-up (open + find a copy): {open_and_find:.2f} s; with interpreter imports "
          f"{imports + open_and_find:.2f} s  (target < 2 s)")
    return 0


def timed_fingerprint(text: str, config: DedupConfig) -> float:
    began = time.perf_counter()
    fingerprint(text, config)
    return time.perf_counter() - began


if __name__ == "__main__":
    raise SystemExit(main())
