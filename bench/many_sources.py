"""Many sources, one crawl: how close to the slowest host's own pace a crawl
of N sites gets, and how much memory one crawl of many sources takes.

    .venv/bin/python bench/many_sources.py                           # N = 50, memory at 10, 100, 500
    .venv/bin/python bench/many_sources.py --sites 50 --delay 0.5 --repeats 3 --memory 10,100,500

The web: N sites served on 127.0.0.1 by one aiohttp process, one port each,
so each is a host of its own. Site h has a home page linking 10 + h % 21
article pages (light pages of our templates, about 5 KB, each its own
text); one source per site (its home page, links followed, no robots.txt,
no sitemap guessing), one request at a time to each host, `--delay` seconds
between two requests to a host, no AutoThrottle.

Pace: the slowest host's floor is its request count (as the server counted
them: its home page and up to 30 articles) x the delay, one after the
other, the delay apart: no crawl of that host alone can take less. Prints the crawl's wall time / that floor
(target <= 1.3 for N = 50), twice: from the moment the crawl process starts
crawling until the last source is done, and for the whole call (process
start, history, run records included). Medians over the repeats, each into
a fresh store.

Memory: for each N of `--memory`, a crawl of N sites of 5 pages each (no
delay), sampled every 0.1 s: the peak resident memory of the crawl process,
and of the crawl process with its extraction processes (RSS, which counts
the pages they share since the fork once in each; and PSS, which shares
them out). The fork server (the preloaded imports every crawl process is
forked from) and the web server are not counted. Target: 500 sources within
1 GB.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawl import _sentence  # noqa: E402  (bench/crawl.py)
from crawler.crawl.settings import available_cores  # noqa: E402
from crawler.crawl.sources import Politeness, Source  # noqa: E402

MAX_EXTRA = 21  # site h has 10 + h % MAX_EXTRA articles


def articles_of(h: int, fixed: int | None) -> int:
    return fixed if fixed is not None else 10 + h % MAX_EXTRA


def light_page(i: int) -> bytes:
    """Article page i: its own text in a bare page that links nowhere (so a
    host's requests are its home page and its articles, nothing else)."""
    rng = random.Random(i)
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(3, 5))) for _ in range(rng.randint(5, 8))]
    title = _sentence(rng)[:80]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}"
            f"</article></body></html>").encode("utf-8")


def _serve(sites: int, fixed: int | None, pipe) -> None:
    """The web server process: one port per site, pages rendered once."""
    import asyncio
    import socket
    import time

    from aiohttp import web

    socks, pages = [], {}
    for h in range(sites):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        numbers = [1000 * h + k for k in range(articles_of(h, fixed))]
        links = "".join(f'<li><a href="/a/{i}.html">Story {i}</a></li>' for i in numbers)
        site = {f"/a/{i}.html": light_page(i) for i in numbers}
        site["/"] = f"<html><head><title>Site {h}</title></head><body><ul>{links}</ul></body></html>".encode()
        socks.append(sock)
        pages[port] = site

    asked: dict[int, int] = {}
    times: list[float] = []  # when each request came, for the span of the downloads

    async def handle(request: web.Request) -> web.Response:
        port = request.transport.get_extra_info("sockname")[1]
        if request.path == "/_asked":  # requests each host answered, and when the first and the last came
            span = [min(times), max(times)] if times else [0.0, 0.0]
            times.clear()
            return web.json_response({"hosts": {str(p): n for p, n in asked.items()}, "span": span})
        asked[port] = asked.get(port, 0) + 1
        times.append(time.time())
        body = pages[port].get(request.path)
        if body is None:
            return web.Response(status=404, text="not here")
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for sock in socks:
            await web.SockSite(runner, sock, backlog=128).start()
        pipe.send([f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in socks])
        await asyncio.Event().wait()

    asyncio.run(main())


class Web:
    """N sites, served by their own process while the `with` lasts."""

    def __init__(self, sites: int, fixed: int | None = None):
        self.sites, self.fixed = sites, fixed

    def __enter__(self) -> "Web":
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_serve, args=(self.sites, self.fixed, send), daemon=True)
        self.process.start()
        self.bases = receive.recv()
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.join()

    def asked(self) -> tuple[dict[str, int], float]:
        """Requests each host (its base URL) answered so far, and the
        seconds from the first request to the last since the previous call."""
        import json
        import urllib.request

        with urllib.request.urlopen(f"{self.bases[0]}/_asked", timeout=10) as answer:
            got = json.loads(answer.read())
        counts = {base: got["hosts"].get(base.rsplit(":", 1)[1], 0) for base in self.bases}
        return counts, got["span"][1] - got["span"][0]

    def sources(self, delay: float) -> list[Source]:
        return [Source(name=f"site{h}", start_urls=(f"{base}/",), allowed_domains=("127.0.0.1",),
                       robots_sitemaps=False, discover=False,
                       politeness=Politeness(download_delay=delay, concurrency_per_host=1 if delay else 2,
                                             autothrottle=False, obey_robots=False))
                for h, base in enumerate(self.bases)]


