"""Which trafilatura options extraction should use: F1 against known text and
pages/s, per setting, in one run.

    .venv/bin/python bench/extract_options.py [--repeats 5] [--seeds ../shared/seeds]

Pages: every sample article of tests/sampleweb/articles.py rendered in every
template of tests/sampleweb/templates.py (half of them with two more posts
below, as infinite scroll adds them, and an attribution line), plus, when the
seeds folder is there, each seed page's first article in every template and
the seed pages themselves (semantic and flat). The known text of a page is its
first article's paragraphs.

F1 is over word tokens (characters for CJK and Thai) of the extracted text
against the known text, averaged over pages. Speed is pages/s through
`crawler.ingest.extract.extract` (decode, metadata, cleaning, trafilatura) in CPU
time of this process, median of the repeats; the settings take turns page by
page, and speed× is the median of the per-repeat ratios to the baseline. Each trafilatura option set runs twice: with our page and line
cleaning (what extraction does) and without it ("no cleaning": how the option
fares on furniture our cleaning would miss). The baseline is trafilatura's
default (balanced) options with our cleaning; "trafilatura alone" is plain
bare_extraction with its defaults (incl. dateparser's extensive date search),
for scale. Ratios are against the baseline.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from crawler.ingest.extract import ExtractConfig, extract  # noqa: E402
from crawler.ingest.records import Page, Rejected  # noqa: E402
from tests.sampleweb.articles import ARTICLES  # noqa: E402
from tests.sampleweb.seeds import load_seeds, render_seed  # noqa: E402
from tests.sampleweb.templates import TEMPLATES, render_article_page  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ATTRIBUTIONS = (None, "Via Coastline Wire", "(AFP) —", "Read more at Northline News",
                "Originally published at The Valley Courier", "© AFP 2024")
BASE = ExtractConfig(favor_precision=False, favor_recall=False, fast=False, deduplicate=False)
OPTIONS = {
    "balanced": {},
    "favor_precision": {"favor_precision": True},
    "favor_recall": {"favor_recall": True},
    "fast": {"fast": True},
    "fast + favor_precision": {"fast": True, "favor_precision": True},
    "fast + favor_recall": {"fast": True, "favor_recall": True},
    "deduplicate": {"deduplicate": True},
    "fast + deduplicate": {"fast": True, "deduplicate": True},
}
# Each option with our page and line cleaning (what extract() runs), then
# without it: how trafilatura's options behave where our cleaning misses.
SETTINGS = {f"{name}": replace(BASE, **opts) for name, opts in OPTIONS.items()}
SETTINGS.update({f"{name}, no cleaning": replace(BASE, clean_boilerplate=False, **opts)
                 for name, opts in OPTIONS.items()})
BASELINE = "balanced"
_TOKEN = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W\d_]+|\d+")


@dataclass
class TestPage:
    name: str
    page: Page
    truth: str


def tokens(text: str) -> Counter:
    return Counter(_TOKEN.findall(text.casefold()))


def f1(extracted: str, truth: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of extracted word tokens against the truth, as multisets."""
    got, want = tokens(extracted), tokens(truth)
    common = sum((got & want).values())
    if not got or not want or not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(got.values()), common / sum(want.values())
    return p, r, 2 * p * r / (p + r)


def _page(url: str, html: str) -> Page:
    return Page(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                body=html.encode("utf-8"), fetched_at=datetime(2024, 3, 5, tzinfo=timezone.utc))


