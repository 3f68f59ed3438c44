"""Many sources, one crawl: each host held to its own pace while the others
proceed, a dead server that slows nobody, resume after SIGKILL, rejected pages
not downloaded again and again, fresh news first, lists found from a home
page, each URL counted once, Ctrl-C, and one crawl of a source at a time.

Sites are served on 127.0.0.1, one port each (one port, one host). Nothing
waits on the clock to synchronise: each test polls a condition with a
deadline."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.crawl.run import crawl_source, crawl_sources
from crawler.crawl.sources import Politeness, Source
from storage.schema import documents, fetches
from storage.store import Store
from storage.utc import utc_now
from tests.sites import Request, Response, Site
from tests.test_crawl import FAST, _short_page, article_html, index_html, plain_article_html

REPO = Path(__file__).resolve().parents[1]
NO_EXTRAS = {"obey_robots": False, "autothrottle": False}


def local_source(site: Site, name: str, **keys) -> Source:
    """A source for a local site: start page only, no robots.txt, no guessed sitemaps."""
    politeness = {"concurrency_per_host": 8, **NO_EXTRAS, **keys.pop("politeness", {})}
    return Source(name=name, start_urls=(site.url("/"),), robots_sitemaps=False, discover=False,
                  politeness=Politeness(**politeness), **keys)


def timed(site: Site, arrivals: list[float], route):
    """A route that notes when each request reached `site`."""
    def answer(req: Request) -> Response:
        arrivals.append(time.monotonic())
        return route(req) if callable(route) else Response(200, route)
    return answer


def wait_for(condition, timeout: float, what: str, pause: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(pause)


# -- one engine, a pace per host --------------------------------------------------


def test_two_sources_crawled_together_each_host_at_its_own_pace(data_dir):
    """Two sites with a delay each: every site's request log keeps its own
    delay between requests, while the other site's requests fall in
    between, so the crawl takes about as long as the slower site alone."""
    delays = {"slow": 0.6, "quick": 0.3}
    arrivals: dict[str, list[float]] = {name: [] for name in delays}
    with Site() as slow, Site() as quick:
        sites = {"slow": slow, "quick": quick}
        for name, site in sites.items():
            paths = [f"/{name}/{n}.html" for n in range(5)]
            site.add("/", timed(site, arrivals[name], index_html(paths)))
            for n, path in enumerate(paths):
                site.add(path, timed(site, arrivals[name], plain_article_html(n + (0 if name == "slow" else 50))))
        sources = [local_source(sites[name], name, politeness={"download_delay": delay, "concurrency_per_host": 1})
                   for name, delay in delays.items()]
        result = crawl_sources(sources, database_url=None, data_dir=data_dir,
                               settings_overrides={"WIRECRAWL_EXTRACT_WORKERS": 1})
    assert [s.stored for s in result.stats] == [5, 5]
    for name, delay in delays.items():
        times = arrivals[name]
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert len(times) == 6 and min(gaps) >= delay - 0.05, (name, gaps)  # the host's own delay held
    slow_times, quick_times = arrivals["slow"], arrivals["quick"]
    # the quick site proceeds while the slow one waits out its delay
    assert sum(slow_times[0] < t < slow_times[-1] for t in quick_times) >= 3, (slow_times, quick_times)
    assert quick_times[-1] < slow_times[-1]


def test_requests_in_flight_to_a_host_stay_within_its_concurrency_with_no_delay(data_dir):
    """No delay, two requests at a time per host: however many requests the
    crawl hands the downloader at once, the slow server never has more than
    two in flight."""
    import threading

    lock, in_flight, most = threading.Lock(), [0], [0]

    def slow_page(n: int):
        def answer(req: Request) -> Response:
            with lock:
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
            time.sleep(0.1)  # the server's own slowness: requests overlap if the crawl lets them
            with lock:
                in_flight[0] -= 1
            return Response(200, plain_article_html(n))
        return answer

    with Site() as site:
        paths = [f"/p/{n}.html" for n in range(12)]
        site.add("/", index_html(paths))
        for n, path in enumerate(paths):
            site.add(path, slow_page(n))
        source = local_source(site, "two", politeness={"concurrency_per_host": 2, "download_delay": 0})
        result = crawl_sources([source], database_url=None, data_dir=data_dir, settings_overrides=FAST)
    assert result.stats[0].stored == 12
    assert most[0] == 2


def test_two_sources_on_one_host_share_its_pace_and_the_politer_delay_wins(data_dir):
    """Two sources that name one host: the host still gets one request at a
    time, the longer of the two delays apart."""
    arrivals: list[float] = []
    with Site() as site:
        for section in ("a", "b"):
            paths = [f"/{section}/{n}.html" for n in range(3)]
            site.add(f"/{section}/", timed(site, arrivals, index_html(paths)))
            for n, path in enumerate(paths):
                site.add(path, timed(site, arrivals, plain_article_html(n + (0 if section == "a" else 10))))
        hurried = Source(name="hurried", start_urls=(site.url("/a/"),), robots_sitemaps=False, discover=False,
                         politeness=Politeness(download_delay=0.1, concurrency_per_host=4, **NO_EXTRAS))
        patient = Source(name="patient", start_urls=(site.url("/b/"),), robots_sitemaps=False, discover=False,
                         politeness=Politeness(download_delay=0.5, concurrency_per_host=1, **NO_EXTRAS))
        result = crawl_sources([hurried, patient], database_url=None, data_dir=data_dir,
                               settings_overrides={"WIRECRAWL_EXTRACT_WORKERS": 1})
    assert [s.stored for s in result.stats] == [3, 3]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(arrivals) == 8 and min(gaps) >= 0.45, gaps


def test_a_source_whose_server_never_answers_slows_no_other(data_dir):
    """One source's server accepts connections and never answers; the other
    source is crawled in full and reported done while the first still
    waits; the first ends unreachable, with its reason."""
    with Site() as good, socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(64)  # accepts, never answers
        dead_url = f"http://127.0.0.1:{black_hole.getsockname()[1]}/"
        paths = [f"/ok/{n}.html" for n in range(4)]
        good.add("/", index_html(paths))
        for n, path in enumerate(paths):
            good.add(path, plain_article_html(n))
        dead = Source(name="dead", start_urls=(dead_url,), feeds=(dead_url + "feed.xml",), robots_sitemaps=False,
                      discover=False, politeness=Politeness(timeout=4, retry_times=1, **NO_EXTRAS))
        done_order: list[str] = []
        result = crawl_sources([dead, local_source(good, "good", politeness={"download_delay": 0})],
                               database_url=None, data_dir=data_dir,
                               on_done=lambda s: done_order.append(s.source),
                               settings_overrides={"WIRECRAWL_EXTRACT_WORKERS": 1, "WIRECRAWL_RETRY_BACKOFF_BASE": 0})
    stats = {s.source: s for s in result.stats}
    assert stats["good"].stored == 4 and stats["good"].unreachable is None
    assert done_order[0] == "good"  # done while the dead server was still being waited for
    assert stats["good"].duration_s < 3  # not one timeout (4 s) of the other source
    assert stats["dead"].unreachable.startswith("timeout") and stats["dead"].failed == {"timeout": 2}
    with Store(None, data_dir) as store:
        runs = {r.source: r for r in store.recent_runs()}
    assert runs["good"].finished_at < runs["dead"].finished_at  # each run ends when its source is done
    assert runs["dead"].stats["unreachable"].startswith("timeout")


_MANY_CRAWL = """
import json, sys
from pathlib import Path
from crawler.crawl.run import crawl_sources
from crawler.crawl.sources import Politeness, Source
args = json.loads(sys.argv[1])
sources = [Source(name=name, start_urls=(url,), robots_sitemaps=False, discover=False,
                  politeness=Politeness(concurrency_per_host=2, obey_robots=False, autothrottle=False))
           for name, url in args["sources"].items()]
