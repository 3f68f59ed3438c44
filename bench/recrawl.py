"""Recrawl cost: the first crawl of a web against crawls of the same,
unchanged web afterwards, in the same run and the same store.

    .venv/bin/python bench/recrawl.py                          # 40 hosts x 75 pages, crawled together
    .venv/bin/python bench/recrawl.py --hosts 1 --pages 2000   # one host

The web is bench/crawl.py's (articles listed in a sitemap per host, served
with ETag and Last-Modified, 304 to a matching If-None-Match; by default 40
hosts, one source each, crawled together in one crawl), with one page in 20
a notice of one line, rejected as too short. After the first crawl:

- "within the interval": the next crawl with the default recrawl interval
  (24 h): the sitemaps are re-read, articles stored or rejected are not
  requested at all;
- "interval elapsed": recrawl_interval_hours = 0, every article is requested
  with its validators and answered 304 (a rejected one is rejected again).

Prints each crawl's wall time and its ratio to the first, its number of
extractions (target 0) and the article pages the server sent in full
(target 0, rejected pages included). The wall-time target (<= 10 % of the
first) is the next crawl's, within the interval; once the interval has
elapsed every article is asked for again, and the crawl costs what Scrapy
spends on a request and its 304 (about 2 ms of the crawl process's CPU
each, measured: 3,000 requests take 6-8 s, 20 % of the first crawl).
Medians over the repeats; each repeat starts from an empty store.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawl import BenchWeb, timed_crawl  # noqa: E402  (bench/crawl.py)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=40)
    ap.add_argument("--pages", type=int, default=None, help="pages per host (default 75, or 2000 for one host)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pages = args.pages or (2000 if args.hosts == 1 else 75)
    runs: dict[str, list[float]] = {"first": [], "within the interval": [], "interval elapsed": []}
    extracted: dict[str, list[int]] = {name: [] for name in runs}
    full: dict[str, list[int]] = {name: [] for name in runs}
    with BenchWeb(pages, args.hosts, short_every=20) as web, tempfile.TemporaryDirectory() as tmp:
        overrides = {"CONCURRENT_REQUESTS": 32} if args.hosts == 1 else {}
        for repeat in range(args.repeats):
            data_dir = Path(tmp) / f"store{repeat}"
            plan = [("first", web.sources()), ("within the interval", web.sources()),
                    ("interval elapsed", web.sources(recrawl_interval_hours=0))]
            for name, sources in plan:
                before = web.served()["full"]
                seconds, stats = timed_crawl(sources, data_dir, **overrides)
                runs[name].append(seconds)
                extracted[name].append(stats.extracted)
                full[name].append(web.served()["full"] - before)
                print(f"  repeat {repeat + 1}, {name}: {seconds:.2f} s, fetched {stats.fetched}, stored "
                      f"{stats.stored}, not modified {stats.not_modified}, skipped (recent) "
                      f"{stats.skipped_recent}, skipped (rejected) {stats.skipped_rejected}, skipped (gone) "
                      f"{stats.skipped_gone}, rejected "
                      f"{sum(stats.rejected.values())}, extracted {stats.extracted}, article bodies sent in full "
                      f"{full[name][-1]}", flush=True)
    first = statistics.median(runs["first"])
    print(f"web: {args.hosts} host(s) x {pages} article pages, unchanged between crawls")
    print(f"first crawl                      : {first:6.2f} s  (median of {args.repeats}), "
          f"extractions {statistics.median(extracted['first']):.0f}, "
          f"article bodies in full {statistics.median(full['first']):.0f}")
    for name in ("within the interval", "interval elapsed"):
        t = statistics.median(runs[name])
        target = " (target <= 10 %)" if name == "within the interval" else " (every article asked again)"
        print(f"second crawl, {name:<19}: {t:6.2f} s = {100 * t / first:5.1f} % of the first"
              f"{target}, extractions {max(extracted[name])} (target 0), "
              f"article bodies in full {max(full[name])} (target 0)")


if __name__ == "__main__":
    main()
