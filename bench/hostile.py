"""Hostile sites, measured: for each case, the reason wirecrawl records, the
wall time of the command and the peak resident memory of its whole process
tree (the command, its crawl process, its extraction processes).

    .venv/bin/python bench/hostile.py [--only SUBSTRING ...]

Each case is a site served on 127.0.0.1 by tests/sites.py that misbehaves on
purpose, and one `wirecrawl` command run against it as a fresh process with
a fresh data directory:

- crawl: `wirecrawl crawl` of a one-source sources file (timeout 5 s,
  retry_times 0, no download delay, so each case shows its own cost once);
- ingest: `wirecrawl ingest --allow-private URL`, with the command's own
  defaults (a 20 s deadline for the whole fetch, robots.txt included).

The first two rows are the baseline, measured in the same run: the same
commands on a site that behaves (one normal article page); the "× baseline"
columns divide each case's wall time and memory by its path's baseline.

"reason" is what the fetch history holds for the URL the case is about
(code, then the start of its sentence); "—" means nothing was recorded
against it, which for the 50,000-URL sitemap is the point. The full-disk
cases run the command with a cap on the size of the files its processes may
write (RLIMIT_FSIZE: every write past it fails with EFBIG, as on a full
disk); their reason is the command's exit code and its one line on stderr,
since a full disk leaves nothing in the fetch history, and the run's status. Memory is summed
over the process tree and sampled every 20 ms from /proc (Linux): resident
(VmRSS; forked processes count the pages they share once each) and
proportional (Pss; shared pages split among them, so the sum is what the
tree holds).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import logging
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storage.archive import Archive, encode_record  # noqa: E402
from storage.store import Store  # noqa: E402
from storage.utc import utc_now  # noqa: E402
from tests.process_tree import TreeMemory  # noqa: E402
from tests.sites import Response, Site  # noqa: E402

WIRECRAWL = str(Path(sys.executable).parent / "wirecrawl")
def _article(topic: str, place: str) -> str:
    return (f"<html><head><title>{topic}</title></head><body><article><h1>{topic}</h1>"
            + "".join(f"<p>Paragraph {n}: the {place} board met on Tuesday and agreed on {topic.lower()} "
                      f"before the winter storms, after the {place} was shut twice in the spring.</p>"
                      for n in range(8))
            + "</article></body></html>")


ARTICLE = _article("Dredging the channel", "harbour")
XML = "application/xml"
PAD = {"X-Pad": "x" * 4000}  # headers that take an hour at a byte a second


@dataclass
class Case:
    name: str
    kind: str  # "crawl" or "ingest"
    build: Callable[[Site], str]  # serves the case, returns the URL it is about
    source: dict = field(default_factory=dict)  # crawl: keys of the [[source]] table
    note: Callable[[Site, Path], str] | None = None  # what else to say, from the site and the data directory
    max_file_bytes: int | None = None  # the disk is full for the command past this size of a file


# -- what the sites serve -------------------------------------------------------------

def _robots(response: Response) -> Callable[[Site], str]:
    def build(site: Site) -> str:
        site.add("/robots.txt", response)
        return site.add("/", ARTICLE)
    return build


def _page(response: Response | str | bytes, path: str = "/page.html") -> Callable[[Site], str]:
    def build(site: Site) -> str:
        site.add("/robots.txt", "")
        return site.add(path, response)
    return build


def _list(kind: str, body: str, path: str) -> Callable[[Site], str]:
    def build(site: Site) -> str:
        site.add("/robots.txt", "")
        return site.add(path, Response(200, body.replace("{base}", site.base), content_type=XML))
    return build


def _redirect_loop(site: Site) -> str:
    site.add("/robots.txt", "")
    site.add("/b.html", Response(302, "", headers={"Location": "/a.html"}))
    return site.add("/a.html", Response(302, "", headers={"Location": "/b.html"}))


def _attributes(n: int = 80_000) -> str:
    return ARTICLE.replace("</article>", "<p " + " ".join(f'data-a{i}="x"' for i in range(n)) + ">end</p></article>")


def _slipping_attributes(n: int = 80_000) -> str:
    """80,000 attributes on one <p>, with a quoted '<' every hundred, so no
    run of the tag is long enough for the markup check: the extraction's
    time limit is what stops it."""
    attrs = " ".join(f'data-a{i}="x"' if i % 100 else f'data-a{i}="<"' for i in range(n))
    return ARTICLE.replace("</article>", f"<p {attrs}>end</p></article>")


def _link_heavy(site: Site) -> str:
    site.add("/robots.txt", "")
    return site.add("/links.html", "<html><body>" + "".join(f"<a href=/p/{i}>{i}</a>\n" for i in range(330_000))
                    + "</body></html>")


def _heavy_article(i: int) -> str:
    """An article carrying 300 KB that does not compress: its archive record
    alone is over the full-disk cases' file size."""
    junk = base64.b64encode(random.Random(i).randbytes(225_000)).decode()
    return _article(f"Story {i}", "harbour").replace("</body>", f"<script>var s = '{junk}';</script></body>")