# -- memory of a process tree, from /proc ----------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _kb(pid: int, path: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _is_fork_server(pid: int) -> bool:
    try:
        return b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class Sampler:
    """Peak memory of the crawl processes under this one, every 0.1 s: the
    crawl process (a child of the fork server) and its extraction processes."""

    def __init__(self, exclude: int):
        self.exclude = exclude
        self.peak = {"crawl_rss": 0, "tree_rss": 0, "tree_pss": 0, "fork_server_rss": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            tree = _children()
            servers = [p for p in tree.get(os.getpid(), []) if _is_fork_server(p)]
            for server in servers:
                self.peak["fork_server_rss"] = max(self.peak["fork_server_rss"], _kb(server, "status", "VmRSS:"))
            for crawl in (c for s in servers for c in tree.get(s, [])):
                family = [crawl, *self._descendants(tree, crawl)]
                rss = [_kb(p, "status", "VmRSS:") for p in family]
                pss = [_kb(p, "smaps_rollup", "Pss:") for p in family]
                self.peak["crawl_rss"] = max(self.peak["crawl_rss"], rss[0])
                self.peak["tree_rss"] = max(self.peak["tree_rss"], sum(rss))
                self.peak["tree_pss"] = max(self.peak["tree_pss"], sum(pss))

    def _descendants(self, tree: dict[int, list[int]], pid: int) -> list[int]:
        out = []
        for child in tree.get(pid, []):
            if child != self.exclude:
                out += [child, *self._descendants(tree, child)]
        return out


# -- the runs ---------------------------------------------------------------------------

def pace(sites: int, delay: float, repeats: int) -> None:
    from crawler.crawl.run import crawl_sources

    engine_ratios, call_ratios = [], []
    with Web(sites) as web, tempfile.TemporaryDirectory() as tmp:
        for repeat in range(repeats):
            before, _ = web.asked()
            started = time.perf_counter()
            result = crawl_sources(web.sources(delay), database_url=None, data_dir=Path(tmp) / f"pace{repeat}")
            call = time.perf_counter() - started
            if result.failure:
                raise RuntimeError(result.failure)
            # The floor from what the server saw: the busiest host's requests.
            after, downloads = web.asked()
            requests = max(n - before[base] for base, n in after.items())
            floor = requests * delay
            engine = max(s.duration_s for s in result.stats)
            fetched = sum(s.fetched for s in result.stats)
            engine_ratios.append(engine / floor)
            call_ratios.append(call / floor)
            print(f"  repeat {repeat + 1}: {sites} sources, {fetched} pages, crawling {engine:.1f} s (first to last "
                  f"request {downloads:.1f} s), whole call {call:.1f} s; slowest host's floor {floor:.1f} s "
                  f"({requests} requests x {delay} s)", flush=True)
    print(f"pace: {sites} sites, one host each, {delay} s between two requests to a host; {available_cores()} cores")
    print(f"wall / slowest host's floor, crawling   : {statistics.median(engine_ratios):5.2f}  "
          f"(median of {repeats}; target <= 1.3)")
    print(f"wall / slowest host's floor, whole call : {statistics.median(call_ratios):5.2f}  "
          f"(process start, history and run records included)")


def memory(counts: list[int]) -> None:
    from crawler.crawl.run import crawl_sources

    rows = []
    for n in counts:
        with Web(n, fixed=5) as web, tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            with Sampler(exclude=web.process.pid) as sampler:
                result = crawl_sources(web.sources(0.0), database_url=None, data_dir=Path(tmp) / "store")
            if result.failure:
                raise RuntimeError(result.failure)
            took = time.perf_counter() - started
            stored = sum(s.stored + s.copies for s in result.stats)
            rows.append((n, sampler.peak, stored, took))
            print(f"  {n} sources: {stored} documents in {took:.1f} s; peak RSS crawl process "
                  f"{sampler.peak['crawl_rss'] / 1024:.0f} MB, with its extraction processes "
                  f"{sampler.peak['tree_rss'] / 1024:.0f} MB (PSS {sampler.peak['tree_pss'] / 1024:.0f} MB)",
                  flush=True)
    print(f"memory of one crawl ({available_cores()} extraction processes), peak:")
    print("  sources   crawl process RSS   + extraction RSS   + extraction PSS")
    for n, peak, _, _ in rows:
        print(f"  {n:7d}   {peak['crawl_rss'] / 1024:14.0f} MB   {peak['tree_rss'] / 1024:13.0f} MB   "
              f"{peak['tree_pss'] / 1024:13.0f} MB")
    print(f"  (target: 500 sources within 1 GB; the fork server every crawl process comes from holds "
          f"{max(peak['fork_server_rss'] for _, peak, _, _ in rows) / 1024:.0f} MB RSS, shared)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--memory", default="10,100,500", help="source counts to measure memory at ('' for none)")
    args = ap.parse_args()
    if args.sites:
        pace(args.sites, args.delay, args.repeats)
    counts = [int(n) for n in args.memory.split(",") if n.strip()]
    if counts:
        memory(counts)


if __name__ == "__main__":
    main()
