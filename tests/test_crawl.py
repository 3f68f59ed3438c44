"""Crawls of sites served on 127.0.0.1: politeness, failures recorded with
their reasons, incremental recrawl, resume after SIGKILL, repeated crawls.

Every crawl runs in its own process (crawler.crawl.run.crawl_source); delays and
AutoThrottle are switched off through settings overrides so each test takes
seconds."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from crawler.crawl.retry import retry_after_seconds
from crawler.crawl.run import crawl_source
from crawler.crawl.sources import Politeness, Source
from storage.schema import documents, fetches, runs
from storage.store import Store
from tests.process_tree import children
from tests.sampleweb.articles import ARTICLES
from tests.sampleweb.templates import TEMPLATES, render_article_page
from tests.sites import Request, Response, Site

REPO = Path(__file__).resolve().parents[1]

# No politeness delays against our own server; retries without backoff.
FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "WIRECRAWL_RETRY_BACKOFF_BASE": 0,
    "WIRECRAWL_EXTRACT_WORKERS": 1,
}
_POOL = [p for a in ARTICLES if a.lang == "en" for p in a.paragraphs]


def article_html(i: int, url: str, *, edition: int = 0) -> str:
    """Article number i: its own mix of our sample paragraphs, so no two
    numbers are near-duplicates. A new `edition` changes the text."""
    rng = random.Random(i)
    paragraphs = rng.sample(_POOL, 8)
    if edition:
        paragraphs = [f"Updated, edition {edition}: the figures below were revised."] + paragraphs[1:]
    return render_article_page(TEMPLATES[i % len(TEMPLATES)], title=f"Dispatch {i}: {paragraphs[0][:40]}",
                               paragraphs=paragraphs, site_name="Test Wire", url=url)


def plain_article_html(i: int) -> str:
    """Article number i in a bare page that links nowhere."""
    paragraphs = random.Random(i).sample(_POOL, 8)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<!DOCTYPE html><html><head><title>Dispatch {i}</title></head><body><article>" \
           f"<h1>Dispatch {i}</h1>{body}</article></body></html>"


def index_html(paths: list[str]) -> str:
    links = "".join(f'<li><a href="{p}">Story {n}</a></li>' for n, p in enumerate(paths))
    return f"<!DOCTYPE html><html><head><title>Home</title></head><body><ul>{links}</ul></body></html>"


def source_for(site: Site, name: str = "test", **politeness) -> Source:
    return Source(name=name, start_urls=(site.url("/"),), allowed_domains=("127.0.0.1",),
                  robots_sitemaps=False, politeness=Politeness(**{"concurrency_per_host": 8, **politeness}))


def crawl(site_source: Source, data_dir: Path, database_url: str | None = None, **overrides):
    return crawl_source(site_source, database_url=database_url, data_dir=data_dir,
                        settings_overrides={**FAST, **overrides})


def last_fetch(store: Store, url: str):
    history = store.fetch_history(url)
    assert history, f"nothing recorded for {url}"
    return history[-1]


def get_count(site: Site, path: str) -> int:
    return sum(1 for r in site.requests if r.path == path and r.method == "GET")


# -- one crawl of a site with every kind of trouble -----------------------------


class Troubled:
    """A site whose home page links to good articles and to every kind of
    failure; the route callables note when each request arrived."""

    ARTICLES = ["/ok/1.html", "/ok/2.html", "/ok/3.html"]

    def __init__(self, site: Site):
        self.site = site
        self.arrivals: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        paths = self.ARTICLES + ["/private/secret.html", "/gone.html", "/flaky.html", "/slow.html",
                                 "/busy.html", "/closed.html", "/old.html", "/loop-a.html", "/bomb.html",
                                 "/huge.html", "/moved.html", "/cut.html", "/mail.html"]
        site.add("/", index_html(paths))
        site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
        for n, path in enumerate(self.ARTICLES + ["/private/secret.html"]):
            site.add(path, article_html(n, site.url(path)))
        site.add("/gone.html", Response(404, "<html><body>gone</body></html>"))
        site.add("/flaky.html", self._flaky)
        site.add("/slow.html", Response(200, article_html(20, site.url("/slow.html")), delay=3.0))
        site.add("/busy.html", self._busy)
        site.add("/closed.html", Response(429, "<html><body>come back tomorrow</body></html>",
                                          headers={"Retry-After": "86400"}))
        site.add("/old.html", Response(301, "", headers={"Location": "/older.html"}))
        site.add("/older.html", Response(302, "", headers={"Location": "/new.html"}))
        site.add("/new.html", article_html(22, site.url("/new.html")))
        site.add("/moved.html", Response(301, "", headers={"Location": self.ARTICLES[0]}))
        site.add("/loop-a.html", Response(302, "", headers={"Location": "/loop-b.html"}))
        site.add("/loop-b.html", Response(302, "", headers={"Location": "/loop-a.html"}))
        # 20 MB of zeros, about 20 kB on the wire: a decompression bomb.
        bomb = gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9)
        site.add("/bomb.html", Response(200, bomb, headers={"Content-Encoding": "gzip"}))
        site.add("/huge.html", Response(200, b"<html><body>" + b"x" * (3 * 1024 * 1024) + b"</body></html>"))
        site.add("/mail.html", Response(301, "", headers={"Location": "mailto:desk@example.org"}))
        # A gzip body cut in half in transit, its Content-Length that of the half: HTTP sees no loss.
        whole = gzip.compress(article_html(23, site.url("/cut.html")).encode())
        site.add("/cut.html", Response(200, whole[:len(whole) // 2], headers={"Content-Encoding": "gzip"}))

    def _arrived(self, path: str) -> int:
        with self._lock:
            self.arrivals.setdefault(path, []).append(time.monotonic())
            return len(self.arrivals[path])

    def _flaky(self, req: Request) -> Response:
        if self._arrived(req.path) == 1:
            return Response(500, "<html><body>try again</body></html>")
        return Response(200, article_html(21, self.site.url(req.path)))

    def _busy(self, req: Request) -> Response:
        if self._arrived(req.path) == 1:
            return Response(429, "<html><body>slow down</body></html>", headers={"Retry-After": "1"})
        return Response(200, article_html(23, self.site.url(req.path)))


@pytest.fixture(scope="module")
def troubled(tmp_path_factory):
    """One crawl of the troubled site (module-scoped: each test below asserts
    one behaviour of the same crawl)."""
    data_dir = tmp_path_factory.mktemp("troubled") / "data"
    with Site() as site:
        trouble = Troubled(site)
        src = source_for(site, timeout=1.5, retry_times=2, max_bytes=1024 * 1024,
                         contact_url="https://ops.example/crawler")
        stats = crawl(src, data_dir)
        store = Store(None, data_dir)
        yield site, trouble, stats, store
        store.close()


def test_every_request_names_wirecrawl_and_the_contact_url(troubled):
    site, _, _, _ = troubled
    agents = {r.headers.get("user-agent") for r in site.requests}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("wirecrawl/") and "https://ops.example/crawler" in agent


def test_robots_disallowed_path_is_never_requested(troubled):
    site, _, stats, store = troubled
    assert "/private/secret.html" not in site.paths_requested()
    assert last_fetch(store, site.url("/private/secret.html")).reason.startswith("robots_disallowed")
    assert stats.rejected.get("robots_disallowed") == 1


def test_good_articles_are_stored(troubled):
    site, _, stats, store = troubled
    for path in Troubled.ARTICLES:
        doc = store.find_document(site.url(path))
        assert doc is not None and doc.text, path
        assert last_fetch(store, site.url(path)).outcome == "stored"


def test_404_is_recorded_with_its_status(troubled):
    site, _, stats, store = troubled
    record = last_fetch(store, site.url("/gone.html"))
    assert (record.outcome, record.status) == ("failed", 404)
    assert record.reason.startswith("http_status: HTTP 404")
    # Our templates link to pages this site does not have: each is a 404 too.
    with store.read() as conn:
        recorded = conn.execute(select(func.count()).select_from(fetches).where(
            fetches.c.run_id == stats.run_id, fetches.c.reason.like("http_status%"))).scalar_one()
    assert stats.failed["http_status"] == recorded


def test_server_error_is_retried_then_stored(troubled):
    site, _, _, store = troubled
    assert get_count(site, "/flaky.html") == 2
    assert last_fetch(store, site.url("/flaky.html")).outcome == "stored"


def test_slow_response_past_the_timeout_is_recorded(troubled):
    site, _, stats, store = troubled
    record = last_fetch(store, site.url("/slow.html"))
    assert record.outcome == "failed" and record.reason.startswith("timeout")
    assert get_count(site, "/slow.html") >= 2  # retried (a try may time out before the server logs it)
    assert stats.failed.get("timeout") == 1


def test_429_is_retried_no_earlier_than_retry_after(troubled):
    site, trouble, _, store = troubled
    first, second = trouble.arrivals["/busy.html"]
    assert second - first >= 1.0
    assert store.find_document(site.url("/busy.html")) is not None


def test_retry_after_longer_than_a_crawl_waits_is_recorded_not_waited_for(troubled):
    site, _, _, store = troubled
    assert get_count(site, "/closed.html") == 1
    record = last_fetch(store, site.url("/closed.html"))
    assert (record.outcome, record.status) == ("failed", 429)
    assert record.reason.startswith("http_status") and "Retry-After 86400 s" in record.reason


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2024, 3, 4, 10, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"120", now) == 120
    assert retry_after_seconds("Mon, 04 Mar 2024 10:00:30 GMT", now) == 30
    assert retry_after_seconds("Mon, 04 Mar 2024 09:00:00 GMT", now) == 0  # already past
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_redirect_chain_is_stored_with_its_final_url(troubled):
    site, _, _, store = troubled
    doc = store.find_document(site.url("/new.html"))
    assert doc is not None
    assert doc.url == site.url("/old.html") and doc.final_url == site.url("/new.html")


def test_redirect_to_a_page_already_fetched_is_recorded(troubled):
    site, _, _, store = troubled
    record = last_fetch(store, site.url("/moved.html"))
    assert record.reason.startswith("redirect_to_seen_url") and site.url(Troubled.ARTICLES[0]) in record.reason
    assert get_count(site, Troubled.ARTICLES[0]) == 1


def test_redirect_loop_is_recorded(troubled):
    site, _, stats, store = troubled
    record = last_fetch(store, site.url("/loop-a.html"))
    assert record.outcome == "rejected" and record.reason.startswith("redirect_loop")
    assert stats.rejected.get("redirect_loop") == 1
    # found when the chain comes back, not after going round until the redirect limit
    assert (get_count(site, "/loop-a.html"), get_count(site, "/loop-b.html")) == (1, 1)


def test_gzip_bomb_and_oversized_page_are_recorded_as_too_large(troubled):
    site, _, stats, store = troubled
    for path in ("/bomb.html", "/huge.html"):
        record = last_fetch(store, site.url(path))
        assert record.outcome == "rejected" and record.reason.startswith("too_large"), path
    assert stats.rejected.get("too_large") == 2


def test_a_gzip_body_cut_off_in_transit_is_rejected_not_stored_as_a_shorter_article(troubled):
    site, _, stats, store = troubled
    record = last_fetch(store, site.url("/cut.html"))
    assert record.outcome == "rejected" and record.reason.startswith("bad_encoding"), record.reason
    assert "cut off" in record.reason
    assert store.find_document(site.url("/cut.html")) is None


def test_a_redirect_to_a_url_that_is_not_http_is_a_bad_url_not_a_download_error(troubled):
    site, _, stats, store = troubled
    record = last_fetch(store, site.url("/mail.html"))
    assert record.outcome == "rejected" and record.reason.startswith("bad_url"), record.reason
    assert "mailto:desk@example.org" in record.reason


def test_every_outcome_is_counted_and_recorded(troubled):
    """Nothing silently dropped: the counts of the crawl equal the fetch
    history of its run, outcome by outcome."""
    site, _, stats, store = troubled
    with store.read() as conn:
        rows = conn.execute(select(fetches.c.outcome, fetches.c.reason)
                            .where(fetches.c.run_id == stats.run_id)).all()
    by_outcome: dict[str, int] = {}
    for outcome, _ in rows:
        by_outcome[outcome] = by_outcome.get(outcome, 0) + 1
    assert by_outcome.get("stored", 0) + by_outcome.get("copy", 0) == stats.stored + stats.copies
    assert by_outcome.get("failed", 0) == sum(stats.failed.values())
    assert by_outcome.get("rejected", 0) == sum(stats.rejected.values())
    assert stats.stored + stats.copies == 6  # 3 articles, flaky, busy, redirected
    with store.read() as conn:
        run = conn.execute(select(runs).where(runs.c.id == stats.run_id)).one()
    assert run.status == "finished" and json.loads(run.stats)["stored"] == stats.stored


# -- politeness ------------------------------------------------------------------------


def test_robots_crawl_delay_spaces_requests(site, data_dir):
    arrivals: list[float] = []

    def timed(body: str):
        def route(req: Request) -> Response:
            arrivals.append(time.monotonic())
            return Response(200, body)
        return route

    paths = ["/a.html", "/b.html"]
    site.add("/robots.txt", Response(200, "User-agent: *\nCrawl-delay: 1\n", content_type="text/plain"))
    site.add("/", timed(index_html(paths)))
    for n, path in enumerate(paths):
        site.add(path, timed(plain_article_html(n)))
    stats = crawl(source_for(site), data_dir)
    assert stats.stored == 2
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(gaps) == 2 and min(gaps) >= 0.95, gaps  # Scrapy's clock and ours differ by ms


# -- incremental recrawl -------------------------------------------------------------------


class Versioned:
    """Article routes that answer validators: ETag + Last-Modified, and 304
    when the client's If-None-Match still matches. `edition[path]` changes a page."""

    def __init__(self, site: Site, paths: list[str]):
        self.site, self.edition = site, {p: 0 for p in paths}
        for n, path in enumerate(paths):
            site.add(path, self._route(n))
        site.add("/", index_html(paths))

    def _route(self, n: int):
        def route(req: Request) -> Response:
            etag = f'"v{self.edition[req.path]}-{n}"'
            if req.headers.get("if-none-match") == etag:
                return Response(304, "", headers={"ETag": etag})
            return Response(200, article_html(n, self.site.url(req.path), edition=self.edition[req.path]),
                            headers={"ETag": etag, "Last-Modified": "Mon, 04 Mar 2024 10:00:00 GMT"})
        return route