def _heavy_site(site: Site) -> str:
    site.add("/robots.txt", "")
    paths = [f"/story/{i}.html" for i in range(60)]
    for i, path in enumerate(paths):
        site.add(path, Response(200, _heavy_article(i), delay=0.2))
    return site.add("/", "<html><body>" + "".join(f'<a href="{p}">{p}</a>' for p in paths) + "</body></html>")


def _many_articles(site: Site) -> str:
    site.add("/robots.txt", "")
    paths = [f"/story/{i}.html" for i in range(60)]
    for i, path in enumerate(paths):
        site.add(path, Response(200, _article(f"Story number {i} of the channel {i * 7}", f"harbour {i}"),
                                delay=0.05))
    return site.add("/", "<html><body>" + "".join(f'<a href="{p}">{p}</a>' for p in paths) + "</body></html>")


def _links_over_cap(site: Site, data_dir: Path) -> str:
    with Store(None, data_dir) as store:
        [run] = store.recent_runs(1)
    asked = sum(r.path.startswith("/p/") for r in site.requests)
    return f"{run.stats.get('links_over_cap', '?')} links over the cap counted, {asked} of /p/ asked"


def _stories_asked(site: Site, data_dir: Path) -> str:
    asked = sum(r.path.startswith("/story/") for r in site.requests)
    with Store(None, data_dir) as store:
        [run] = store.recent_runs(1)
    return f"{asked} of 60 pages asked; run {run.status}"


def _sitemap(n: int) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{{base}}/p/{i}</loc></url>" for i in range(n)) + "</urlset>")


_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + "]>")
SITEMAP_XXE = ('<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
               '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/&xxe;</loc></url>'
               "</urlset>")
SITEMAP_LAUGHS = (_LAUGHS + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/&lol9;'
                  "</loc></url></urlset>")
FEED_XXE = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0">'
            "<channel><title>x</title><item><title>&xxe;</title><link>{base}/a.html</link></item></channel></rss>")
FEED_LAUGHS = (_LAUGHS.replace("lolz", "rss") + '<rss version="2.0"><channel><title>&lol9;</title><item>'
               "<title>a</title><link>{base}/a.html</link></item></channel></rss>")


def _bomb() -> bytes:
    return gzip.compress(b"\0" * (1024 * 1024 * 1024), compresslevel=9)  # 1 GiB of zeros in about 1 MB


def _entries_read(site: Site, data_dir: Path) -> str:
    stats = "".join(p.read_text() for p in (data_dir / "logs").glob("*.log"))
    read = re.search(r"'source/[^/']+/discovery/sitemap_entries': (\d+)", stats)
    return f"read whole: {read[1] if read else '?'} entries, no malformed_sitemap"


def _no_entity(site: Site, data_dir: Path) -> str:
    leaked = any("root:" in r.path for r in site.requests)
    asked = sorted({r.path for r in site.requests} - {"/robots.txt"})
    return f"entity not expanded ({'LEAKED' if leaked else 'nothing of /etc/passwd sent'}); asked for {asked}"


