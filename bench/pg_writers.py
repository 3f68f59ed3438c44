"""Several writer processes committing documents into one PostgreSQL store:
how long each commit holds its locks, and commits per second with 1, 2, 4
and 8 writers, as ratios to one writer measured in the same run.

    .venv/bin/python bench/pg_writers.py [--writers 1,2,4,8] [--docs 120] [--repeats 3]
        [--design both|store-wide|keyed] [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Every measurement gets a throw-away database (created, then dropped). Each
writer is a process committing its own site's articles through the real
commit path (`crawler.ingest.ingest.commit`: dedup decision, document, index
rows, site lines, fetch record, in one transaction); every fourth document is
a syndicated copy of an article another writer commits at about the same
moment, so copies race their originals. Pages are extracted and
fingerprinted beforehand: the figure is the store's, not trafilatura's.

Two designs, each measured in the same run:

- store-wide: every commit holds one advisory lock for its whole
  transaction (the store before partitioned locks; reproduced here by
  giving `Store.write` no keys).
- keyed: a commit takes the store-wide lock shared, and exclusive locks on
  the keys it can collide on (its LSH band buckets, text hash, URL names,
  site lines), then on the clusters it joins.

Per commit: `begin` is the time to get a connection and the locks, `hold` the time from
having them to the end of the commit. Fleet capacity from the hold time is
1 / (hold x the share of commits that exclude each other): 1 for the
store-wide lock; for keyed locks, the share of pairs of unrelated
documents of the run whose lock keys meet (copies and their originals are
meant to meet and are left out).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from sqlalchemy import create_engine, text  # noqa: E402

from crawler.ingest.config import IngestConfig  # noqa: E402
from crawler.ingest.dedup import fingerprint  # noqa: E402
from crawler.ingest.ingest import Prepared, commit  # noqa: E402
from crawler.ingest.records import Article, Page  # noqa: E402
from dedup_scale import article  # noqa: E402
from tests.sampleweb.copies import make_copy  # noqa: E402

CONFIG = IngestConfig(archive_pages=False)


def prepared_pages(writer: int, writers: int, count: int, run: str) -> list[tuple[Prepared, int | None]]:
    """The pages writer `writer` commits: its site's own articles, and every
    fourth a copy of the article the next writer commits just before.
    Returns (prepared page, article number it copies or None)."""
    rng = random.Random(f"{run}-{writer}")
    out = []
    site = f"http://site{writer}.example"
    furniture = (1000 + writer, 2000 + writer, 3000 + writer)  # share lines every page of the site repeats
    for i in range(count):
        if i % 4 == 3:
            n = _article_number(run, (writer + 1) % writers, i - 1)
            _title, paragraphs, attribution = make_copy("wire", article(n), rng)
            copied = n
        else:
            n = _article_number(run, writer, i)
            paragraphs, attribution, copied = article(n), None, None
        body = "\n\n".join(paragraphs)
        url = f"{site}/{run}/{i}"
        now = datetime.now(timezone.utc)
        page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=body.encode(),
                    fetched_at=now)
        art = Article(url=url, text=body, title=f"Story {n}", attribution=attribution, line_keys=furniture)
        out.append((Prepared(page=page, page_hash=f"{run}-{writer}-{i}", article=art,
                             fingerprint=fingerprint(body, CONFIG.dedup)), copied))
    return out


def _article_number(run: str, writer: int, i: int) -> int:
    return (abs(hash(run)) % 1000) * 100_000 + writer * 10_000 + i


def _timed(write, timings: list[tuple[float, float]]):
    """`write` (a `Store.write`) timing each transaction: (wait for its
    locks, hold from having them to the end of the commit)."""

    @contextmanager
    def timed(self, keys=None):
        began = time.perf_counter()
        with write(self, keys) as conn:
            locked = time.perf_counter()
            yield conn
        timings.append((locked - began, time.perf_counter() - locked))

    return timed


def _store_wide(write):
    """`Store.write` as it was: every transaction under the store-wide lock."""

    def store_wide(self, keys=None):
        return write(self)

    return store_wide


def writer_process(database_url: str, data_dir: str, design: str, pages, barrier, results) -> None:
    from storage.store import Store

    from crawler.ingest.dedup import ensure_compatible

    timings: list[tuple[float, float]] = []
    Store.write = _timed(_store_wide(Store.write) if design == "store-wide" else Store.write, timings)
    store = Store(database_url, data_dir)
    ensure_compatible(store, CONFIG.dedup)
    timings.clear()
    barrier.wait()
    began = time.perf_counter()
    outcomes = [commit(p, store, config=CONFIG).outcome for p, _copied in pages]
    ended = time.perf_counter()
    store.close()
    results.put((began, ended, timings, outcomes))


def _database(admin_url: str):
    name = f"wirecrawl_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def measure(admin_url: str, design: str, writers: int, docs: int, run: str) -> dict:
    """One measurement in a fresh database: commits/s of `writers` processes
    each committing `docs` pages, and every commit's (wait, hold)."""
    from storage.store import Store

    url, drop = _database(admin_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            Store(url, tmp).close()  # the schema, before the clock starts
            ctx = mp.get_context("spawn")
            barrier, results = ctx.Barrier(writers), ctx.Queue()
            pages = [prepared_pages(w, writers, docs, run) for w in range(writers)]
            procs = [ctx.Process(target=writer_process, args=(url, tmp, design, pages[w], barrier, results))
                     for w in range(writers)]
            for p in procs:
                p.start()
            got = [results.get(timeout=600) for _ in procs]
            for p in procs:
                p.join()
                if p.exitcode != 0:
                    raise RuntimeError(f"a writer process ended with exit code {p.exitcode}")
            clusters = _copies_joined(url, tmp, pages)
    finally:
        drop()
    began, ended = min(g[0] for g in got), max(g[1] for g in got)
    timings = [t for g in got for t in g[2]]
    return {"rate": writers * docs / (ended - began), "wait": [w for w, _h in timings],
            "hold": [h for _w, h in timings], "joined": clusters, "pages": pages}


def _copies_joined(url: str, data_dir: str, pages) -> tuple[int, int]:
    """(copies that share their original's cluster, copies): the guarantee
    the locks keep, checked on the store each run leaves. Each copy that
    does not is printed, with whether it shares a band key with its
    original (without one, no order of commits could join them)."""
    from storage.store import Store

    originals, copies = {}, []
    for writer_pages in pages:
        for p, copied in writer_pages:
            if copied is None:
                originals[p.article.title] = p
            else:
                copies.append(p)
    joined = 0
    with Store(url, data_dir) as store:
        for copy in copies:
            original = originals.get(copy.article.title)
            stored = store.find_document(original.page.url) if original is not None else None
            copy_doc = store.find_document(copy.page.url)
            if stored is not None and copy_doc is not None and stored.cluster_id == copy_doc.cluster_id:
                joined += 1
                continue
            shared = len(set(copy.fingerprint.band_keys) & set(original.fingerprint.band_keys)) if original else 0
            print(f"  not joined: {copy.page.url} (cluster {copy_doc and copy_doc.cluster_id}) and its original "
                  f"{original and original.page.url} (cluster {stored and stored.cluster_id}); "
                  f"band keys shared: {shared}", flush=True)
    return joined, len(copies)


def meeting_share(pages) -> tuple[int, int]:
    """(pairs of unrelated documents whose lock keys meet, pairs), over pairs
    from different writers (sites) where neither copies the other. Pages of
    one site share its furniture lines and take turns by design; a fleet
    crawls a site from one worker."""
    from crawler.ingest.dedup import lock_keys
    from crawler.ingest.sitelines import site_of

    docs = []
    for writer, writer_pages in enumerate(pages):
        for p, copied in writer_pages:
            number = copied if copied is not None else int(p.article.title.split()[1])
            keys = lock_keys(p.page.url, p.page.final_url, p.article, p.fingerprint, site_of(p.page.url))
            docs.append((writer, number, set(keys)))
    pairs = meet = 0
    for i, (writer_i, number_i, keys_i) in enumerate(docs):
        for writer_j, number_j, keys_j in docs[i + 1:]:
            if writer_i != writer_j and number_i != number_j:
                pairs += 1
                meet += bool(keys_i & keys_j)
    return meet, pairs


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"median {statistics.median(values) * 1000:6.2f} ms, "
            f"p90 {ordered[int(0.9 * (len(ordered) - 1))] * 1000:6.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", default="1,2,4,8")
    parser.add_argument("--docs", type=int, default=120, help="pages each writer commits per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--design", choices=("both", "store-wide", "keyed"), default="both")
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.writers.split(",")]
    designs = ["store-wide", "keyed"] if args.design == "both" else [args.design]

    rates: dict[tuple[str, int], list[float]] = {}
    holds: dict[str, list[float]] = {d: [] for d in designs}
    waits: dict[tuple[str, int], list[float]] = {}
    share: dict[str, list[tuple[int, int]]] = {d: [] for d in designs}
    for repeat in range(args.repeats):
        # Designs and writer counts interleaved, so the machine's noise falls on all alike.
        for writers in counts:
            for design in designs:
                m = measure(args.admin_url, design, writers, args.docs, f"r{repeat}w{writers}")
                rates.setdefault((design, writers), []).append(m["rate"])
                waits.setdefault((design, writers), []).extend(m["wait"])
                if writers == 1:
                    holds[design].extend(m["hold"])
                if design == "keyed" and writers == max(counts):
                    share[design].append(meeting_share(m["pages"]))
                joined, copies = m["joined"]
                print(f"repeat {repeat + 1}: {design:10} {writers} writer(s): {m['rate']:7.1f} commits/s, "
                      f"copies in their original's cluster {joined}/{copies}; machine load "
                      f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    print("\nlock hold per commit (one writer, so no waiting inflates it):")
    for design in designs:
        hold = statistics.median(holds[design])
        if design == "store-wide":
            exclusion, note = 1.0, ""
        else:
            met, pairs = (sum(x) for x in zip(*share[design]))
            # None met: the rule of three bounds the share at 3/pairs (95 %).
            exclusion = met / pairs if met else 3 / pairs
            note = f" ({met} of {pairs} pairs of unrelated pages met{', bound 3/pairs' if not met else ''})"
        print(f"  {design:10}: {_ms(holds[design])}; share of commits excluding each other {exclusion:.2g}{note}; "
              f"fleet capacity from hold time {1 / (hold * exclusion):,.0f} docs/s"
              + (" or more" if design != "store-wide" and not met else ""))

    print(f"\ncommits/s, median of {args.repeats} (ratio to 1 writer of the same design, same run):")
    for design in designs:
        base = statistics.median(rates[(design, counts[0])])
        for writers in counts:
            rate = statistics.median(rates[(design, writers)])
            print(f"  {design:10} {writers} writer(s): {rate:7.1f} commits/s  x{rate / base:.2f}   "
                  f"begin (connection + locks) {_ms(waits[(design, writers)])}")
    if "keyed" in designs and "store-wide" in designs:
        for writers in counts:
            k, s = (statistics.median(rates[(d, writers)]) for d in ("keyed", "store-wide"))
            print(f"  keyed / store-wide at {writers} writer(s): x{k / s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