def test_conditional_recrawl_costs_304s_and_stores_nothing_new(site, data_dir, database_url):
    paths = [f"/story/{n}.html" for n in range(4)]
    Versioned(site, paths)
    src = source_for(site, recrawl_interval_hours=0)
    first = crawl(src, data_dir, database_url)
    assert first.stored == 4
    seen = len(site.requests)

    second = crawl(src, data_dir, database_url)
    again = [r for r in site.requests[seen:] if r.path in paths]
    assert len(again) == 4
    for r in again:
        assert r.headers.get("if-none-match", "").startswith('"v0')
        assert r.headers.get("if-modified-since") == "Mon, 04 Mar 2024 10:00:00 GMT"
    assert (second.not_modified, second.stored, second.copies, second.extracted) == (4, 0, 0, 0)
    with Store(database_url, data_dir) as store:
        assert store.count_documents() == first.stored + first.copies
        record = last_fetch(store, site.url(paths[0]))
        assert (record.outcome, record.reason, record.status) == ("unchanged", "not_modified", 304)


def test_a_page_stored_by_another_source_is_asked_conditionally(site, data_dir):
    """The history is shared by every source of a store: a page another
    source stored is asked with its validators, and costs a 304."""
    paths = [f"/shared/{n}.html" for n in range(3)]
    Versioned(site, paths)
    first = crawl(source_for(site, name="wire", recrawl_interval_hours=0), data_dir)
    assert first.stored == 3
    seen = len(site.requests)

    other = crawl(source_for(site, name="mirror", recrawl_interval_hours=0), data_dir)
    again = [r for r in site.requests[seen:] if r.path in paths]
    assert len(again) == 3 and all(r.headers.get("if-none-match", "").startswith('"v0') for r in again)
    assert (other.not_modified, other.stored, other.extracted) == (3, 0, 0)