BASELINE = "a normal article page (baseline)"
CASES = [
    Case(BASELINE, "crawl", _page(ARTICLE)),
    Case(BASELINE, "ingest", _page(ARTICLE)),
    Case("robots.txt answers 500", "crawl", _robots(Response(500, "oops"))),
    Case("robots.txt hangs", "crawl", _robots(Response(200, "User-agent: *\nAllow: /\n", delay=120))),
    Case("robots.txt drips its headers (1 byte/s)", "crawl",
         _robots(Response(200, "User-agent: *\nAllow: /\n", drip=1.0, headers=PAD))),
    Case("robots.txt of 12 MB, 'Disallow: /' first", "crawl",
         _robots(Response(200, "User-agent: *\nDisallow: /\n" + ("#" * 99 + "\n") * 125_000, content_type="text/plain"))),
    Case("robots.txt answers 500", "ingest", _robots(Response(500, "oops"))),
    Case("robots.txt hangs", "ingest", _robots(Response(200, "User-agent: *\nAllow: /\n", delay=120))),
    Case("robots.txt drips its headers (1 byte/s)", "ingest",
         _robots(Response(200, "User-agent: *\nAllow: /\n", drip=1.0, headers=PAD))),
    Case("robots.txt of 12 MB, 'Disallow: /' first", "ingest",
         _robots(Response(200, "User-agent: *\nDisallow: /\n" + ("#" * 99 + "\n") * 125_000, content_type="text/plain"))),
    Case("page drips its headers (1 byte/s)", "ingest", _page(Response(200, ARTICLE, drip=1.0, headers=PAD))),
    Case("page drips its headers (1 byte/s)", "crawl", _page(Response(200, ARTICLE, drip=1.0, headers=PAD))),
    Case("one <p> with 80,000 attributes (871 KB)", "ingest", _page(_attributes())),
    Case("one <p> with 80,000 attributes, a start URL", "crawl", _page(_attributes()), {"follow_links": False}),
    Case("one <p> with 80,000 attributes, links followed", "crawl", _page(_attributes())),
    Case("sitemap of exactly 50,000 URLs", "crawl", _list("sitemap", _sitemap(50_000), "/map.xml"),
         {"deny": ["/p/"]}, note=_entries_read),
    Case("http://xn--.com/ (an IDNA label that does not decode)", "ingest", lambda site: "http://xn--.com/"),
    Case("decompression bomb (1 GiB of zeros, gzip)", "crawl",
         _page(Response(200, b"", headers={"Content-Encoding": "gzip"}))),
    Case("decompression bomb (1 GiB of zeros, gzip)", "ingest",
         _page(Response(200, b"", headers={"Content-Encoding": "gzip"}))),
    Case("sitemap with an external entity (XXE)", "crawl", _list("sitemap", SITEMAP_XXE, "/map.xml"),
         note=_no_entity),
    Case("sitemap with a billion laughs", "crawl", _list("sitemap", SITEMAP_LAUGHS, "/map.xml")),
    Case("feed with an external entity (XXE)", "crawl", _list("feed", FEED_XXE, "/feed.xml"),
         note=_no_entity),
    Case("feed with a billion laughs", "crawl", _list("feed", FEED_LAUGHS, "/feed.xml")),
    Case("page of 60 MB", "crawl", _page(b"<html><body>" + b"x" * (60 * 1024 * 1024) + b"</body></html>")),
    Case("page of 60 MB", "ingest", _page(b"<html><body>" + b"x" * (60 * 1024 * 1024) + b"</body></html>")),
    Case("redirect loop", "crawl", _redirect_loop),
    Case("redirect loop", "ingest", _redirect_loop),
    Case("slow body (a byte every 0.1 s)", "crawl", _page(Response(200, ARTICLE, drip_body=0.1))),
    Case("slow body (a byte every 0.1 s)", "ingest", _page(Response(200, ARTICLE, drip_body=0.1))),
    Case("page of 330,000 links (9.6 MB)", "crawl", _link_heavy, {"deny": ["/p/"]}, note=_links_over_cap),
    Case("80,000 attributes past the markup check (slow extraction)", "crawl", _page(_slipping_attributes()),
         {"follow_links": False}),
    Case("full disk: the archive cannot be written", "crawl", _heavy_site, {"concurrency_per_host": 2},
         note=_stories_asked, max_file_bytes=200_000),
    Case("full disk: the store cannot be written", "crawl", _many_articles, {"concurrency_per_host": 2},
         note=_stories_asked, max_file_bytes=130_000),
    Case("full disk: the archive cannot be written", "ingest", _page(_heavy_article(0)), max_file_bytes=200_000),
]


