"""robots.txt in a crawl (crawler.crawl.robots): asked for once per origin,
its Sitemap: lines read from that one answer, and a robots.txt that cannot
be read (5xx, no answer in time, headers dripped, a body that does not
decompress) taken as "everything disallowed", page by page, with the reason
recorded; the next crawl asks again. Crawls of sites on 127.0.0.1 (and
[::1] where the machine has it), asserting on their request logs."""

from __future__ import annotations

import random

import pytest

from crawler.crawl.run import crawl_source
from crawler.crawl.sources import Politeness, Source
from storage.store import Store
from tests.sampleweb.articles import ARTICLES
from tests.sites import Response, Site, ipv6_loopback

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "WIRECRAWL_RETRY_BACKOFF_BASE": 0,
        "WIRECRAWL_EXTRACT_WORKERS": 1}
_POOL = [p for a in ARTICLES if a.lang == "en" for p in a.paragraphs]


def article(n: int) -> str:
    """Story number n: its own paragraphs, so no two numbers are copies."""
    body = "".join(f"<p>{p}</p>" for p in random.Random(n).sample(_POOL, 6))
    return (f"<html><head><title>Harbour story {n}</title></head><body><article><h1>Harbour story {n}</h1>"
            f"{body}</article></body></html>")


def home(*paths: str) -> str:
    return "<html><body><ul>" + "".join(f'<li><a href="{p}">{p}</a></li>' for p in paths) + "</ul></body></html>"


def news_site(site: Site) -> list[str]:
    paths = ["/news/1.html", "/news/2.html"]
    site.add("/", home(*paths))
    for n, path in enumerate(paths):
        site.add(path, article(n))
    return paths


def source(site: Site, name: str = "harbour", **kw) -> Source:
    politeness = Politeness(concurrency_per_host=4, retry_times=0, timeout=kw.pop("timeout", 5.0))
    # discover=False: no sitemap guessed at the usual paths, so the requests are the ones each test names.
    return Source(name=name, start_urls=(site.url("/"),), robots_sitemaps=kw.pop("robots_sitemaps", False),
                  discover=kw.pop("discover", False), politeness=politeness, **kw)


def crawl(src: Source, data_dir, **overrides):
    return crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides={**FAST, **overrides})


def reason_of(data_dir, url: str) -> str:
    with Store(None, data_dir) as store:
        history = store.fetch_history(url)
    assert history, f"nothing recorded for {url}"
    return history[-1].reason or history[-1].outcome


def test_robots_txt_is_asked_for_once_and_its_sitemap_lines_come_from_that_answer(site, data_dir):
    paths = news_site(site)
    site.add("/robots.txt", Response(200, f"User-agent: *\nDisallow: /private/\nSitemap: {site.url('/map.xml')}\n",
                                     content_type="text/plain"))
    site.add("/map.xml", Response(200, '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                                       f'sitemap/0.9"><url><loc>{site.url("/private/3.html")}</loc></url>'
                                       f'<url><loc>{site.url("/news/4.html")}</loc></url></urlset>',
                                  content_type="application/xml"))
    site.add("/news/4.html", article(4))
    site.add("/private/3.html", article(3))

    stats = crawl(source(site, robots_sitemaps=True), data_dir)

    requested = site.paths_requested()
    assert requested.count("/robots.txt") == 1 and requested[0] == "/robots.txt"
    assert "/map.xml" in requested and "/private/3.html" not in requested
    assert stats.stored == 3, (stats, requested)
    assert reason_of(data_dir, site.url("/private/3.html")).startswith("robots_disallowed")
    assert set(paths) <= set(requested)


# Each way robots.txt can fail to be read, as the site serves it.
UNREADABLE = {
    "HTTP 500": Response(500, "<html><body>oops</body></html>"),
    "no answer in time": Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain", delay=4.0),
    "headers dripped": Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain", drip=0.05,
                                headers={"X-Pad": "x" * 4000}),
    "not gzip": Response(200, b"\x1f\x8b\x08 not gzip", content_type="text/plain",
                         headers={"Content-Encoding": "gzip"}),
}


