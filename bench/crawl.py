"""Crawl throughput: a whole crawl (download, extract in a process pool,
dedup, store, archive) against bare single-process `trafilatura.extract` over
the same pages, measured in the same run.

    .venv/bin/python bench/crawl.py [--pages 2000] [--repeats 3] [--sample 300]
    .venv/bin/python bench/crawl.py --hosts 40 --pages 75      # many hosts: 40 x 75 pages
    .venv/bin/python bench/crawl.py --hosts 40 --realpages     # 40 hosts serving the real pages' corpus

The web is generated and served on 127.0.0.1 by an aiohttp server in its own
process, from pages rendered in advance, so the server is never the limit.
Each page is one of our article templates around its own text (words of our
sample articles in a new order, so no two pages are copies), dressed with the
weight and furniture of a real news article page (bench/pageweight.py:
inline CSS and scripts, mega-menu, story cards, footer; median ~120 KB).
Articles are listed in a sitemap per host (links are not followed).
With `--realpages`, the hosts serve the real pages of the extraction corpus
(`../shared/realpages`, as `bench/realpages.py` reads it) instead, each as
its site sent it (its own charset; a few are not articles and are
rejected), 24 a host for 40 hosts: pages nobody here wrote, of every weight.

One host (the default): one source, 16 requests in flight to it. Many hosts
(`--hosts N`, `--pages` per host): one port per host, one source per host,
all crawled together in one crawl (one engine, one extraction pool), 4
requests in flight per host, no delay.

Prints pages/s of the crawl, bare-extract pages/s on one core, and the ratio
crawl / bare-per-core (target on 2 cores: >= 1.7, both modes); bare extract
on every core at once (one process a core, same pages), which says how much
the machine's cores give to extraction alone, and crawl / that; then where the crawl's CPU
went: milliseconds a page in the crawl process (Scrapy, the pipeline) and in
the extraction processes (same-body check, extraction, commit), and the
ceiling those imply: the cores' CPU over the CPU a page costs in all, the
most pages/s any scheduling of this work could reach; and the CPU this bench's
own web server takes a page on the same cores, with the ceiling left once it
is counted. Also the whole ingest path
(`prepare` + `commit`) on one core without any crawl, and crawl / that: the
share of the cores the crawl turns into ingest work, whatever ingest costs.
Medians over the repeats; each crawl goes into a fresh store.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.crawl.settings import available_cores  # noqa: E402
from crawler.crawl.sources import Politeness, Source  # noqa: E402
from pageweight import dress  # noqa: E402
from tests.sampleweb.articles import ARTICLES  # noqa: E402
from tests.sampleweb.templates import TEMPLATES, render_article_page  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "realpages"
WORDS = sorted({w for a in ARTICLES if a.lang == "en" for p in a.paragraphs for w in re.findall(r"[A-Za-z']+", p)})
LAST_MODIFIED = "Wed, 01 May 2024 08:00:00 GMT"
# Crawl settings for a local server: no politeness delay.
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(10, 24))).capitalize() + "."


def article_page(i: int, base: str, short_every: int = 0) -> bytes:
    """Page number i of the bench web (deterministic), served at `base`;
    with `short_every`, every such page is a notice of one line (rejected
    as too short), as news sites have."""
    rng = random.Random(i)
    if short_every and i % short_every == short_every - 1:
        title = _sentence(rng)[:60]
        return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                f"<p>{_sentence(rng)}</p></article></body></html>").encode("utf-8")
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(3, 5))) for _ in range(rng.randint(8, 12))]
    html = render_article_page(TEMPLATES[i % len(TEMPLATES)], title=_sentence(rng)[:80], paragraphs=paragraphs,
                               site_name="Bench Wire", url=f"{base}/a/{i}.html", author="Staff Reporter",
                               published="2024-05-01")
    return dress(html, rng).encode("utf-8")


def real_pages(corpus: Path) -> list[bytes]:
    """The raw bytes of the corpus's real pages (`bench/realpages.py`'s
    corpus), in its fixed order."""
    import json

    data = json.loads((corpus / "evaldata.json").read_text(encoding="utf-8"))
    return [(corpus / "pages" / item["file"]).read_bytes() for _url, item in sorted(data.items())]


def page_body(i: int, base: str, short_every: int = 0, real: list[bytes] | None = None) -> bytes:
    """Page number i of the bench web: real page i of the corpus when `real`
    is given, else a generated one (`article_page`)."""
    return real[i] if real is not None else article_page(i, base, short_every)


def sitemap(numbers: range, base: str) -> bytes:
    urls = "".join(f"<url><loc>{base}/a/{i}.html</loc></url>" for i in numbers)
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>").encode()


def _serve(hosts: int, pages: int, short_every: int, port_pipe, corpus: Path | None = None) -> None:
    """The server process: `hosts` ports, each a host with `pages` pages of
    its own; every page rendered once, then answered from memory, with an
    ETag and 304s for conditional requests. GET /_served on any port
    answers how many article pages went out in full and as 304s, and the
    CPU seconds the server has used (it runs on the crawl's cores)."""
    import asyncio
    import json
    import socket

    from aiohttp import web

    real = real_pages(corpus) if corpus is not None else None
    socks, sites = [], {}
    for h in range(hosts):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        numbers = range(h * pages, (h + 1) * pages)
        site = {f"/a/{i}.html": page_body(i, base, short_every, real) for i in numbers}
        site["/sitemap.xml"] = sitemap(numbers, base)
        socks.append(sock)
        sites[port] = (site, {path: '"' + hashlib.sha1(body).hexdigest()[:16] + '"' for path, body in site.items()})
    served = {"full": 0, "not_modified": 0}

    async def handle(request: web.Request) -> web.Response:
        if request.path == "/_served":
            return web.Response(text=json.dumps({**served, "cpu_s": time.process_time()}),
                                content_type="application/json")
        pages_of, etags = sites[request.transport.get_extra_info("sockname")[1]]
        body = pages_of.get(request.path)
        if body is None:
            return web.Response(status=404, text="not here")
        etag = etags[request.path]
        article = request.path.startswith("/a/")
        if request.headers.get("If-None-Match") == etag:
            served["not_modified"] += article
            return web.Response(status=304, headers={"ETag": etag})
        served["full"] += article
        kind = "application/xml" if request.path.endswith(".xml") else "text/html"
        # A real page in the charset its site declared: its bytes say which, as they did there.
        return web.Response(body=body, content_type=kind, charset=None if real is not None else "utf-8",
                            headers={"ETag": etag, "Last-Modified": LAST_MODIFIED})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for sock in socks:
            await web.SockSite(runner, sock, backlog=512).start()
        port_pipe.send([f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in socks])
        await asyncio.Event().wait()

    asyncio.run(main())


class BenchWeb:
    """The generated web, served by its own process while the `with` lasts:
    `hosts` hosts (one port each) of `pages` article pages each (every
    `short_every`-th a short notice, when given)."""

    def __init__(self, pages: int, hosts: int = 1, short_every: int = 0, corpus: Path | None = None):
        self.pages, self.hosts, self.short_every, self.corpus = pages, hosts, short_every, corpus

    def __enter__(self) -> "BenchWeb":
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_serve, args=(self.hosts, self.pages, self.short_every, send, self.corpus),
                                   daemon=True)
        self.process.start()
        self.bases = receive.recv()
        self.base = self.bases[0]
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.join()

    def page_url(self, i: int) -> str:
        return f"{self.bases[i // self.pages]}/a/{i}.html"

    def sources(self, **politeness) -> list[Source]:
        """One source a host: our own server, so many requests in flight
        (16 to the only host, 4 to each of many)."""
        per_host = 16 if self.hosts == 1 else 4
        return [Source(name="bench" if self.hosts == 1 else f"bench{h}", sitemaps=(f"{base}/sitemap.xml",),
                       allowed_domains=("127.0.0.1",), follow_links=False, robots_sitemaps=False, discover=False,
                       politeness=Politeness(**{"concurrency_per_host": per_host, "obey_robots": False,
                                                "autothrottle": False, "download_delay": 0, **politeness}))
                for h, base in enumerate(self.bases)]

    def served(self) -> dict[str, float]:
        """Article pages the server sent so far: in full (`full`), and as
        304s (`not_modified`); and the server's CPU seconds so far (`cpu_s`)."""
        import json
        import urllib.request

        with urllib.request.urlopen(f"{self.base}/_served", timeout=10) as answer:
            return json.loads(answer.read())