def _short_page(n: int) -> str:
    return (f"<!DOCTYPE html><html><head><title>Notice {n}</title></head><body><article><h1>Notice {n}</h1>"
            f"<p>The reading room closes early on day {n}.</p></article></body></html>")


def test_a_rejected_article_page_is_not_extracted_again_while_unchanged(site, data_dir):
    """A first crawl's pages skip the same-body check (nothing was fetched
    before); a page that was fetched, even only to be rejected, does not."""
    stories, notes = [f"/story/{n}.html" for n in range(2)], ["/note/1.html"]
    site.add("/", index_html(stories + notes))
    for n, path in enumerate(stories):
        site.add(path, plain_article_html(n))
    site.add(notes[0], _short_page(1))
    src = source_for(site, recrawl_interval_hours=0)
    first = crawl(src, data_dir)
    assert first.stored == 2 and first.rejected.get("too_short") == 1
    second = crawl(src, data_dir)
    assert (second.unchanged, second.stored, second.extracted) == (2, 0, 0)
    assert second.rejected == first.rejected


def test_pages_another_source_fetched_are_compared_with_what_it_fetched(site, data_dir):
    """The first crawl of a source in a store where another source fetched
    the same pages (and stored nothing) still finds the earlier bodies."""
    notes = [f"/note/{n}.html" for n in range(2)]
    site.add("/", index_html(notes))
    for n, path in enumerate(notes):
        site.add(path, _short_page(n))
    first = crawl(source_for(site, name="one", recrawl_interval_hours=0), data_dir)
    assert first.rejected.get("too_short") == 2 and first.stored == 0
    other = crawl(source_for(site, name="two", recrawl_interval_hours=0), data_dir)
    assert other.extracted == 0
    assert other.rejected == first.rejected


