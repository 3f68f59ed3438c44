"""Dedup at scale: cost per document as the store grows, index bytes per
document, and start-up time.

SQLite (the default): 10k and 100k stored documents, and start-up time.

    .venv/bin/python bench/dedup_scale.py [--small 10000] [--large 100000] [--probe 300]

PostgreSQL: one throw-away database per size (created, then dropped), 10k,
100k and 1M stored documents by default; a quick run with smaller sizes:

    .venv/bin/python bench/dedup_scale.py --postgres [--sizes 10000,100000,1000000] [--probe 300]
    .venv/bin/python bench/dedup_scale.py --postgres --sizes 2000,20000 --probe 60

The corpus is synthetic (made-up words with a Zipf distribution, 6-10
paragraphs each) so that unrelated documents share common word triples the
way news does. It is bulk-loaded with executemany on SQLite (real
`fingerprint` band keys, computed in a process pool). On PostgreSQL the
first --real documents (10k) are the same real articles; the rest of a
larger store is generated signatures (random 64-bit band keys, as blake2b
band keys of unrelated texts are, and a stand-in text of an article's
length), loaded with COPY, and the indexes are built after the load. The
smallest store is loaded through `Store.lsh_add_many` with its indexes in
place, as ingest grows one (`--incremental` loads every size so); beside it,
in the same batches and order, the array-and-GIN layout of the previous
release, for its bytes per document.

The documents measured then go through the real path one by one:
`fingerprint`, then `store_document` inside `store.write()`, into every
store in turn (so machine noise falls on all alike). Two thirds of them are
new articles, one third syndicated copies of stored real ones (which join a
cluster after verification).

Prints the median cost per document at each size and its ratio to the
smallest (target at 1M: <= 1.2), the index bytes per document (SQLite's
dbstat; PostgreSQL's pg_total_relation_size of lsh_keys, and, on the
smallest store's documents, of the array-and-GIN layout of the previous
release and the one-row-per-key layout of earlier ones, built in the same
run; on PostgreSQL also a SQLite store of the
smallest size), and on SQLite the start-up time: a fresh process that opens
the store at --large documents and finds a copy (target < 2 s).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, insert  # noqa: E402
from sqlalchemy import text as sql  # noqa: E402

from crawler.ingest.dedup import DedupConfig, ensure_compatible, fingerprint, store_document  # noqa: E402
from storage.records import Document  # noqa: E402
from storage.schema import clusters, documents, lsh_bands, lsh_keys  # noqa: E402
from storage.store import Store, int32_key  # noqa: E402
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
                    chance += len(store.lsh_candidates(conn, fingerprint(text, config).lookup_keys))
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
    parser.add_argument("--postgres", action="store_true", help="measure on PostgreSQL (see above)")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="PostgreSQL: stored documents, comma-separated")
    parser.add_argument("--real", type=int, default=10_000, help="PostgreSQL: real articles among the stored")
    parser.add_argument("--incremental", action="store_true",
                        help="PostgreSQL: load every size through lsh_add_many with its indexes in place")
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    config = DedupConfig()
    print(f"dedup config: {config.fingerprint_id()}")
    if args.postgres:
        return run_postgres(args, config)

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


# -- PostgreSQL -------------------------------------------------------------------

_STAND_IN = " ".join(_WORDS[i % 997] for i in range(400))  # about an article's length


def _database(admin_url: str):
    name = f"wirecrawl_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sql(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def _real_rows(count: int, workers: int) -> list[tuple[int, str, str, list[int]]]:
    spans = [(i, min(i + 2000, count)) for i in range(0, count, 2000)]
    with ProcessPoolExecutor(workers) as pool:
        return [row for batch in pool.map(_fingerprinted, spans) for row in batch]


def _generated_rows(start: int, stop: int, keys_per_doc: int):
    """(n, stand-in text, its hash, random band keys) for n in start..stop-1."""
    rng = np.random.default_rng(start)
    for chunk in range(start, stop, 10_000):
        end = min(chunk + 10_000, stop)
        keys = rng.integers(-2**63, 2**63 - 1, size=(end - chunk, keys_per_doc), dtype=np.int64).tolist()
        for n, k in zip(range(chunk, end), keys):
            body = f"Stand-in {n}. {_STAND_IN}"
            yield n, body, hashlib.sha256(body.encode()).hexdigest(), k


_EARLIER_ARRAYS = "earlier_lsh_docs"


def pg_load(store: Store, size: int, real: list, incremental: bool, earlier: bool) -> float:
    """Store `size` documents, the real ones first, each in its own cluster
    (document and cluster id n + 1). `incremental`: through
    `Store.lsh_add_many` with every index in place; else with COPY, the
    secondary indexes dropped first and built after. `earlier` (with
    `incremental`): the same keys, in the same batches, also into a table of
    the previous release's layout (a sorted bigint[] a document, GIN index,
    fastupdate off). Returns seconds."""
    began = time.perf_counter()
    keys_per_doc = len(real[0][3])
    rows = list(real[:size])
    everything = list(rows) + list(_generated_rows(len(rows), size, keys_per_doc)) if size > len(rows) else rows
    if incremental:
        if earlier:
            with store.write() as conn:
                conn.execute(sql(f"CREATE TABLE {_EARLIER_ARRAYS} (doc_id INTEGER PRIMARY KEY, "
                                 "band_keys BIGINT[] NOT NULL)"))
                conn.execute(sql(f"CREATE INDEX ix_{_EARLIER_ARRAYS} ON {_EARLIER_ARRAYS} USING gin (band_keys) "
                                 "WITH (fastupdate = off)"))
        for i in range(0, len(everything), 1000):
            batch, now = everything[i:i + 1000], datetime.now(timezone.utc)
            with store.write() as conn:
                conn.execute(insert(clusters), [{"id": n + 1, "canonical_id": n + 1, "size": 1, "created_at": now,
                                                  "updated_at": now} for n, *_ in batch])
                conn.execute(insert(documents), [_document_row(n, body, h, now) for n, body, h, _k in batch])
                store.lsh_add_many(conn, [(n + 1, keys) for n, _b, _h, keys in batch])
                if earlier:
                    conn.execute(sql(f"INSERT INTO {_EARLIER_ARRAYS} (doc_id, band_keys) VALUES (:d, :k)"),
                                 [{"d": n + 1, "k": sorted(set(keys))} for n, _b, _h, keys in batch])
    else:
        secondary = [ix for t in (documents, lsh_keys) for ix in t.indexes]
        with store.write() as conn:
            for ix in secondary:
                ix.drop(conn)
        raw = store.engine.raw_connection()
        try:
            pg = raw.driver_connection
            now = datetime.now(timezone.utc)
            positions = ", ".join(f"k{i}" for i in range(keys_per_doc))
            with pg.cursor() as cur:
                with cur.copy("COPY clusters (id, canonical_id, size, created_at, updated_at) FROM STDIN") as cp:
                    for n, *_ in everything:
                        cp.write_row((n + 1, n + 1, 1, now, now))
                with cur.copy("COPY documents (id, url, url_key, text, text_hash, fetched_at, version, is_latest, "
                              "cluster_id, is_canonical, tags, updated_at) FROM STDIN") as cp:
                    for n, body, h, _k in everything:
                        url = f"http://bulk.example/{n}"
                        cp.write_row((n + 1, url, url, body, h, T0, 1, True, n + 1, True, "[]", now))
                with cur.copy(f"COPY lsh_keys (doc_id, {positions}) FROM STDIN") as cp:
                    for n, _b, _h, keys in everything:
                        cp.write_row((n + 1, *(int32_key(k) for k in keys)))
            pg.commit()
        finally:
            raw.close()
        with store.write() as conn:
            conn.execute(sql("SET LOCAL maintenance_work_mem = '1GB'"))  # the loader's own, for the index builds
            for ix in secondary:
                ix.create(conn)
    with store.write() as conn:
        for table in ("documents", "clusters"):
            conn.execute(sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    raw = store.engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        with raw.driver_connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()
    return time.perf_counter() - began


def _document_row(n: int, body: str, h: str, now: datetime) -> dict:
    url = f"http://bulk.example/{n}"
    return {"id": n + 1, "url": url, "url_key": url, "text": body, "text_hash": h, "fetched_at": T0, "version": 1,
            "is_latest": True, "cluster_id": n + 1, "is_canonical": True, "tags": "[]", "updated_at": now}


def earlier_layouts_bytes(store: Store) -> tuple[int, int]:
    """Bytes of the previous release's index (array and GIN, loaded beside
    lsh_keys by `pg_load`) and of the one-row-per-key layout of the releases
    before (primary key (key, doc_id)) for the documents of `store`, the
    latter built here from the former; both dropped again."""
    with store.write() as conn:
        arrays = conn.execute(sql(f"SELECT pg_total_relation_size('{_EARLIER_ARRAYS}')")).scalar()
        conn.execute(sql("CREATE TABLE earlier_lsh_bands (key BIGINT NOT NULL, doc_id INTEGER NOT NULL, "
                          "PRIMARY KEY (key, doc_id))"))
        conn.execute(sql(f"INSERT INTO earlier_lsh_bands SELECT unnest(band_keys), doc_id FROM {_EARLIER_ARRAYS} "
                          "ORDER BY random()"))  # arrival order, as ingest fills it
        rows = conn.execute(sql("SELECT pg_total_relation_size('earlier_lsh_bands')")).scalar()
        conn.execute(sql(f"DROP TABLE earlier_lsh_bands, {_EARLIER_ARRAYS}"))
    return int(arrays), int(rows)


def sqlite_bytes(tmp: Path, real: list) -> float:
    """Index bytes per document of a SQLite store holding the real documents."""
    store = Store(None, tmp / "sqlite")
    now = datetime.now(timezone.utc)
    for i in range(0, len(real), 1000):
        batch = real[i:i + 1000]
        with store.write() as conn:
            conn.execute(insert(clusters), [{"id": n + 1, "canonical_id": n + 1, "size": 1, "created_at": now,
                                              "updated_at": now} for n, *_ in batch])
            conn.execute(insert(documents), [_document_row(n, body, h, now) for n, body, h, _k in batch])
            store.lsh_add_many(conn, [(n + 1, keys) for n, _b, _h, keys in batch])
    size, docs = store.index_size()
    store.close()
    return size / docs


def run_postgres(args, config: DedupConfig) -> int:
    sizes = sorted(int(s) for s in args.sizes.split(","))
    real_count = min(args.real, sizes[-1])
    began = time.perf_counter()
    real = _real_rows(real_count, args.workers)
    print(f"fingerprinted {real_count} real articles: {time.perf_counter() - began:.0f} s", flush=True)
    drops = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stores: dict[int, Store] = {}
            for size in sizes:
                url, drop = _database(args.admin_url)
                drops.append(drop)
                store = Store(url, Path(tmp) / str(size))
                ensure_compatible(store, config)
                incremental = size == sizes[0] or args.incremental
                seconds = pg_load(store, size, real, incremental, earlier=size == sizes[0])
                print(f"loaded {size} documents ({'lsh_add_many, indexes in place' if incremental else 'COPY'}): "
                      f"{seconds:.0f} s", flush=True)
                stores[size] = store
            probe(stores, probe_documents(30, min(real_count, sizes[0]), seed=2), config, "warm-up")
            docs = probe_documents(args.probe, min(real_count, sizes[0]), seed=1)
            results = probe(stores, docs, config, "probe")
            arrays, rows = (b / stores[sizes[0]].index_size()[1] for b in earlier_layouts_bytes(stores[sizes[0]]))
            print(f"\n{args.probe} documents through fingerprint + store_document, into each store in turn "
                  f"({args.probe - args.probe // 3} new, {args.probe // 3} copies):")
            medians, per_doc = {}, {}
            for size, (costs, joined, chance) in results.items():
                medians[size] = statistics.median(costs)
                index, indexed = stores[size].index_size()
                per_doc[size] = index / indexed
                print(f"  {size:>8} stored: {_ms(costs)}; copies joined their original {joined}/{args.probe // 3}; "
                      f"chance candidates per new document {chance / (args.probe - args.probe // 3):.3f}; "
                      f"index {index / indexed:.0f} bytes/doc ({index / 1e6:.0f} MB)")
            sqlite = sqlite_bytes(Path(tmp), real[:sizes[0]])
            for store in stores.values():
                store.close()
    finally:
        for drop in drops:
            drop()
    base = sizes[0]
    print(f"\nindex bytes per document at {base}: PostgreSQL lsh_keys (a column and a B-tree a band position) "
          f"{per_doc[base]:.0f}; same documents, same batches: the previous release's array + GIN {arrays:.0f}, "
          f"the one-row-per-key layout of earlier releases {rows:.0f}; SQLite lsh_bands {sqlite:.0f}  "
          f"(target on PostgreSQL <= 1536)")
    how = "lsh_add_many, indexes in place" if args.incremental else "COPY, indexes built after"
    for size in sizes[1:]:
        print(f"index bytes per document at {size} ({how}): {per_doc[size]:.0f}")
    for size in sizes[1:]:
        print(f"per-document cost ratio {size} / {base}: {medians[size] / medians[base]:.2f}  (target at 1M <= 1.2)")
    return 0


def timed_fingerprint(text: str, config: DedupConfig) -> float:
    began = time.perf_counter()
    fingerprint(text, config)
    return time.perf_counter() - began


if __name__ == "__main__":
    raise SystemExit(main())