def build_pages(seeds: Path | None, seed: int = 5) -> list[TestPage]:
    rng = random.Random(seed)
    articles = [(a.title, list(a.paragraphs), a.lang) for a in ARTICLES]
    seed_pages = load_seeds(seeds) if seeds is not None else []
    articles += [(s.articles[0].title, s.articles[0].body, "en") for s in seed_pages]
    pages = []
    for i, (title, paragraphs, lang) in enumerate(articles):
        for j, template in enumerate(TEMPLATES):
            others = [a for a in articles if a[0] != title and a[2] == lang]
            more = [(t, p) for t, p, _ in rng.sample(others, 2)] if (i + j) % 2 and len(others) >= 2 else []
            url = f"https://site{j}.example/news/{i}.html"
            html = render_article_page(template, title=title, paragraphs=paragraphs, site_name=f"Site {j}",
                                       url=url, author="Staff Writer", published="2024-03-04T08:00:00+00:00",
                                       lang=lang, tags=("news",), attribution=rng.choice(ATTRIBUTIONS),
                                       more_articles=more)
            pages.append(TestPage(f"{template}/{i}", _page(url, html), "\n".join(paragraphs)))
    for s in seed_pages:
        for flat in (False, True):
            pages.append(TestPage(f"seed{s.name}/{'flat' if flat else 'html'}",
                                  _page(s.url, render_seed(s, flat=flat)), "\n".join(s.articles[0].body)))
    return pages


def extract_one(tp: TestPage, config: ExtractConfig | None) -> tuple[tuple[float, float, float], float]:
    """Score of one page and the CPU seconds its extraction took. CPU time of
    this process, not wall time, so other work on the machine counts less.
    `config` None is trafilatura alone."""
    start = time.process_time()
    if config is None:
        doc = trafilatura.bare_extraction(tp.page.body.decode("utf-8"), url=tp.page.url,
                                          include_comments=False, with_metadata=True)
        text = doc.text if doc is not None else ""
    else:
        try:
            text = extract(tp.page, config).text
        except Rejected:
            text = ""
    seconds = time.process_time() - start
    return f1(text, tp.truth), seconds


def measure(pages: list[TestPage], rows: dict, repeats: int) -> dict[str, tuple[list, float, float]]:
    """Per setting: page scores, median pages/s, and the median over repeats
    of its speed relative to the baseline in the same repeat. The settings
    take turns page by page (in a rotating order), so a load that comes and
    goes on the machine falls on all of them alike."""
    names = list(rows)
    for name in names:  # warm caches and imports
        for tp in pages[:5]:
            extract_one(tp, rows[name])
    speeds: dict[str, list[float]] = {name: [] for name in names}
    ratios: dict[str, list[float]] = {name: [] for name in names}
    scores: dict[str, list] = {}
    for _ in range(repeats):
        seconds = dict.fromkeys(names, 0.0)
        scores = {name: [] for name in names}
        for i, tp in enumerate(pages):
            for name in names[i % len(names):] + names[:i % len(names)]:
                score, took = extract_one(tp, rows[name])
                scores[name].append(score)
                seconds[name] += took
        for name in names:
            speeds[name].append(len(pages) / seconds[name])
            ratios[name].append(seconds[BASELINE] / seconds[name])
    return {name: (scores[name], statistics.median(speeds[name]), statistics.median(ratios[name]))
            for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    args = parser.parse_args()
    pages = build_pages(args.seeds if args.seeds.is_dir() else None)
    print(f"{len(pages)} pages, {args.repeats} repeats, medians; pages/s in CPU time\n")
    rows = {"trafilatura alone (defaults)": None, **SETTINGS}
    results = measure(pages, rows, args.repeats)
    base_f1 = statistics.mean(s[2] for s in results[BASELINE][0])
    print(f"baseline: {BASELINE!r} (trafilatura defaults, our cleaning on); ΔF1 and speed× against it\n")
    print(f"{'setting':36} {'precision':>9} {'recall':>7} {'F1':>7} {'ΔF1':>7} {'pages/s':>8} {'speed×':>7}")
    for name, (scores, speed, ratio) in results.items():
        p, r, f = (statistics.mean(s[k] for s in scores) for k in range(3))
        chosen = "  <- ExtractConfig()" if rows[name] == ExtractConfig() else ""
        print(f"{name:36} {p:9.4f} {r:7.4f} {f:7.4f} {f - base_f1:+7.4f} {speed:8.1f} {ratio:7.2f}{chosen}")


if __name__ == "__main__":
    main()