def test_unchanged_body_without_validators_is_not_extracted(site, data_dir):
    paths = [f"/plain/{n}.html" for n in range(3)]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, article_html(n, site.url(path)))  # no ETag, no Last-Modified
    src = source_for(site, recrawl_interval_hours=0)
    first = crawl(src, data_dir)
    second = crawl(src, data_dir)
    assert first.stored == 3
    # The home page is not an article: rejected again for the same bytes, not re-extracted.
    assert (second.unchanged, second.stored, second.extracted) == (3, 0, 0)
    assert second.rejected == first.rejected
    assert all(get_count(site, p) == 2 for p in paths)


def test_three_crawls_in_a_row_in_one_process(site, data_dir):
    """Crawl, crawl again within the recrawl interval (articles not even
    requested), then again with the interval elapsed after one article changed
    (304s for the others, a new version of the changed one)."""
    paths = [f"/news/{n}.html" for n in range(4)]
    versioned = Versioned(site, paths)
    src = source_for(site)  # recrawl interval: the default 24 hours

    first = crawl(src, data_dir)
    assert first.stored == 4
    requested = len(site.requests)

    second = crawl(src, data_dir)
    assert second.skipped_recent == 4 and second.fetched <= 1
    assert not [r for r in site.requests[requested:] if r.path in paths]
    assert "/" in [r.path for r in site.requests[requested:]]  # start URLs are re-read

    versioned.edition[paths[2]] = 1
    third = crawl(src, data_dir, WIRECRAWL_RECRAWL_INTERVAL_HOURS=0)
    assert (third.not_modified, third.stored) == (3, 1)
    with Store(None, data_dir) as store:
        changed = store.find_document(site.url(paths[2]))
        assert changed.version == 2 and "edition 1" in changed.text
        with store.read() as conn:
            finished = conn.execute(select(runs.c.id).where(runs.c.status == "finished")).scalars().all()
    assert len({first.run_id, second.run_id, third.run_id}) == 3
    assert {first.run_id, second.run_id, third.run_id} <= set(finished)


