"""Extraction on real pages nobody here wrote: wirecrawl against bare
trafilatura, side by side, in one run.

    .venv/bin/python bench/realpages.py [--corpus ../shared/realpages] [--repeats 1] [--show-lost] [--dedup]

The corpus is `../shared/realpages` (990 saved pages from several hundred
sites, each with sentences its main text must contain, `with`, and lines of
page furniture it must not, `without`; see its README). Scored the way
trafilatura's own evaluation scores it: per page, a `with` snippet found in
the text is a true positive, one missing a false negative; a `without`
snippet found is a false positive, one absent a true negative; precision,
recall and F1 over all pages together. A page that gives no text counts
every `with` as missed.

Systems, each on the page's raw bytes (decoding included in its time):
- wirecrawl: `crawler.extract.extract` (decode, metadata, cleaning,
  trafilatura, text filters, length check); a rejected page gives no text;
- bare trafilatura with wirecrawl's options (`favor_recall`,
  `include_comments=False`): the floor;
- bare trafilatura with its defaults (`include_comments=False`), for scale.

"Lost" pages are those where bare trafilatura with our options reads an
article (text of at least `min_text_length`, the length below which
wirecrawl rejects any page) and wirecrawl rejects the page; "snippets lost"
are `with` snippets the floor finds and wirecrawl's text does not. CPU is
this process's CPU time per page (median over repeats); the ratios are
wirecrawl over each bare run. With `--dedup`, every page also goes through the whole ingest path into
one store, and the clusters of copies it made are listed (site, length,
title of each member) for a reader to judge, beside the pairs datasketch
out of the box (5-word shingles, MinHashLSH at 0.8) calls copies among the
same texts. Last, `wirecrawl extract` runs once over
`--cli` pages of the corpus in one process (a new process, start-up
included): pages per second of wall time and of CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from crawler.ingest.extract import ExtractConfig, extract, text_length  # noqa: E402
from crawler.ingest.records import Page, Rejected  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "realpages"
CONFIG = ExtractConfig()


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    rejected: Counter = field(default_factory=Counter)
    cpu: list[float] = field(default_factory=list)

    def add(self, text: str | None, item: dict) -> None:
        for snippet in item["with"]:
            if text is not None and snippet in text:
                self.tp += 1
            else:
                self.fn += 1
        for snippet in item["without"]:
            if text is not None and snippet in text:
                self.fp += 1
            else:
                self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self.tp / max(1, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_corpus(corpus: Path) -> list[tuple[str, dict, bytes]]:
    """(url, labels, raw bytes) of every page of the corpus, in a fixed order."""
    data = json.loads((corpus / "evaldata.json").read_text(encoding="utf-8"))
    return [(url, item, (corpus / "pages" / item["file"]).read_bytes()) for url, item in sorted(data.items())]


def wirecrawl_text(url: str, body: bytes) -> tuple[str | None, str | None]:
    """(text, None) or (None, rejection reason)."""
    page = Page(url=url, status=200, headers={"content-type": "text/html"}, body=body,
                fetched_at=datetime.now(timezone.utc))
    try:
        return extract(page, CONFIG).text, None
    except Rejected as exc:
        return None, exc.reason


def floor_text(url: str, body: bytes) -> str | None:
    return trafilatura.extract(body, url=url, include_comments=False, fast=CONFIG.fast,
                               favor_precision=CONFIG.favor_precision, favor_recall=CONFIG.favor_recall)


def default_text(url: str, body: bytes) -> str | None:
    return trafilatura.extract(body, url=url, include_comments=False)


def timed(fn, *args):
    start = time.process_time()
    out = fn(*args)
    return out, time.process_time() - start


def cli_speed(corpus: Path, pages: list[tuple[str, dict, bytes]]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, files) of one `wirecrawl extract` over the
    pages' files, in a new process."""
    with tempfile.TemporaryDirectory() as folder:
        for _, item, _ in pages:
            os.symlink((corpus / "pages" / item["file"]).resolve(), Path(folder) / item["file"])
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flows.cli", "extract", folder], cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, len(pages)


def page_address(i: int, url: str) -> str:
    """The page's URL; pages of the corpus saved without one get an address
    of their own (a host each: they come from different sites)."""
    return url if url.startswith(("http://", "https://")) else f"http://page{i}.invalid/{url.split('::')[-1]}"


def dedup_report(pages: list[tuple[str, dict, bytes]]) -> None:
    """Every page through the whole ingest path into one fresh store, in
    corpus order; then the clusters with copies, each member's site, title
    and length, for a reader to judge (the corpus has no labels for copies:
    its pages come from several hundred sites and are meant to be different
    articles). Against it, datasketch out of the box (5-word shingles,
    MinHashLSH at 0.8, as `bench/dedup_quality.py`) over the same stored
    texts: the pairs it would call copies."""
    from urllib.parse import urlsplit

    from datasketch import MinHash, MinHashLSH

    from crawler.ingest.ingest import ingest_page
    from storage.store import Store

    fetched_at = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as folder, Store(None, Path(folder)) as store:
        start = time.perf_counter()
        outcomes: Counter = Counter()
        for i, (url, _item, body) in enumerate(pages):
            page = Page(url=page_address(i, url), status=200, headers={"content-type": "text/html"}, body=body,
                        fetched_at=fetched_at)
            outcomes[ingest_page(page, store).outcome] += 1
        seconds = time.perf_counter() - start
        found = [(cid, store.members(cid)) for cid, _size, _doc in store.clusters(min_size=2)]
        texts = _stored_texts(store)
    lsh, hashes = MinHashLSH(threshold=0.8), {}
    for key, text in texts.items():
        words = text.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(words[j:j + 5]).encode() for j in range(max(1, len(words) - 4))])
        lsh.insert(key, m)
        hashes[key] = m
    pairs = {tuple(sorted((key, other))) for key, m in hashes.items() for other in lsh.query(m) if other != key}
    print(f"dedup over {len(pages)} real pages, one store, {seconds:.0f} s: {dict(outcomes.most_common())}")
    print(f"clusters with copies: {len(found)} (wirecrawl); pairs datasketch out of the box calls copies: "
          f"{len(pairs)}")
    for cid, members in found:
        print(f"  cluster {cid}:")
        for doc in members:
            print(f"    {urlsplit(doc.url).hostname:32.32} {len(doc.text):6d} chars  {(doc.title or '')[:70]}")