@pytest.mark.parametrize("trouble", UNREADABLE)
def test_a_robots_txt_that_cannot_be_read_disallows_the_whole_site_for_this_crawl(site, data_dir, trouble):
    news_site(site)
    site.add("/robots.txt", UNREADABLE[trouble])

    stats = crawl(source(site, timeout=1.0), data_dir)

    assert site.paths_requested() == ["/robots.txt"]  # not retried, and no page asked for
    assert stats.stored == 0 and stats.failed.get("robots_unavailable") == 1
    reason = reason_of(data_dir, site.url("/"))
    assert reason.startswith("robots_unavailable: " + site.url("/") + ": not requested: ")
    assert site.url("/robots.txt") in reason


def test_a_robots_txt_server_error_holds_for_one_crawl_only(site, data_dir):
    paths = news_site(site)
    site.add("/robots.txt", Response(503, "busy"))
    first = crawl(source(site), data_dir)
    assert first.stored == 0 and first.failed == {"robots_unavailable": 1}

    site.add("/robots.txt", Response(200, "User-agent: *\nAllow: /\n", content_type="text/plain"))
    second = crawl(source(site), data_dir)

    assert second.stored == 2
    assert site.paths_requested()[:3] == ["/robots.txt", "/robots.txt", "/"]  # asked again, then obeyed
    assert sorted(site.paths_requested()[3:]) == paths


def test_a_missing_robots_txt_allows_everything(site, data_dir):
    news_site(site)
    site.add("/robots.txt", Response(404, "no such file"))

    assert crawl(source(site), data_dir).stored == 2
    assert site.paths_requested().count("/robots.txt") == 1


def test_a_12_mb_robots_txt_is_read_to_its_first_500_kib(site, data_dir):
    news_site(site)
    padding = "# " + "x" * 97 + "\n"
    site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /\n" + padding * (12 * 1024 * 1024 // 100),
                                     content_type="text/plain"))

    stats = crawl(source(site), data_dir)

    assert site.paths_requested() == ["/robots.txt"]
    assert stats.rejected == {"robots_disallowed": 1} and stats.failed == {}
    assert reason_of(data_dir, site.url("/")).startswith("robots_disallowed")


def test_sitemap_lines_on_other_hosts_are_followed_only_when_the_source_allows_them(site, data_dir):
    news_site(site)
    with Site() as other:
        elsewhere = other.url("/map.xml").replace("127.0.0.1", "localhost")
        other.add("/map.xml", Response(200, '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                                            'sitemap/0.9"></urlset>', content_type="application/xml"))
        site.add("/robots.txt", Response(200, f"User-agent: *\nAllow: /\nSitemap: {elsewhere}\n",
                                         content_type="text/plain"))

        crawl(source(site, robots_sitemaps=True), data_dir)
        assert other.requests == []
        assert reason_of(data_dir, elsewhere).startswith("offsite")

        crawl(source(site, robots_sitemaps=True, allowed_domains=("127.0.0.1", "localhost")), data_dir)
        assert other.paths_requested() == ["/robots.txt", "/map.xml"]


def test_a_source_on_ipv6_loopback_is_crawled(tmp_path):
    if (why := ipv6_loopback()) is not None:
        pytest.skip(why)
    data_dir = tmp_path / "data"
    with Site("::1") as site:
        news_site(site)
        site.add("/robots.txt", Response(200, "User-agent: *\nDisallow: /news/2.html\n", content_type="text/plain"))
        src = source(site)
        assert src.allowed_domains == ("::1",)

        stats = crawl(src, data_dir)

        assert stats.stored == 1 and stats.rejected == {"robots_disallowed": 1, "no_article": 1}  # home: links only
        assert site.paths_requested() == ["/robots.txt", "/", "/news/1.html"]
        with Store(None, data_dir) as store:
            assert store.find_document(site.url("/news/1.html")) is not None