# -- resume after SIGKILL -------------------------------------------------------------------

_CRAWL_SCRIPT = """
import json, sys
from pathlib import Path
from crawler.crawl.retry import retry_after_seconds
from crawler.crawl.run import crawl_source
from crawler.crawl.sources import Politeness, Source
args = json.loads(sys.argv[1])
source = Source(name="resume", start_urls=(args["start"],), allowed_domains=("127.0.0.1",),
                robots_sitemaps=False, politeness=Politeness(concurrency_per_host=2))
crawl_source(source, database_url=None, data_dir=Path(args["data_dir"]), settings_overrides=args["overrides"])
"""


def test_crawl_killed_with_sigkill_resumes_without_storing_twice(site, data_dir):
    paths = [f"/wire/{n}.html" for n in range(30)]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, Response(200, article_html(n, site.url(path)), delay=0.1))  # a slowish site
    args = {"start": site.url("/"), "data_dir": str(data_dir), "overrides": FAST}
    child = subprocess.Popen([sys.executable, "-c", _CRAWL_SCRIPT, json.dumps(args)], cwd=REPO,
                             start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = Store(None, data_dir)
    try:
        deadline = time.monotonic() + 60
        while store.count_documents() < 5:  # poll the store, not the clock
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the first crawl stored nothing in 60 s"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)  # the crawl and every process it started
        child.wait()
        with store.read() as conn:
            stored_before = set(conn.execute(select(documents.c.url)).scalars())
        assert 5 <= len(stored_before) < len(paths), "the kill came too late to test a resume"
        requested_before = len(site.requests)

        stats = crawl(source_for(site, name="resume", concurrency_per_host=2), data_dir)
        with store.read() as conn:
            per_url = dict(conn.execute(select(documents.c.url, func.count()).group_by(documents.c.url)).all())
    finally:
        store.close()
    for path in paths:
        assert per_url.get(site.url(path)) == 1, path  # every page stored, none twice
    # What was stored before the kill was not even requested again.
    again = {r.path for r in site.requests[requested_before:]}
    assert not {u for u in stored_before if u.replace(site.base, "") in again}
    assert stats.skipped_recent == len({u for u in stored_before if u != site.url("/")})


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_an_extraction_process_killed_on_a_page_costs_that_page_only(site, data_dir):
    """SIGKILL to the extraction process while it is on a page (one that
    takes seconds to extract): that page is recorded as extract_crashed, the
    pages queued behind it are extracted by a new process, the crawl ends
    normally, and every other page is stored once."""
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs /proc/<pid>/task/<tid>/children (Linux) to find the extraction process")
    paths = [f"/wire/{n}.html" for n in range(12)]
    big = "/wire/record.html"
    site.add("/", index_html([paths[0], big, *paths[1:]]))
    for n, path in enumerate(paths):
        site.add(path, Response(200, article_html(n, site.url(path)), delay=0.1))  # a slowish site
    title = "A very long record of the harbour works"
    paragraphs = "".join(f"<p>{_POOL[i % len(_POOL)]} ({i})</p>" for i in range(12000))  # ~2 s to extract
    site.add(big, f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}"
                  f"</article></body></html>")
    args = {"start": site.url("/"), "data_dir": str(data_dir), "overrides": FAST}  # one extraction process
    child = subprocess.Popen([sys.executable, "-c", _CRAWL_SCRIPT, json.dumps(args)], cwd=REPO,
                             start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = Store(None, data_dir)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers or big not in site.paths_requested():
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the crawl never asked for the long page"
            # this program -> fork server -> crawl process -> extraction process
            workers = [w for fs in children(child.pid) for crawl in children(fs) for w in children(crawl)]
            time.sleep(0.02)
        assert len(workers) == 1
        # Half a second of CPU after the long page went out: the short pages
        # cost milliseconds, so the process is on the long one.
        start = _cpu_seconds(workers[0])
        while _cpu_seconds(workers[0]) < start + 0.5:
            assert time.monotonic() < deadline, "the extraction process never took the long page"
            time.sleep(0.02)
        os.kill(workers[0], signal.SIGKILL)
        assert child.wait(timeout=120) == 0, child.stderr.read().decode()
        with store.read() as conn:
            per_url = dict(conn.execute(select(documents.c.url, func.count()).group_by(documents.c.url)).all())
            crashed = set(conn.execute(select(fetches.c.url).where(fetches.c.reason.like("extract_crashed%")))
                          .scalars())
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        store.close()
    assert crashed == {site.url(big)} and site.url(big) not in per_url
    assert all(per_url.get(site.url(path)) == 1 for path in paths), per_url


# -- the command line ------------------------------------------------------------------------


def _cli(args: list[str], data_dir: Path):
    from flows.cli import _load_commands
    from flows.app import app

    _load_commands()
    return CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])