crawl_sources(sources, database_url=None, data_dir=Path(args["data_dir"]), settings_overrides=args["overrides"])
"""


def test_a_many_source_crawl_killed_with_sigkill_resumes_every_source_without_storing_twice(data_dir):
    pages = {f"s{k}": [f"/s{k}/{n}.html" for n in range(12)] for k in range(3)}
    with Site() as a, Site() as b, Site() as c:
        sites = dict(zip(pages, (a, b, c)))
        for k, (name, site) in enumerate(sites.items()):
            site.add("/", index_html(pages[name]))
            for n, path in enumerate(pages[name]):
                site.add(path, Response(200, article_html(100 * k + n, site.url(path)), delay=0.15))
        args = {"sources": {name: site.url("/") for name, site in sites.items()}, "data_dir": str(data_dir),
                "overrides": FAST}
        child = subprocess.Popen([sys.executable, "-c", _MANY_CRAWL, json.dumps(args)], cwd=REPO,
                                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        store = Store(None, data_dir)
        try:
            def stored_from_each() -> bool:
                assert child.poll() is None, child.stderr.read().decode()
                with store.read() as conn:
                    urls = set(conn.execute(select(documents.c.url)).scalars())
                return all(any(site.base in u for u in urls) for site in sites.values()) and len(urls) >= 6

            wait_for(stored_from_each, 60, "a document stored for every source")
            os.killpg(child.pid, signal.SIGKILL)  # the crawl and every process it started
            child.wait()
            with store.read() as conn:
                before = set(conn.execute(select(documents.c.url)).scalars())
            assert 6 <= len(before) < 36, "the kill came too late to test a resume"
            killed = [r.id for r in store.recent_runs() if r.status == "running"]
            assert len(killed) == 3
            seen = {name: len(site.requests) for name, site in sites.items()}

            sources = [local_source(site, name, politeness={"concurrency_per_host": 2})
                       for name, site in sites.items()]
            result = crawl_sources(sources, database_url=None, data_dir=data_dir, settings_overrides=FAST)
            with store.read() as conn:
                per_url = dict(conn.execute(select(documents.c.url, func.count()).group_by(documents.c.url)).all())
            runs = {r.id: r for r in store.recent_runs()}
        finally:
            store.close()
    for name, site in sites.items():
        for path in pages[name]:
            assert per_url.get(site.url(path)) == 1, path  # every page of every source stored, none twice
        again = {r.path for r in site.requests[seen[name]:]}
        assert not {u for u in before if u.startswith(site.base) and u[len(site.base):] in again}
    assert all(runs[i].status == "abandoned" for i in killed)  # the new crawl marked the dead runs
    assert sum(s.skipped_recent for s in result.stats) == len(before)


# -- rejected pages, fresh news, lists found from a home page, counted once ---------


def test_a_rejected_page_is_not_fetched_again_within_the_interval_then_asked_conditionally(data_dir):
    with Site() as site:
        etag, modified = '"note-1"', "Mon, 04 Mar 2024 10:00:00 GMT"

        def note(req: Request) -> Response:
            if req.headers.get("if-none-match") == etag:
                return Response(304, "", headers={"ETag": etag})
            return Response(200, _short_page(1), headers={"ETag": etag, "Last-Modified": modified})

        site.add("/", index_html(["/story.html", "/note.html"]))
        site.add("/story.html", plain_article_html(1))
        site.add("/note.html", note)
        src = local_source(site, "notes")
        first = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        assert first.rejected == {"no_article": 1, "too_short": 1} and first.stored == 1

        asked = len(site.requests)
        second = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        assert "/note.html" not in [r.path for r in site.requests[asked:]]  # within the interval: not asked
        assert (second.skipped_rejected, second.skipped_recent) == (1, 1)

        asked = len(site.requests)
        third = crawl_source(src, database_url=None, data_dir=data_dir,
                             settings_overrides={**FAST, "WIRECRAWL_RECRAWL_INTERVAL_HOURS": 0})
        [again] = [r for r in site.requests[asked:] if r.path == "/note.html"]
        assert again.headers.get("if-none-match") == etag and again.headers.get("if-modified-since") == modified
        assert third.rejected.get("too_short") == 1 and third.extracted == 0  # a 304 and same bodies: no extraction
    with Store(None, data_dir) as store:
        last = store.fetch_history(site.url("/note.html"))[-1]
    assert (last.outcome, last.status) == ("rejected", 304) and last.reason.startswith("too_short")


@pytest.mark.parametrize("status", [404, 410])
def test_a_page_gone_is_not_asked_again_within_the_interval(data_dir, status):
    """A stored article that now answers 404 or 410 is not asked on every
    run: like a rejected page, it waits out the recrawl interval
    (`recently_gone`), then is asked again; back, with the same body, it is
    the document it was."""
    with Site() as site:
        answer = [200]
        site.add("/", index_html(["/a.html"]))
        site.add("/a.html", lambda req: Response(200, plain_article_html(1)) if answer[0] == 200
                 else Response(answer[0], "<html><body>gone</body></html>"))
        src = local_source(site, "gone")
        due = {**FAST, "WIRECRAWL_RECRAWL_INTERVAL_HOURS": 0}
        assert crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST).stored == 1
        answer[0] = status
        gone = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=due)
        assert gone.failed == {"http_status": 1}

        asked = len(site.requests)
        held = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        assert "/a.html" not in [r.path for r in site.requests[asked:]]
        assert held.skipped_gone == 1 and held.failed == {}

        answer[0] = 200
        asked = len(site.requests)
        back = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=due)
        assert [r.path for r in site.requests[asked:]].count("/a.html") == 1
        assert back.unchanged == 1 and back.stored == 0
    with Store(None, data_dir) as store:
        assert store.count_documents() == 1


def _etagged(render, listed: list[str]):
    """A route serving render(listed) with an ETag that changes with the list,
    answering 304 to a request that sends the current one."""
    def route(req: Request) -> Response:
        etag = f'"v{len(listed)}-{abs(hash(tuple(listed))) % 65536}"'
        if req.headers.get("if-none-match") == etag:
            return Response(304, "", headers={"ETag": etag})
        return Response(200, render(listed), headers={"ETag": etag})
    return route


def _labels_section(paths: list[str]) -> str:
    items = "".join(f'<li><a href="{p}">Story {n}</a> <span>Politics</span> <span>Dec {n + 1}, 2026</span></li>'
                    for n, p in enumerate(paths))
    return f"<!DOCTYPE html><html><head><title>Politics</title></head><body><h1>Politics</h1><ul>{items}</ul></body></html>"


def _blurb_section(paths: list[str]) -> str:
    items = "".join(f'<li><a href="{p}">Story {n}</a></li>' for n, p in enumerate(paths))
    return ("<!DOCTYPE html><html><head><title>Politics</title></head><body><h1>Politics</h1>"
            f"<p>All our coverage of politics, updated every hour.</p><ul>{items}</ul></body></html>")


@pytest.mark.parametrize("render,verdict", [(index_html, "no_article: a list of"),
                                            (_labels_section, "no_article: only labels"),
                                            (_blurb_section, "no_article: a list of 2 links under 1 line")],
                         ids=["links", "labels", "blurb"])
def test_a_section_page_reached_by_a_link_is_read_every_run_and_its_new_articles_found(data_dir, render, verdict):
    """A section page is rejected as no article (a list of links, of
    labelled links, a line of blurb over a list); but new articles
    appear there. It is read again on every run, in full even when the
    server has validators (a 304 has no links to follow), and an article it
    newly lists is found. Unchanged, it costs no extraction; a short notice
    listed in a sitemap stays skipped within the interval."""
    with Site() as site:
        listed = ["/a1.html", "/a3.html"]
        site.add("/", index_html(["/section/"]))
        site.add("/section/", _etagged(render, listed))
        site.add("/sitemap.xml", Response(200, _urlset([(site.url("/note.html"), "")]),
                                          content_type="application/xml"))
        site.add("/note.html", _short_page(1))
        site.add("/a1.html", plain_article_html(1))
        site.add("/a2.html", plain_article_html(2))
        site.add("/a3.html", plain_article_html(3))
        src = local_source(site, "sections", sitemaps=(site.url("/sitemap.xml"),))
        first = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        assert first.stored == 2
        with Store(None, data_dir) as store:
            assert store.fetch_history(site.url("/section/"))[-1].reason.startswith(verdict)

        asked = len(site.requests)
        second = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        again = [r for r in site.requests[asked:] if r.path == "/section/"]
        assert len(again) == 1 and again[0].headers.get("if-none-match") is None  # in full: its links are read
        assert "/note.html" not in [r.path for r in site.requests[asked:]]
        assert second.skipped_rejected == 1 and second.extracted == 0  # same body: no extraction

        listed.append("/a2.html")  # a new article, listed on the section page only
        asked = len(site.requests)
        third = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        assert [r.path for r in site.requests[asked:]].count("/a2.html") == 1
        assert third.stored == 1
    with Store(None, data_dir) as store:
        assert store.find_document(site.url("/a2.html")) is not None


def test_a_linked_page_with_no_text_at_all_waits_out_the_interval(data_dir):
    """Only a page rejected as a list is read on every run: one with no text
    at all (a video page, a page drawn by scripts) is rejected as any other
    page and waits out the recrawl interval."""
    with Site() as site:
        site.add("/", index_html(["/video/1.html"]))
        site.add("/video/1.html", "<!DOCTYPE html><html><head><title>Clip</title></head>"
                                  "<body><div id='player'></div><script>load()</script></body></html>")
        src = local_source(site, "scripted")
        crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        with Store(None, data_dir) as store:
            assert store.fetch_history(site.url("/video/1.html"))[-1].reason.startswith("no_article: no main text")
        asked = len(site.requests)
        again = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        assert "/video/1.html" not in [r.path for r in site.requests[asked:]]
        assert again.skipped_rejected == 1


def test_a_section_page_also_listed_in_the_sitemap_still_leads_to_new_articles(data_dir):
    """Listed in the sitemap (read first: the home page is slow) and linked
    from the home page: skipped as a listed page, then read as a linked one."""
    with Site() as site:
        listed = ["/a1.html"]
        site.add("/", Response(200, index_html(["/section/"]), delay=0.5))
        site.add("/section/", lambda req: Response(200, index_html(listed)))
        site.add("/sitemap.xml", Response(200, _urlset([(site.url("/section/"), "")]), content_type="application/xml"))
        site.add("/a1.html", plain_article_html(1))
        site.add("/a2.html", plain_article_html(2))
        src = local_source(site, "listed", sitemaps=(site.url("/sitemap.xml"),))
        assert crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST).stored == 1
        listed.append("/a2.html")
        assert crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST).stored == 1


def test_an_unchanged_hub_page_still_leads_to_its_changed_sections_and_their_second_pages(data_dir):
    """A hub of sections that never changes (and answers 304 to validators)
    above sections that do, one of them paginated: the new articles of a
    section and of its second page are found on the next run."""
    with Site() as site:
        hub, world, world2 = ["/sections/world/", "/sections/sport/"], ["/a1.html", "/sections/world/?page=2"], ["/a2.html"]
        site.add("/", index_html(["/sections/"]))
        site.add("/sections/", _etagged(index_html, hub))
        site.add("/sections/world/", _etagged(index_html, world))
        site.add("/sections/world/?page=2", _etagged(index_html, world2))
        site.add("/sections/sport/", _etagged(index_html, ["/a3.html"]))
        for n in range(1, 7):
            site.add(f"/a{n}.html", plain_article_html(400 + n))
        src = local_source(site, "hub", max_depth=5)
        assert crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST).stored == 3
        world.append("/a4.html")
        world2.append("/a5.html")
        second = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
    assert second.stored == 2 and second.skipped_recent == 3


def test_articles_a_section_lists_beyond_max_pages_are_taken_by_the_next_runs(data_dir):
    with Site() as site:
        listed = [f"/a{n}.html" for n in range(6)]
        site.add("/", index_html(["/section/"]))
        site.add("/section/", _etagged(index_html, listed))
        for n in range(6):
            site.add(f"/a{n}.html", plain_article_html(600 + n))
        src = local_source(site, "capped", max_pages=5, politeness={"concurrency_per_host": 1})
        stored = [crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST).stored
                  for _ in range(3)]
        with Store(None, data_dir) as store:
            missing = [p for p in listed if store.find_document(site.url(p)) is None]
    assert stored[0] == 3 and missing == [], (stored, missing)


def test_a_page_reached_through_a_redirect_is_one_document_however_it_is_asked_for_later(data_dir):
    """A shortlink that redirects to an article, listed one day; the next
    day the article's own URL is listed, and in the same crawl a campaign
    link redirects to another listed article. Each article is downloaded
    once and stored once, under where it lives."""
    with Site() as site:
        listed = ["/r/k1", "/r/campaign", "/a/h1.html"]
        site.add("/sitemap.xml", lambda req: Response(200, _urlset([(site.url(p), "") for p in listed]),
                                                      content_type="application/xml"))
        site.add("/r/k1", Response(301, "", headers={"Location": "/a/k1.html"}))
        site.add("/r/campaign", Response(301, "", headers={"Location": "/a/h1.html?utm_source=feed&utm_medium=x"}))
        site.add("/a/k1.html", plain_article_html(1))
        site.add("/a/h1.html", plain_article_html(2))
        source = Source(name="redirects", sitemaps=(site.url("/sitemap.xml"),), follow_links=False,
                        robots_sitemaps=False, discover=False, politeness=Politeness(**NO_EXTRAS))

        first = crawl_sources([source], database_url=None, data_dir=data_dir, settings_overrides=FAST)
        assert sum(p == "/a/h1.html" for p in site.paths_requested()) == 1  # the campaign link's page: seen
        listed[:] = ["/a/k1.html"]  # the next day the sitemap names the article itself
        crawl_sources([source], database_url=None, data_dir=data_dir, settings_overrides=FAST)
        downloads = [p for p in site.paths_requested() if p.startswith("/a/")]
    assert sorted(downloads) == ["/a/h1.html", "/a/k1.html"], downloads
    assert first.stats[0].stored == 2
    with Store(None, data_dir) as store:
        assert store.count_documents() == 2
        assert store.find_document(site.url("/a/k1.html")).final_url == site.url("/a/k1.html")


def test_a_redirect_to_the_same_page_with_a_session_id_or_campaign_tags_is_followed(data_dir):
    """Servlet sites add ;jsessionid= to a URL for a client without cookies,
    others add campaign tags by redirect: the same page, fetched and stored
    once, not taken for a page seen already."""
    with Site() as site:
        site.add("/", index_html(["/a.html", "/b.html"]))
        site.add("/a.html", Response(302, "", headers={"Location": "/a.html;jsessionid=ABC123"}))
        site.add("/a.html;jsessionid=ABC123", plain_article_html(1))
        site.add("/b.html", lambda req: Response(200, plain_article_html(2)) if "utm_source" in req.path
                 else Response(302, "", headers={"Location": "/b.html?utm_source=web"}))
        result = crawl_sources([local_source(site, "session")], database_url=None, data_dir=data_dir,
                               settings_overrides=FAST)
    assert result.stats[0].stored == 2, result.stats[0]
    with Store(None, data_dir) as store:
        assert store.count_documents() == 2


def _urlset(entries: list[tuple[str, str]]) -> str:
    body = "".join(f"<url><loc>{loc}</loc>{extra}</url>" for loc, extra in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + body + "</urlset>")


def _rss(entries: list[tuple[str, str | None]]) -> str:
    items = "".join(f"<item><title>{loc}</title><link>{loc}</link>"
                    + (f"<pubDate>{date}</pubDate>" if date else "") + "</item>" for loc, date in entries)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def test_max_age_hours_leaves_old_sitemap_and_feed_entries_unfetched(data_dir):
    now = utc_now()
    fresh, old = now - timedelta(hours=2), now - timedelta(days=30)
    with Site() as site:
        def url(name: str) -> str:
            return site.url(f"/a/{name}.html")

        names = ["fresh-lastmod", "old-lastmod", "old-news", "undated", "fresh-feed", "old-feed", "old-then-fresh",
                 "fresh-then-old"]
        for n, name in enumerate(names):
            site.add(f"/a/{name}.html", plain_article_html(n))
        site.add("/sitemap.xml", Response(200, _urlset([
            (url("fresh-lastmod"), f"<lastmod>{fresh.isoformat()}</lastmod>"),
            (url("old-lastmod"), f"<lastmod>{old:%Y-%m-%d}</lastmod>"),
            (url("old-news"), f"<news:news><news:publication_date>{old.isoformat()}</news:publication_date>"
                              "</news:news>"),
            (url("undated"), ""),
            (url("old-then-fresh"), f"<lastmod>{old:%Y-%m-%d}</lastmod>"),
            (url("fresh-then-old"), f"<lastmod>{fresh.isoformat()}</lastmod>"),
            (url("fresh-then-old"), f"<lastmod>{old:%Y-%m-%d}</lastmod>"),  # requested already: not also "old"
        ]), content_type="application/xml"))
        site.add("/feed.xml", Response(200, _rss([
            (url("fresh-feed"), format_datetime(fresh, usegmt=True)),
            (url("old-feed"), format_datetime(old, usegmt=True)),
            (url("old-then-fresh"), format_datetime(fresh, usegmt=True)),  # listed fresh here: fetched
        ]), content_type="application/rss+xml"))
        src = Source(name="news", sitemaps=(site.url("/sitemap.xml"),), feeds=(site.url("/feed.xml"),),
                     follow_links=False, robots_sitemaps=False, max_age_hours=48,
                     politeness=Politeness(concurrency_per_host=1, **NO_EXTRAS))
        stats = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        requested = set(site.paths_requested())
    assert {f"/a/{n}.html" for n in ("fresh-lastmod", "undated", "fresh-feed", "old-then-fresh",
                                     "fresh-then-old")} <= requested
    assert not {f"/a/{n}.html" for n in ("old-lastmod", "old-news", "old-feed")} & requested
    assert stats.skipped_old == 3 and stats.stored == 5


def test_a_source_that_gives_only_its_home_page_finds_its_feeds_and_sitemaps(data_dir):
    """One site announces its feed in <link rel="alternate"> and keeps its
    sitemap at /sitemap.xml (robots.txt names none); another names a
    sitemap in robots.txt, which is read instead of the usual paths. Links
    are not followed: every article comes from a list found on the way."""
    with Site() as one, Site() as two:
        one.add("/", '<html><head><link rel="alternate" type="application/rss+xml" title="News" href="/rss">'
                     '<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/rss">'
                     '</head><body>Home</body></html>')
        one.add("/robots.txt", Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain"))
        one.add("/rss", Response(200, _rss([(one.url("/from-feed.html"), None)]), content_type="application/rss+xml"))
        one.add("/sitemap.xml", Response(200, _urlset([(one.url("/from-sitemap.html"), "")]),
                                         content_type="application/xml"))
        one.add("/from-feed.html", plain_article_html(1))
        one.add("/from-sitemap.html", plain_article_html(2))
        two.add("/", "<html><body>Home</body></html>")
        two.add("/robots.txt", Response(200, f"User-agent: *\nSitemap: {two.url('/maps/news.xml')}\n",
                                        content_type="text/plain"))
        two.add("/maps/news.xml", Response(200, _urlset([(two.url("/from-robots.html"), "")]),
                                           content_type="application/xml"))
        two.add("/from-robots.html", plain_article_html(3))
        sources = [Source(name=name, start_urls=(site.url("/"),), follow_links=False,
                          politeness=Politeness(**NO_EXTRAS)) for name, site in (("one", one), ("two", two))]
        result = crawl_sources(sources, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        asked_one, asked_two = set(one.paths_requested()), set(two.paths_requested())
    assert {"/rss", "/sitemap.xml", "/from-feed.html", "/from-sitemap.html"} <= asked_one
    assert "/comments/rss" not in asked_one  # a feed of comments lists no articles
    assert {"/maps/news.xml", "/from-robots.html"} <= asked_two and "/sitemap.xml" not in asked_two
    stats = {s.source: s for s in result.stats}
    assert stats["one"].stored == 2 and stats["two"].stored == 1
    assert stats["one"].failed == {} and stats["one"].rejected == {"no_article": 1}  # the missing paths are no failure


def test_a_url_listed_three_ways_is_counted_once_and_both_tables_agree(data_dir):
    """Nine articles, each in the feed, the sitemap and the home page's
    links: the second crawl counts nine not refetched, not 27, and the live
    table's `unchanged` is the summary's."""
    import io

    from rich.console import Console

    from flows.commands.crawl import Board, summary_lines, unchanged_total

    with Site() as site:
        paths = [f"/n/{n}.html" for n in range(9)]
        site.add("/", index_html(paths))
        for n, path in enumerate(paths):
            site.add(path, plain_article_html(n))
        site.add("/sitemap.xml", Response(200, _urlset([(site.url(p), "") for p in paths]),
                                         content_type="application/xml"))
        site.add("/feed.xml", Response(200, _rss([(site.url(p), None) for p in paths]),
                                       content_type="application/rss+xml"))
        src = Source(name="wire", start_urls=(site.url("/"),), sitemaps=(site.url("/sitemap.xml"),),
                     feeds=(site.url("/feed.xml"),), robots_sitemaps=False, politeness=Politeness(**NO_EXTRAS))
        first = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides=FAST)
        board = Board(["wire"])  # as `wirecrawl crawl` shows it: live counts, then each source when done
        result = crawl_sources([src], database_url=None, data_dir=data_dir, settings_overrides=FAST,
                               on_progress=board.update, on_done=lambda s: board.update(s, "done"))
        [second] = result.stats
    assert first.stored == 9 and first.fetched == 10
    assert second.skipped_recent == 9 and second.fetched == 1
    assert board.state["wire"] == "done"
    screen = Console(width=80, record=True, file=io.StringIO())
    screen.print(board.table())
    row = next(line for line in screen.export_text().splitlines() if line.startswith("wire")).split()
    assert row[5] == str(unchanged_total(second)) == "9"  # the live table's `unchanged`
    assert "unchanged 9" in summary_lines([second])[1]


# -- the command line: unreachable, Ctrl-C, busy ---------------------------------------


def _cli(*args: str, data_dir: Path, **popen):
    return subprocess.Popen([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PREFECT_API_URL": ""}, **popen)


def _sources_file(tmp_path: Path, sources: dict[str, str], **keys) -> Path:
    lines = ["[defaults]", "autothrottle = false", "obey_robots = false", "robots_sitemaps = false",
             "discover = false", *(f"{k} = {json.dumps(v)}" for k, v in keys.items()), ""]
    for name, url in sources.items():
        lines += ["[[source]]", f'name = "{name}"', f'start_urls = ["{url}"]', ""]
    path = tmp_path / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_source_that_cannot_be_resolved_is_unreachable_not_retried_and_the_exit_code_says_so(
        site, data_dir, tmp_path):
    site.add("/", index_html(["/a.html"]))
    site.add("/a.html", plain_article_html(1))
    sources = _sources_file(tmp_path, {"local": site.url("/"), "gone": "http://wirecrawl-test.invalid/"},
                            download_delay=0, retry_times=3)
    proc = _cli("crawl", "--sources", str(sources), data_dir=data_dir)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out + err
    assert "gone: unreachable: dns_error" in err and "local" not in err
    # One line for scripts that read stderr line by line, however long (the pipe has no width).
    [line] = [line for line in err.splitlines() if "unreachable" in line]
    assert line.startswith("wirecrawl crawl: gone: unreachable: dns_error") and "wirecrawl-test.invalid" in line
    assert len(err.strip().splitlines()) == 1, err
    assert "unreachable: dns_error" in out  # in the summary too
    with Store(None, data_dir) as store:
        history = store.fetch_history("http://wirecrawl-test.invalid/")
        assert [r.reason.split(":")[0] for r in history] == ["dns_error"]  # asked once: not retried
        assert store.find_document(site.url("/a.html")) is not None


def test_ctrl_c_stops_the_crawl_cleanly_and_the_next_crawl_resumes(site, data_dir, tmp_path):
    paths = [f"/w/{n}.html" for n in range(40)]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, Response(200, plain_article_html(n), delay=0.1))
    sources = _sources_file(tmp_path, {"slow": site.url("/")}, download_delay=0, concurrency_per_host=1)
    proc = _cli("crawl", "--sources", str(sources), data_dir=data_dir, start_new_session=True)
    store = Store(None, data_dir)
    try:
        wait_for(lambda: store.count_documents() >= 3 or proc.poll() is not None, 90, "three pages stored")
        assert proc.poll() is None, proc.communicate()
        asked_before = len(site.paths_requested())
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole foreground group
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, out + err
        # The page in flight finishes; the requests waiting for their turn at the host are not
        # sent (one request at a time: a few may start while the signal reaches the crawl).
        assert len(site.paths_requested()) - asked_before <= 3, site.paths_requested()[asked_before:]
        assert "Summary" in out and "Interrupted" in out and "Traceback" not in err
        [run] = store.recent_runs(1)
        assert run.status == "interrupted" and run.stats["stored"] >= 3
        stored_before = store.count_documents()
        assert stored_before < len(paths)
        again = _cli("crawl", "--sources", str(sources), data_dir=data_dir)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, out + err
        with store.read() as conn:
            per_url = dict(conn.execute(select(documents.c.url, func.count()).group_by(documents.c.url)).all())
    finally:
        store.close()
    assert all(per_url.get(site.url(p)) == 1 for p in paths), per_url


def test_sigterm_to_every_process_of_a_crawl_at_once_still_finishes_the_pages_in_flight(site, data_dir, tmp_path):
    """A service manager stops a service by signalling all its processes at
    once (the program, its fork servers, its crawl and extraction
    processes), and the program passes its own signal on to the crawl: one
    request to stop, and every page asked for before it is stored."""
    paths = [f"/w/{n}.html" for n in range(40)]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, Response(200, plain_article_html(n), delay=1.0))  # pages in flight at the signal
    sources = _sources_file(tmp_path, {"slow": site.url("/")}, download_delay=0, concurrency_per_host=4)
    proc = _cli("crawl", "--sources", str(sources), data_dir=data_dir, start_new_session=True)
    store = Store(None, data_dir)
    try:
        wait_for(lambda: store.count_documents() >= 4 or proc.poll() is not None, 90, "four pages stored")
        assert proc.poll() is None, proc.communicate()
        asked = {p for p in site.paths_requested() if p.startswith("/w/")}
        os.killpg(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        with store.read() as conn:
            stored = set(conn.execute(select(documents.c.url)).scalars())
        [run] = store.recent_runs(1)
    finally:
        store.close()
    assert "Traceback" not in err, err
    assert run.status == "interrupted"
    assert {site.url(p) for p in asked} <= stored, sorted({site.url(p) for p in asked} - stored)


def test_a_second_signal_within_a_second_of_the_first_is_the_same_request_to_stop(monkeypatch):
    """The program that runs a crawl may hear SIGTERM twice at once (a
    service manager's, and the one a `serve` passes on): only a second
    request that comes later stops the crawl process at once."""
    import crawler.crawl.run as run_module

    child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, "
                              "signal.SIG_IGN); print('ready', flush=True); time.sleep(120)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        stop = run_module._Stop(child, None)
        stop._handle(signal.SIGTERM, None)
        stop._handle(signal.SIGTERM, None)
        assert not stop.forced and child.poll() is None
        monkeypatch.setattr(run_module, "SAME_STOP_S", 0.0)  # the next comes "later"
        stop._handle(signal.SIGTERM, None)
        assert stop.forced and child.wait(timeout=30) == -signal.SIGKILL
    finally:
        child.kill()
        child.wait()


def test_max_pages_bounds_what_is_downloaded_not_only_what_is_kept(site, data_dir):
    """Many requests are handed to the downloader at once; a source with
    max_pages still downloads no more pages than that (the start page
    included), and the next crawl takes the next ones."""
    paths = [f"/p/{n}.html" for n in range(30)]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, plain_article_html(n))
    source = local_source(site, "capped", max_pages=4)

    first = crawl_sources([source], database_url=None, data_dir=data_dir, settings_overrides=FAST)
    fetched_first = [p for p in site.paths_requested() if p.startswith("/p/")]
    assert len(fetched_first) == 3, fetched_first  # and the start page: 4 pages
    [stats] = first.stats
    assert stats.stored == 3

    crawl_sources([source], database_url=None, data_dir=data_dir, settings_overrides=FAST)
    fetched = [p for p in site.paths_requested() if p.startswith("/p/")]
    assert len(fetched) == 6 and len(set(fetched)) == 6, fetched  # three new ones, none again


def test_a_second_ctrl_c_stops_at_once_and_the_run_counts_what_the_store_holds(site, data_dir, monkeypatch):
    import threading

    import crawler.crawl.run as run_module

    # A second Ctrl-C however soon after the first: this test asks for it at once.
    monkeypatch.setattr(run_module, "SAME_STOP_S", 0.0)

    paths = [f"/w/{n}.html" for n in range(40)]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, Response(200, plain_article_html(n), delay=1.0))  # pages in flight at the second
    src = Source(name="slow", start_urls=(site.url("/"),),
                 politeness=Politeness(concurrency_per_host=4, obey_robots=False, autothrottle=False,
                                       download_delay=0))
    store = Store(None, data_dir)
    stopping = threading.Event()

    def ctrl_c_twice() -> None:  # at the terminal, once pages are stored
        wait_for(lambda: store.count_documents() >= 3, 90, "three pages stored")
        os.kill(os.getpid(), signal.SIGINT)
        assert stopping.wait(30)  # the first was taken (two at once would be one signal)
        os.kill(os.getpid(), signal.SIGINT)  # a second request (SAME_STOP_S is 0 here)

    presser = threading.Thread(target=ctrl_c_twice)
    presser.start()
    try:
        # Counts reported once a minute: the crawl process is killed long
        # before it reports the pages its extraction processes committed.
        result = crawl_sources([src], database_url=None, data_dir=data_dir, on_stopping=stopping.set,
                               settings_overrides={**FAST, "WIRECRAWL_PROGRESS_INTERVAL": 60})
        presser.join()
        [run] = store.recent_runs(1)
        recorded = store.run_outcomes(run.id)
    finally:
        store.close()
    [stats] = result.stats
    assert result.interrupted and run.status == "interrupted"
    assert recorded.get("stored", 0) >= 3
    assert (stats.stored, stats.copies) == (recorded.get("stored", 0), recorded.get("copy", 0))
    assert (run.stats["stored"], run.stats["copies"]) == (stats.stored, stats.copies)
    assert stats.fetched >= stats.stored + stats.copies


def test_a_second_crawl_of_a_source_being_crawled_says_it_is_busy(site, data_dir, tmp_path):
    paths = [f"/w/{n}.html" for n in range(28)]
    site.add("/", index_html(paths))
    for n, path in enumerate(paths):
        site.add(path, Response(200, plain_article_html(n), delay=0.1))
    # 28 pages 0.3 s apart: the first crawl lasts while the second starts
    sources = _sources_file(tmp_path, {"wire": site.url("/")}, download_delay=0.3, concurrency_per_host=1)
    first = _cli("crawl", "--sources", str(sources), data_dir=data_dir)
    try:
        wait_for(lambda: site.paths_requested().count("/") == 1 and len(site.requests) > 2
                 or first.poll() is not None, 90, "the first crawl under way")
        assert first.poll() is None, first.communicate()
        second = _cli("crawl", "--sources", str(sources), data_dir=data_dir)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 4, out + err
        assert "wire: busy: is being crawled by run 1 (pid" in out
        assert first.poll() is None  # still crawling: the second left it alone
        assert site.paths_requested().count("/") == 1  # the second asked nothing
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, out + err
    finally:
        if first.poll() is None:
            first.kill()
    with Store(None, data_dir) as store, store.read() as conn:
        per_url = dict(conn.execute(select(fetches.c.url, func.count()).where(fetches.c.outcome == "stored")
                                    .group_by(fetches.c.url)).all())
    assert per_url and set(per_url.values()) == {1}


# -- schedules ------------------------------------------------------------------------


@pytest.mark.parametrize("cron, minute, due", [
    ("*/30 * * * *", "2026-11-22T03:30:00+00:00", True),
    ("*/30 * * * *", "2026-11-22T03:31:00+00:00", False),
    ("15 6 * * *", "2026-11-22T06:15:42+00:00", True),  # seconds do not count
    ("0 12 * * *", "2026-11-22T13:00:00+01:00", True),  # UTC
    ("not a cron", "2026-11-22T03:30:00+00:00", False),
])
def test_a_schedule_falls_due_at_its_minutes_in_utc(cron, minute, due):
    from datetime import datetime

    from flows.schedule import falls_due

    assert falls_due(cron, datetime.fromisoformat(minute)) is due