# -- running one case --------------------------------------------------------------

def _run(cmd: list[str], env: dict[str, str],
         max_file_bytes: int | None = None) -> tuple[float, tuple[int, int], subprocess.CompletedProcess]:
    def full_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=full_disk if max_file_bytes else None)
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate(timeout=900)
    return time.monotonic() - started, memory.stop(), subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WIRECRAWL_"))}
    env["PREFECT_HOME"] = str(home / "prefect-home")  # no Prefect server: the command runs alone
    return env


def _sources(path: Path, url: str, case: Case) -> Path:
    kind = {"/map.xml": "sitemaps", "/feed.xml": "feeds"}.get(url[url.index("/", 8):], "start_urls")
    lines = ["[defaults]", "download_delay = 0.0", "autothrottle = false", "timeout = 5.0", "retry_times = 0",
             "concurrency_per_host = 4", "", "[[source]]", 'name = "case"', f'{kind} = ["{url}"]',
             "robots_sitemaps = false"]
    for key, value in case.source.items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else repr(value).replace(chr(39), chr(34))}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _reason(data_dir: Path, url: str, base: str) -> str:
    if not (data_dir / "wirecrawl.db").exists():
        return "(no store)"
    with Store(None, data_dir) as store:
        history = store.fetch_history(url)
    if not history:
        return "—"
    last = history[-1]
    text = (last.reason or last.outcome).replace(base, "")  # paths read shorter than URLs
    return text if len(text) <= 90 else text[:87] + "..."


def run_case(case: Case, bomb: bytes) -> tuple[str, float, tuple[int, int]]:
    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        tmp = Path(tmp)
        url = case.build(site)
        if "decompression bomb" in case.name:
            site.routes["/page.html"] = Response(200, bomb, headers={"Content-Encoding": "gzip"})
        data_dir = tmp / "data"
        if case.kind == "crawl":
            cmd = [WIRECRAWL, "--data-dir", str(data_dir), "crawl", "--sources",
                   str(_sources(tmp / "sources.toml", url, case))]
        else:
            cmd = [WIRECRAWL, "--data-dir", str(data_dir), "ingest", "--allow-private", url]
        wall, peak, done = _run(cmd, _environment(tmp), case.max_file_bytes)
        if "Traceback" in done.stderr:
            return f"TRACEBACK: {done.stderr.strip().splitlines()[-1][:60]}", wall, peak
        if case.max_file_bytes:
            line = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "(nothing on stderr)"
            reason = f"exit {done.returncode}: {line.replace(str(tmp), '…').split('; the crawl stopped')[0]}"
        else:
            reason = _reason(data_dir, url, site.base)
        if case.note is not None:
            reason = f"{reason} ({case.note(site, data_dir)})" if reason != "—" else f"— ({case.note(site, data_dir)})"
        return reason, wall, peak


def _long_article(i: int) -> str:
    """Article number i: 40 paragraphs of its own words, about 14 KB of text."""
    rng = random.Random(i)
    words = [w for w in ARTICLE.split() if w.isalpha()]
    paragraphs = "".join(f"<p>{' '.join(rng.choices(words, k=60))}.</p>" for _ in range(40))
    return f"<html><head><title>Story {i}</title></head><body><article>{paragraphs}</article></body></html>"


def run_full_disk_snapshot() -> tuple[str, float, tuple[int, int]]:
    """Ingest 30 articles, then write a snapshot with the disk full at 64 KB a file."""
    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        tmp = Path(tmp)
        site.add("/robots.txt", "")
        urls = [site.add(f"/{i}.html", _long_article(i)) for i in range(30)]
        data_dir = tmp / "data"
        env = _environment(tmp)
        _run([WIRECRAWL, "--data-dir", str(data_dir), "ingest", "--allow-private", *urls], env)
        Store(None, data_dir).close()  # the write-ahead log copied into the store's file
        wall, peak, done = _run([WIRECRAWL, "--data-dir", str(data_dir), "snapshot", "--out", str(tmp / "snap")],
                                env, max_file_bytes=64_000)
        line = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "(nothing on stderr)"
        return f"exit {done.returncode}: {line.replace(str(tmp), '…')}", wall, peak