def _stored_texts(store) -> dict[int, str]:
    """Document id -> text of every latest document in `store`."""
    from sqlalchemy import select

    from storage.schema import documents

    with store.read() as conn:
        return {row.id: row.text for row in conn.execute(
            select(documents.c.id, documents.c.text).where(documents.c.is_latest.is_(True)))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeats", type=int, default=1, help="timing repeats (scores come from the first)")
    parser.add_argument("--show-lost", action="store_true", help="list lost pages and lost snippets")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (a quick look)")
    parser.add_argument("--cli", type=int, default=300, help="pages for the `wirecrawl extract` run (0: none)")
    parser.add_argument("--dedup", action="store_true",
                        help="also ingest every page into one store and list the clusters of copies it made, "
                             "against datasketch out of the box over the same texts")
    args = parser.parse_args()
    if not (args.corpus / "evaldata.json").is_file():
        print(f"no corpus at {args.corpus} (its evaldata.json is missing); nothing to measure")
        return 0
    pages = load_corpus(args.corpus)
    if args.limit:
        pages = pages[: args.limit]

    systems = {"wirecrawl": Score(), "trafilatura, our options": Score(), "trafilatura, defaults": Score()}
    lost_pages: list[tuple[str, str, int]] = []
    lost_snippets: list[tuple[str, str]] = []
    for repeat in range(args.repeats):
        cpu = {name: 0.0 for name in systems}
        for url, item, body in pages:
            # The systems take turns page by page: load drifts hit all alike.
            (ours, reason), t_ours = timed(wirecrawl_text, url, body)
            floor, t_floor = timed(floor_text, url, body)
            default, t_default = timed(default_text, url, body)
            cpu["wirecrawl"] += t_ours
            cpu["trafilatura, our options"] += t_floor
            cpu["trafilatura, defaults"] += t_default
            if repeat:
                continue
            systems["wirecrawl"].add(ours, item)
            systems["trafilatura, our options"].add(floor, item)
            systems["trafilatura, defaults"].add(default, item)
            if reason:
                systems["wirecrawl"].rejected[reason] += 1
            if ours is None and floor and text_length(floor) >= CONFIG.min_text_length:
                lost_pages.append((url, reason or "", len(floor)))
            for snippet in item["with"]:
                if floor and snippet in floor and not (ours and snippet in ours):
                    lost_snippets.append((url, snippet))
        for name, seconds in cpu.items():
            systems[name].cpu.append(1000 * seconds / len(pages))

    print(f"{len(pages)} real pages from {args.corpus.name}/ (labelled snippets: "
          f"{sum(len(i['with']) for _, i, _ in pages)} with, {sum(len(i['without']) for _, i, _ in pages)} without)")
    print(f"{'system':28} {'precision':>9} {'recall':>7} {'F1':>6} {'rejected':>8} {'ms CPU/page':>11}")
    for name, s in systems.items():
        print(f"{name:28} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {sum(s.rejected.values()):8d} "
              f"{statistics.median(s.cpu):11.1f}")
    ours, floor = systems["wirecrawl"], systems["trafilatura, our options"]
    print(f"wirecrawl rejections by reason: {dict(ours.rejected.most_common()) or '-'}")
    print(f"pages lost (the floor reads >= {CONFIG.min_text_length} chars, wirecrawl rejects): {len(lost_pages)}")
    print(f"snippets lost (found by the floor, not by wirecrawl): {len(lost_snippets)} "
          f"on {len({u for u, _ in lost_snippets})} pages")
    default = systems["trafilatura, defaults"]
    print(f"CPU ratio wirecrawl / bare trafilatura: {statistics.median(ours.cpu) / statistics.median(default.cpu):.2f}"
          f" against its defaults, {statistics.median(ours.cpu) / statistics.median(floor.cpu):.2f} against our "
          f"options (median of {args.repeats})")
    if args.cli:
        wall, cpu, n = cli_speed(args.corpus, pages[: args.cli])
        print(f"wirecrawl extract, {n} files in one process: {n / wall:.1f} pages/s of wall time, "
              f"{n / cpu:.1f} pages per CPU second (start-up included)")
    if args.dedup:
        dedup_report(pages)
    if args.show_lost:
        for url, reason, chars in lost_pages:
            print(f"  lost page {url} ({reason}; the floor has {chars} chars)")
        for url, snippet in lost_snippets:
            print(f"  lost snippet {url}: {snippet[:80]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