def test_cli_crawls_every_source_and_prints_a_summary(site, data_dir, tmp_path):
    paths = ["/x/1.html", "/x/2.html"]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, article_html(n, site.url(path)))
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[defaults]
download_delay = 0
autothrottle = false
[[source]]
name = "local"
start_urls = ["{site.url('/')}"]
robots_sitemaps = false
""")
    result = _cli(["crawl", "--sources", str(sources)], data_dir)
    assert result.exit_code == 0, result.output
    assert str(data_dir) in result.output.replace("\n", "")
    with Store(None, data_dir) as store:
        assert store.count_documents() == 2
    # not a terminal (a pipe, a log): plain lines, no table redrawn, "Summary" on a line of its own
    lines = result.output.splitlines()
    assert not set("━┃│─┏┓┗┛╇") & set(result.output), result.output
    assert lines[:2] == ["local: starting", "local: crawling"], lines
    assert lines[2].startswith("local: done: fetched 3, stored 2, copies 0, unchanged 0, rejected 1")
    assert lines[3:5] == ["", "Summary"]
    assert lines[5].startswith("local (run ") and "fetched 3, stored 2" in lines[5]


def test_live_table_and_summary_fit_80_columns_and_agree_on_every_count():
    import io

    from rich.console import Console

    from crawler.crawl.stats import CrawlStats
    from flows.commands.crawl import _COLUMNS, Board, summary_lines

    stats = CrawlStats(source="a-source-with-a-rather-long-name", fetched=1234, stored=900, copies=120,
                       unchanged=0, not_modified=3, skipped_recent=27,
                       rejected={"no_article": 12, "robots_disallowed": 3, "too_short": 1},
                       failed={"timeout": 2}, duration_s=12.5, pages_per_s=98.7, run_id=7)
    board = Board([stats.source, "second"])
    board.update(stats, "done")
    terminal = Console(width=80, force_terminal=True, record=True, file=io.StringIO())
    terminal.print(board.table())
    for line in summary_lines([stats]):
        terminal.print(line, markup=False, highlight=False, soft_wrap=True)
    text = terminal.export_text()
    table, summary = text.split("Summary\n")
    assert "…" not in text
    assert all(len(line) <= 80 for line in table.splitlines())
    header = next(line for line in table.splitlines() if "fetched" in line)
    assert header.split() == ["source", "state", *_COLUMNS]
    row = next(line for line in table.splitlines() if "done" in line).split()
    # the live table's `unchanged` is the summary's: same text 0 + 304 3 + fetched recently 27
    assert row[-7:] == ["1234", "900", "120", "30", "16", "2", "98.7"]
    assert "unchanged 30" in summary and "0 same text, 3 not modified (304), 27 not refetched" in summary
    # reasons whole, never cut
    assert "rejected: no_article 12, robots_disallowed 3, too_short 1" in " ".join(summary.split())
    assert "failed: timeout 2" in summary


def test_a_source_that_is_stopping_stays_stopping_until_it_ends():
    from crawler.crawl.stats import CrawlStats
    from flows.commands.crawl import Board

    board = Board(["wire"])
    lines: list[str] = []
    board.on_state = lambda name: lines.append(board.line(name))
    board.update(CrawlStats(source="wire", fetched=3))
    board.set_state("wire", "stopping")  # Ctrl-C
    board.update(CrawlStats(source="wire", fetched=4))  # the pages in flight still come in
    board.update(CrawlStats(source="wire", fetched=5, status="interrupted"), "interrupted")
    assert lines == ["wire: crawling", "wire: stopping", "wire: interrupted"]


def test_cli_refuses_a_wrong_sources_file_with_one_line(data_dir, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "bad"\nstart_urls = ["http://127.0.0.1:9/"]\nmax_pages = "many"\n')
    result = _cli(["crawl", "--sources", str(sources)], data_dir)
    assert result.exit_code == 2
    assert "max_pages" in result.output and "bad" in result.output

    sources.write_text('[[source]]\nname = "one"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    result = _cli(["crawl", "--sources", str(sources), "--source", "two"], data_dir)
    assert result.exit_code == 2
    assert "'two'" in result.output and "one" in result.output
