"""What the pathological-markup check costs on normal pages: the time of
`crawler.ingest.markup.check_markup` on a page's decoded text against the
time of extracting that page (`crawler.ingest.extract.extract`, which runs
the check once), both per page, in one run.

    .venv/bin/python bench/markup_check.py [--corpus ../shared/realpages] [--repeats 3]

Pages: the real pages of the corpus (see bench/realpages.py) when it is
there, else 200 pages dressed by bench/pageweight.py. Prints the medians,
the 90th percentiles and the mean, and the check's share of extraction;
also how many pages were refused (none should be) and how many needed the
tag-by-tag walk.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.ingest import markup  # noqa: E402
from crawler.ingest.decode import decode_html  # noqa: E402
from crawler.ingest.extract import extract  # noqa: E402
from crawler.ingest.records import Page, Rejected  # noqa: E402
from storage.utc import utc_now  # noqa: E402


def _pages(corpus: Path) -> tuple[str, list[bytes]]:
    folder = corpus / "pages"
    if folder.is_dir():
        return f"{corpus} (real pages)", [p.read_bytes() for p in sorted(folder.iterdir())]
    import random

    sys.path.insert(0, str(REPO / "bench"))
    from pageweight import dress  # only when the corpus is absent
    from tests.sampleweb.articles import ARTICLES
    from tests.sampleweb.templates import TEMPLATES, render_article_page

    pages = []
    for n in range(200):
        article = ARTICLES[n % len(ARTICLES)]
        html = render_article_page(TEMPLATES[n % len(TEMPLATES)], title=article.title,
                                   paragraphs=article.paragraphs, site_name="Bench", url=f"http://b.example/{n}")
        pages.append(dress(html, random.Random(n)).encode("utf-8"))
    return "bench/pageweight.py pages (corpus not found)", pages


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "realpages")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    where, bodies = _pages(args.corpus)
    checks, extracts, refused, walked = [], [], 0, 0
    for n, body in enumerate(bodies):
        html = decode_html(body, {"content-type": "text/html"})
        try:
            markup.check_markup(html)
        except Rejected:
            refused += 1
        tags = markup._TAG.findall(html)
        limits = markup.MarkupLimits()
        walked += (len(tags) - tags.count("/") > limits.max_elements
                   or markup._depth_bound(tags) > limits.max_depth)
        checks.append(_best(lambda: _quietly(markup.check_markup, html), args.repeats))
        page = Page(url=f"http://bench.example/{n}", status=200, headers={"content-type": "text/html"},
                    body=body, fetched_at=utc_now(), final_url=f"http://bench.example/{n}")
        extracts.append(_best(lambda: _quietly(extract, page), args.repeats))

    def row(name: str, xs: list[float]) -> str:
        q90 = sorted(xs)[int(len(xs) * 0.9)]
        return (f"{name:<22} median {statistics.median(xs) * 1e3:8.3f} ms   p90 {q90 * 1e3:8.3f} ms   "
                f"mean {statistics.fmean(xs) * 1e3:8.3f} ms")

    print(f"{len(bodies)} pages from {where}; best of {args.repeats} per page")
    print(row("check_markup", checks))
    print(row("extract (check incl.)", extracts))
    print(f"check / extract: median {statistics.median(checks) / statistics.median(extracts):.1%}, "
          f"mean {statistics.fmean(checks) / statistics.fmean(extracts):.1%}")
    print(f"refused {refused} page(s); {walked} page(s) needed the tag-by-tag walk")
    return 0


def _quietly(fn, *args) -> None:
    try:
        fn(*args)
    except Rejected:
        pass


if __name__ == "__main__":
    sys.exit(main())
