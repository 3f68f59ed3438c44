"""Ingest overhead: bare `trafilatura.extract` vs the whole ingest path
(decode + extract + boilerplate + dedup + store + archive), same pages, same run.

    .venv/bin/python bench/ingest.py [--pages 600] [--repeats 3] [--weight news|light|both]

Prints pages/s of both and the overhead ratio (target: whole ingest costs at
most 10 % more than bare extraction). Medians over the repeats; each repeat
ingests into a fresh SQLite store.

Two page sets, the same articles and copies in both:
- news: each page dressed with the weight and furniture of a real news
  article page (bench/pageweight.py: inline CSS and scripts, mega-menu,
  related-story cards, footer; median ~120 KB). This is the set the target is
  about: what the crawler meets.
- light: the bare sample-web templates (~5 KB a page), where the fixed costs
  per page (the store transaction, fingerprints) weigh most.
Also counted: pages whose extracted text let furniture in (`leaked`), for
ours and for bare trafilatura.
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

from crawler.ingest.config import IngestConfig  # noqa: E402
from crawler.ingest.ingest import ingest_page  # noqa: E402
from crawler.ingest.records import Page  # noqa: E402
from pageweight import dress, leaked  # noqa: E402
from storage.archive import Archive  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.sampleweb.articles import ARTICLES  # noqa: E402
from tests.sampleweb.copies import make_copy  # noqa: E402
from tests.sampleweb.templates import TEMPLATES, render_article_page  # noqa: E402

KINDS = ("wire", "trimmed", "excerpt")


def build_pages(n: int, seed: int = 7, weight: str = "light") -> list[tuple[str, bytes]]:
    """n pages: distinct articles made by recombining our sample paragraphs,
    plus syndicated copies of some of them, across every template; with
    `weight="news"` dressed as real news pages (see the module docstring)."""
    pages = _light_pages(n, seed)
    if weight == "light":
        return pages
    rng = random.Random(seed + 1)
    return [(url, dress(body.decode("utf-8"), rng).encode("utf-8")) for url, body in pages]


def _reworded(paragraph: str, rng: random.Random) -> str:
    words = paragraph.split()
    rng.shuffle(words)
    return " ".join(words)


def _light_pages(n: int, seed: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    english = [a for a in ARTICLES if a.lang == "en"]
    pool = [p for a in english for p in a.paragraphs]
    pages: list[tuple[str, bytes]] = []
    i = 0
    while len(pages) < n:
        base = english[i % len(english)]
        # Sample paragraphs with their words in a new order: as long and as
        # worded as real ones, but no two articles share their sentences
        # (distinct articles that share whole paragraphs would all be
        # near-duplicate candidates of each other, which real ones are not).
        paragraphs = [_reworded(p, rng) for p in rng.sample(pool, k=min(len(pool), rng.randint(7, 11)))]
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


def bare(pages) -> tuple[float, int]:
    """Seconds of plain trafilatura.extract over the pages, and its leaks."""
    t = time.perf_counter()
    texts = [trafilatura.extract(body, url=url, include_comments=False) for url, body in pages]
    elapsed = time.perf_counter() - t
    return elapsed, sum(1 for text in texts if text and leaked(text))


def extraction_only(pages) -> tuple[float, int]:
    """Our extraction + fingerprint (`prepare`), no store: the CPU half of
    ingest. Seconds, and the pages whose text leaked furniture."""
    from crawler.ingest.ingest import prepare

    config = IngestConfig()
    now = datetime.now(timezone.utc)
    t = time.perf_counter()
    done = [prepare(Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                         body=body, fetched_at=now), config) for url, body in pages]
    elapsed = time.perf_counter() - t
    return elapsed, sum(1 for p in done if p.article is not None and leaked(p.article.text))


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


def measure(pages, repeats: int) -> dict:
    bare_t, prep_t, whole_t, outcomes, leaks = [], [], [], {}, (0, 0)
    for _ in range(repeats):  # interleaved, so drift hits all alike
        t, bare_leaks = bare(pages)
        bare_t.append(t)
        t, our_leaks = extraction_only(pages)
        prep_t.append(t)
        t, outcomes = whole(pages)
        whole_t.append(t)
        leaks = (bare_leaks, our_leaks)
    return dict(bare=statistics.median(bare_t), prep=statistics.median(prep_t), whole=statistics.median(whole_t),
                outcomes=outcomes, leaks=leaks)


def report(name: str, pages, m: dict, repeats: int) -> None:
    n = len(pages)
    b, p, w = m["bare"], m["prep"], m["whole"]
    size = statistics.median(len(body) for _, body in pages) / 1024
    print(f"{name} pages: {n}, median {size:.0f} KB; outcomes of the whole ingest: {m['outcomes']}")
    print(f"  bare trafilatura.extract : {n / b:7.1f} pages/s  (median of {repeats}); "
          f"pages with furniture in the text: {m['leaks'][0]}")
    print(f"  our extract + fingerprint: {n / p:7.1f} pages/s  (median of {repeats}); "
          f"pages with furniture in the text: {m['leaks'][1]}")
    print(f"  whole ingest             : {n / w:7.1f} pages/s  (median of {repeats})")
    print(f"  overhead ratio whole/bare trafilatura   : {w / b:.3f}  (target <= 1.10)")
    print(f"    of which our extraction over bare     : {p / b:.3f}  (decoding, metadata, page cleaning, "
          "fingerprint, archive record)")
    print(f"    of which dedup + store over extraction: {w / p:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--weight", choices=("news", "light", "both"), default="both")
    args = ap.parse_args()
    for weight in ("news", "light") if args.weight == "both" else (args.weight,):
        pages = build_pages(args.pages, weight=weight)
        report(weight, pages, measure(pages, args.repeats), args.repeats)


if __name__ == "__main__":
    main()