def run_truncated_warc() -> tuple[str, float, tuple[int, int]]:
    """Ingest a page, cut a record into the end of its WARC file as a kill
    would, ingest another page (the next writer), then read the archive."""
    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        tmp = Path(tmp)
        site.add("/robots.txt", "")
        first = site.add("/first.html", ARTICLE)
        second = site.add("/second.html", _article("New cables for the old bridge", "town hall"))
        data_dir = tmp / "data"
        env = _environment(tmp)
        _run([WIRECRAWL, "--data-dir", str(data_dir), "ingest", "--allow-private", first], env)
        [warc] = (data_dir / "archive").iterdir()
        with open(warc, "ab") as fh:
            fh.write(encode_record("http://cut.example/", 200, {}, os.urandom(50_000), utc_now())[:20_000])
        wall, peak, done = _run([WIRECRAWL, "--data-dir", str(data_dir), "ingest", "--allow-private", second], env)
        archive = Archive(data_dir / "archive")
        with Store(None, data_dir) as store:
            readable = sum(archive.read(f.warc_file, f.warc_offset).url == u
                           for u in (first, second) for f in [store.last_fetch(u)])
        whole = [page.url for _, page in archive.records(warc.name)]
        try:
            archive.read(warc.name, warc.stat().st_size - 20_000)
            torn = "read as whole"
        except ValueError:
            torn = "refused"
        outcome = done.stdout.split(": ", 1)[-1].split(" (")[0]
        return (f"next ingest {outcome}; {readable}/2 stored pages read back; "
                f"{len(whole)} whole record(s) in the cut file, the torn one {torn}"), wall, peak


def main() -> int:
    logging.basicConfig(level=logging.ERROR)  # the archive's warning about the cut record is the case itself
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="run the cases whose name contains one of these")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("bench/hostile.py reads memory from /proc: Linux only")

    wanted = [c for c in CASES if c.name == BASELINE
              or not args.only or any(o.lower() in f"{c.name} {c.kind}".lower() for o in args.only)]
    bomb = _bomb() if any("bomb" in c.name for c in wanted) else b""
    rows = []
    for case in wanted:
        reason, wall, peak = run_case(case, bomb)
        rows.append((case.name, case.kind, reason, wall, peak))
        print(f"  {case.kind:6} {case.name}: {reason} ({wall:.1f} s, RSS {peak[0] / 2**20:.0f} MiB, "
              f"PSS {peak[1] / 2**20:.0f} MiB)", file=sys.stderr)
    if not args.only or any(o.lower() in "full disk: a snapshot cannot be written" for o in args.only):
        reason, wall, peak = run_full_disk_snapshot()
        rows.append(("full disk: a snapshot cannot be written", "snapshot", reason, wall, peak))
    if not args.only or any("warc" in o.lower() for o in args.only):
        reason, wall, peak = run_truncated_warc()
        rows.append(("WARC file whose last record a crash cut", "ingest", reason, wall, peak))

    base = {kind: (wall, pss) for name, kind, _, wall, (_, pss) in rows if name == BASELINE}
    width = max(len(r[0]) for r in rows)
    print(f"| {'case':<{width}} | path   | reason recorded | wall s | × baseline | peak RSS MiB | peak PSS MiB "
          "| × baseline |")
    print(f"|{'-' * (width + 2)}|--------|---|---:|---:|---:|---:|---:|")
    for name, kind, reason, wall, (rss, pss) in rows:
        base_wall, base_pss = base.get(kind, (None, None))  # a snapshot has no baseline of its own
        times = f"{wall / base_wall:.1f}" if base_wall else "—"
        memory = f"{pss / base_pss:.2f}" if base_pss else "—"
        print(f"| {name:<{width}} | {kind:<6} | {reason} | {wall:.1f} | {times} | {rss / 2**20:.0f} "
              f"| {pss / 2**20:.0f} | {memory} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
