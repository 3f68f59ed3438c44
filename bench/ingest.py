"""Ingest overhead: bare `trafilatura.extract` vs the whole ingest path
(decode + extract + boilerplate + dedup + store + archive), same pages, same run.

    .venv/bin/python bench/ingest.py [--pages 600] [--repeats 3]

Prints pages/s of both and the overhead ratio (target: whole ingest costs at
most 10 % more than bare extraction). Medians over the repeats; each repeat
ingests into a fresh SQLite store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from crawler.ingest import IngestConfig, ingest_page  # noqa: E402
from crawler.records import Page  # noqa: E402
from flows.sampleweb.articles import ARTICLES  # noqa: E402
from flows.sampleweb.copies import make_copy  # noqa: E402
from flows.sampleweb.templates import TEMPLATES, render_article_page  # noqa: E402
from storage.archive import Archive  # noqa: E402
from storage.store import Store  # noqa: E402

KINDS = ("wire", "trimmed", "excerpt")


def build_pages(n: int, seed: int = 7) -> list[tuple[str, bytes]]:
    """n pages: distinct articles made by recombining our sample paragraphs,
    plus syndicated copies of some of them, across every template."""
    rng = random.Random(seed)
    english = [a for a in ARTICLES if a.lang == "en"]
    pool = [p for a in english for p in a.paragraphs]
    pages: list[tuple[str, bytes]] = []
    i = 0
    while len(pages) < n:
        base = english[i % len(english)]
        paragraphs = rng.sample(pool, k=min(len(pool), rng.randint(7, 11)))
        title = f"{base.title} ({i})"
        template = TEMPLATES[i % len(TEMPLATES)]
        url = f"http://origin{i % 5}.example/{i}.html"
        html = render_article_page(template, title=title, paragraphs=paragraphs, site_name=f"Origin {i % 5}",
                                   url=url, author=base.author, published=base.published)
        pages.append((url, html.encode("utf-8")))
        if rng.random() < 0.4 and len(pages) < n:
            ctitle, cparas, attribution = make_copy(rng.choice(KINDS), paragraphs, rng)
            curl = f"http://copy{i % 3}.example/{i}.html"
            chtml = render_article_page(TEMPLATES[(i + 1) % len(TEMPLATES)], title=ctitle or title,
                                        paragraphs=cparas, site_name=f"Copy {i % 3}", url=curl,
                                        attribution=attribution)
            pages.append((curl, chtml.encode("utf-8")))
        i += 1
    return pages[:n]


def bare(pages) -> float:
    t = time.perf_counter()
    for url, body in pages:
        trafilatura.extract(body, url=url, include_comments=False)
    return time.perf_counter() - t


def extraction_only(pages) -> float:
    """Our extraction + fingerprint (`prepare`), no store: the CPU half of ingest."""
    from crawler.ingest import prepare

    config = IngestConfig()
    now = datetime.now(timezone.utc)
    t = time.perf_counter()
    for url, body in pages:
        prepare(Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                     body=body, fetched_at=now), config)
    return time.perf_counter() - t


def whole(pages) -> tuple[float, dict[str, int]]:
    config = IngestConfig()
    outcomes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(None, tmp)
        archive = Archive(Path(tmp) / "archive")
        now = datetime.now(timezone.utc)
        t = time.perf_counter()
        for url, body in pages:
            page = Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                        body=body, fetched_at=now)
            r = ingest_page(page, store, archive=archive, config=config)
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        elapsed = time.perf_counter() - t
        store.close()
    return elapsed, outcomes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pages = build_pages(args.pages)
    bare_t, prep_t, whole_t, outcomes = [], [], [], {}
    for _ in range(args.repeats):  # interleaved, so drift hits all alike
        bare_t.append(bare(pages))
        prep_t.append(extraction_only(pages))
        t, outcomes = whole(pages)
        whole_t.append(t)
    b, p, w = statistics.median(bare_t), statistics.median(prep_t), statistics.median(whole_t)
    n = len(pages)
    print(f"pages: {n}  outcomes of the whole ingest: {outcomes}")
    print(f"bare trafilatura.extract : {n / b:7.1f} pages/s  (median of {args.repeats})")
    print(f"our extract + fingerprint: {n / p:7.1f} pages/s  (median of {args.repeats})")
    print(f"whole ingest             : {n / w:7.1f} pages/s  (median of {args.repeats})")
    print(f"overhead ratio whole/bare trafilatura   : {w / b:.3f}  (target <= 1.10)")
    print(f"  of which our extraction over bare     : {p / b:.3f}  (metadata, page cleaning, decoding)")
    print(f"  of which dedup + store over extraction: {w / p:.3f}")


if __name__ == "__main__":
    main()