def bare_extract_rate(pages: list[tuple[str, bytes]]) -> float:
    """Pages per second of plain `trafilatura.extract`, one process, one core
    (after a few pages off the clock: its imports and first calls)."""
    import trafilatura

    for url, body in pages[:5]:
        trafilatura.extract(body, url=url, include_comments=False)
    start = time.perf_counter()
    for url, body in pages:
        trafilatura.extract(body, url=url, include_comments=False)
    return len(pages) / (time.perf_counter() - start)


def _bare_in_process(pages: list[tuple[str, bytes]], barrier, results) -> None:
    bare_extract_rate(pages[:5])  # imports and first calls, before the clock
    barrier.wait()
    start = time.perf_counter()
    bare_extract_rate(pages)
    results.put((start, time.perf_counter()))


def bare_extract_rate_every_core(pages: list[tuple[str, bytes]], processes: int) -> float:
    """Pages per second of plain `trafilatura.extract` in `processes`
    processes at once, each over all of `pages`: what the machine's cores
    give to extraction alone, the ceiling of any crawl that extracts."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_bare_in_process, args=(pages, barrier, results)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    spans = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join()
    return processes * len(pages) / (max(e for _s, e in spans) - min(s for s, _e in spans))


def ingest_rate(pages: list[tuple[str, bytes]], data_dir: Path, content_type: str) -> float:
    """Pages per second of the whole ingest path (`prepare` then `commit`,
    into a fresh store) in one process: what one core does without the crawl."""
    from datetime import datetime, timezone

    from crawler.ingest.ingest import commit, prepare
    from crawler.ingest.records import Page
    from storage.archive import Archive
    from storage.store import Store

    now = datetime.now(timezone.utc)
    for url, body in pages[:5]:  # imports and first calls, off the clock
        prepare(Page(url=url, status=200, headers={"content-type": content_type}, body=body, fetched_at=now))
    with Store(None, data_dir) as store:
        archive = Archive(data_dir / "archive")
        start = time.perf_counter()
        for url, body in pages:
            page = Page(url=url, status=200, headers={"content-type": content_type}, body=body,
                        fetched_at=now)
            commit(prepare(page), store, archive=archive)
        return len(pages) / (time.perf_counter() - start)


def timed_crawl(sources: list[Source], data_dir: Path, **overrides):
    """Crawl `sources` together; (seconds, merged CrawlStats of them all)."""
    from crawler.crawl.run import crawl_sources

    start = time.perf_counter()
    result = crawl_sources(sources, database_url=None, data_dir=data_dir, settings_overrides={**FAST, **overrides})
    seconds = time.perf_counter() - start
    if result.failure:
        raise RuntimeError(result.failure)
    return seconds, merged(result.stats)


def merged(stats: list):
    """The counts of several sources' CrawlStats added up, as one CrawlStats
    (CPU is per crawl already)."""
    from collections import Counter

    from crawler.crawl.stats import CrawlStats

    total = CrawlStats(source="+".join(s.source for s in stats[:3]) + ("..." if len(stats) > 3 else ""))
    for field in ("fetched", "stored", "copies", "unchanged", "not_modified", "skipped_recent", "skipped_rejected",
                  "skipped_gone", "skipped_old", "extracted"):
        setattr(total, field, sum(getattr(s, field) for s in stats))
    total.rejected = dict(sum((Counter(s.rejected) for s in stats), Counter()))
    total.failed = dict(sum((Counter(s.failed) for s in stats), Counter()))
    total.cpu_crawl_s, total.cpu_extract_s = stats[0].cpu_crawl_s, stats[0].cpu_extract_s
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=None, help="pages per host (default 2000, or 75 with --hosts)")
    ap.add_argument("--hosts", type=int, default=1, help="hosts (one source each), crawled together")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sample", type=int, default=300, help="pages extracted bare per repeat")
    ap.add_argument("--realpages", type=Path, nargs="?", const=DEFAULT_CORPUS, default=None, metavar="CORPUS",
                    help="serve the real pages of the corpus (default ../shared/realpages) instead of "
                         "generated ones, spread over the hosts")
    args = ap.parse_args()
    real = None
    if args.realpages is not None:
        if not (args.realpages / "evaldata.json").is_file():
            sys.exit(f"no corpus of real pages at {args.realpages} (evaldata.json and pages/ expected)")
        real = real_pages(args.realpages)
    pages = args.pages or (len(real) // args.hosts if real else 2000 if args.hosts == 1 else 75)
    total = pages * args.hosts
    if real is not None and total > len(real):
        sys.exit(f"{args.hosts} hosts x {pages} pages is more than the corpus's {len(real)} pages")
    # One host: as many in flight as the engine used before; many: each host's own 4.
    overrides = {"CONCURRENT_REQUESTS": 32} if args.hosts == 1 else {}
    crawl_rates, bare_rates, every_core_rates, ingest_rates, cpu_crawl, cpu_extract = [], [], [], [], [], []
    cpu_server = []
    with BenchWeb(pages, args.hosts, corpus=args.realpages) as web, tempfile.TemporaryDirectory() as tmp:
        # A random sample: every k-th page would be one template only.
        picked = sorted(random.Random(0).sample(range(total), min(args.sample, total)))
        sample = [(web.page_url(i), page_body(i, web.page_url(i).rsplit("/a/", 1)[0], real=real)) for i in picked]
        content_type = "text/html" if real is not None else "text/html; charset=utf-8"
        size = statistics.mean(len(body) for _, body in sample)
        for repeat in range(args.repeats):  # interleaved, so drift hits all alike
            bare_rates.append(bare_extract_rate(sample))
            every_core_rates.append(bare_extract_rate_every_core(sample, available_cores()))
            ingest_rates.append(ingest_rate(sample, Path(tmp) / f"ingest{repeat}", content_type))
            server_before = web.served()["cpu_s"]
            seconds, stats = timed_crawl(web.sources(), Path(tmp) / f"crawl{repeat}", **overrides)
            cpu_server.append((web.served()["cpu_s"] - server_before) / stats.fetched * 1000)
            crawl_rates.append(stats.fetched / seconds)
            cpu_crawl.append(stats.cpu_crawl_s / stats.fetched * 1000)
            cpu_extract.append(stats.cpu_extract_s / stats.fetched * 1000)
            print(f"  repeat {repeat + 1}: crawl {stats.fetched} pages in {seconds:.1f} s "
                  f"(stored {stats.stored}, copies {stats.copies}, rejected {stats.rejected}, "
                  f"failed {stats.failed}); bare {bare_rates[-1]:.1f} pages/s, "
                  f"{every_core_rates[-1]:.1f} on every core; "
                  f"ingest {ingest_rates[-1]:.1f} pages/s", flush=True)
    crawl, bare, every_core, ingest = (statistics.median(r)
                                       for r in (crawl_rates, bare_rates, every_core_rates, ingest_rates))
    print(f"web: {args.hosts} host(s) x {pages} {'real' if real else 'article'} pages, "
          f"{size / 1024:.0f} kB each on average; "
          f"{available_cores()} cores")
    print(f"crawl (whole ingest, every core)    : {crawl:7.1f} pages/s  (median of {args.repeats})")
    print(f"bare trafilatura.extract, 1 core    : {bare:7.1f} pages/s")
    print(f"bare trafilatura.extract, every core: {every_core:7.1f} pages/s  "
          f"(x{every_core / bare:.2f} of one core: what the cores give to extraction alone)")
    print(f"whole ingest path, 1 core, no crawl : {ingest:7.1f} pages/s")
    print(f"ratio crawl / bare-per-core         : {crawl / bare:7.2f}  (target on 2 cores: >= 1.7)")
    print(f"ratio crawl / bare-on-every-core    : {crawl / every_core:7.2f}  (the crawl's share of the "
          "machine's ceiling for extraction alone)")
    print(f"ratio crawl / ingest-per-core       : {crawl / ingest:7.2f}  (how much of the cores the crawl "
          f"turns into ingest; {available_cores()} would be perfect)")
    print(f"CPU a page: crawl process {statistics.median(cpu_crawl):.2f} ms, extraction processes "
          f"{statistics.median(cpu_extract):.2f} ms; bare extract {1000 / bare:.2f} ms, whole ingest "
          f"{1000 / ingest:.2f} ms on one core")
    # Every core busy with this crawl's own work and nothing else: its pages/s
    # can be no more than the cores' CPU over the CPU a page costs in all.
    cpu_page = statistics.median(c + e for c, e in zip(cpu_crawl, cpu_extract))
    ceiling = available_cores() * 1000 / cpu_page
    print(f"ceiling from CPU a page             : {ceiling:7.1f} pages/s = ratio {ceiling / bare:.2f} "
          f"({available_cores()} cores x 1000 / {cpu_page:.2f} ms a page in all); the crawl reached "
          f"{crawl / ceiling:.0%} of it")
    # The bench's own web server runs on the same cores: what it takes is not the crawl's.
    server = statistics.median(cpu_server)
    with_server = available_cores() * 1000 / (cpu_page + server)
    print(f"the bench's web server, same cores  : {server:.2f} ms a page; ceiling with it "
          f"{with_server:.1f} pages/s = ratio {with_server / bare:.2f}; the crawl reached {crawl / with_server:.0%} of it")


if __name__ == "__main__":
    main()
