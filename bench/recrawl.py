"""Recrawl cost: the first crawl of a site against crawls of the same,
unchanged site afterwards, in the same run and the same store.

    .venv/bin/python bench/recrawl.py [--pages 2000] [--repeats 3]

The site is bench/crawl.py's (articles listed in a sitemap, served with ETag
and Last-Modified, 304 to a matching If-None-Match). After the first crawl:

- "within the interval": the next crawl with the default recrawl interval
  (24 h): the sitemap is re-read, stored articles are not requested at all;
- "interval elapsed": recrawl_interval_hours = 0, every article is requested
  with its validators and answered 304.

Prints each crawl's wall time, its ratio to the first (target <= 10 %) and its
number of extractions (target 0). Medians over the repeats; each repeat
starts from an empty store.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawl import BenchSite, timed_crawl  # noqa: E402  (bench/crawl.py)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[float]] = {"first": [], "within the interval": [], "interval elapsed": []}
    extracted: dict[str, list[int]] = {name: [] for name in runs}
    with BenchSite(args.pages) as site, tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            data_dir = Path(tmp) / f"store{repeat}"
            plan = [("first", site.source()), ("within the interval", site.source()),
                    ("interval elapsed", site.source(recrawl_interval_hours=0))]
            for name, source in plan:
                seconds, stats = timed_crawl(source, data_dir)
                runs[name].append(seconds)
                extracted[name].append(stats.extracted)
                print(f"  repeat {repeat + 1}, {name}: {seconds:.2f} s, fetched {stats.fetched}, stored "
                      f"{stats.stored}, not modified {stats.not_modified}, skipped (recent) "
                      f"{stats.skipped_recent}, extracted {stats.extracted}", flush=True)
    first = statistics.median(runs["first"])
    print(f"site: {args.pages} article pages, unchanged between crawls")
    print(f"first crawl                      : {first:6.2f} s  (median of {args.repeats}), "
          f"extractions {statistics.median(extracted['first']):.0f}")
    for name in ("within the interval", "interval elapsed"):
        t = statistics.median(runs[name])
        print(f"second crawl, {name:<19}: {t:6.2f} s = {100 * t / first:5.1f} % of the first "
              f"(target <= 10 %), extractions {max(extracted[name])} (target 0)")


if __name__ == "__main__":
    main()
