"""The spider finds a site's pages through every path it offers, and ends.

Each test starts a site on 127.0.0.1, writes a sources file naming it, runs
SiteSpider alone in its own process (tests/spider_run.py) and looks at what
it yielded and at the site's request log."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.sites import Response

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Crawl:
    items: list[dict]
    responses: list[dict]
    reason: str
    stats: dict

    def pages(self) -> set[str]:
        return {i["url"] for i in self.items if i["type"] == "Page"}

    def skipped(self) -> dict[str, dict]:
        return {i["url"]: i for i in self.items if i["type"] == "Skipped"}

    def response(self, url: str) -> dict:
        return next(r for r in self.responses if r["url"] == url)


def crawl(tmp_path: Path, sources_toml: str, name: str = "test", **settings) -> Crawl:
    """Run the spider on source `name` of `sources_toml`; fail on a crash or after 60 s."""
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    run = subprocess.run([sys.executable, "-m", "tests.spider_run", str(sources), name, str(out),
                          json.dumps(settings)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    closed = json.loads((out / "closed.json").read_text())
    read = lambda f: [json.loads(line) for line in (out / f).read_text().splitlines()]
    return Crawl(read("items.jsonl"), read("responses.jsonl"), closed["reason"], closed["stats"])


def article(title: str, *links: str) -> str:
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    return (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>A paragraph written for the test of {title}.</p><ul>{anchors}</ul></body></html>")


def urlset(*locs: str, extra: str = "") -> str:
    entries = "".join(f"<url><loc>{loc}</loc>{extra}</url>" for loc in locs)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')


XML = "application/xml"


def test_sitemap_index_leads_through_plain_and_gzip_sitemaps_to_pages(site, tmp_path):
    for path in ("/a1", "/a2", "/b1"):
        site.add(path, article(path))
    site.add("/sitemap_index.xml", Response(body=(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<sitemap><loc>{site.url("/maps/one.xml.gz")}</loc></sitemap>'
        f'<sitemap><loc>{site.url("/maps/two.xml")}</loc></sitemap></sitemapindex>'), content_type=XML))
    site.add("/maps/one.xml.gz", Response(body=gzip.compress(urlset(site.url("/a1"), site.url("/a2")).encode()),
                                          content_type="application/x-gzip"))
    site.add("/maps/two.xml", Response(body=urlset(site.url("/b1")), content_type=XML))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nsitemaps = ["{site.url("/sitemap_index.xml")}"]\n')

    assert result.pages() == {site.url("/a1"), site.url("/a2"), site.url("/b1")}
    assert result.response(site.url("/maps/one.xml.gz"))["wirecrawl_kind"] == "sitemap"
    listed = result.response(site.url("/a1"))
    assert listed["wirecrawl_kind"] == "page" and listed["depth"] == 0
    assert listed["wirecrawl_sitemap"]["sitemap"] == site.url("/maps/one.xml.gz")
    assert result.skipped() == {}


def test_news_sitemap_title_and_publication_date_travel_with_the_request(site, tmp_path):
    site.add("/world/talks-resume", article("talks"))
    news = ('<news:news><news:publication><news:name>Test Wire</news:name><news:language>en'
            '</news:language></news:publication><news:publication_date>2026-03-04T05:06:07Z'
            '</news:publication_date><news:title>Talks resume in the capital</news:title></news:news>')
    body = urlset(site.url("/world/talks-resume"), extra=news).replace(
        "<urlset ", '<urlset xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" ')
    site.add("/news-sitemap.xml", Response(body=body, content_type=XML))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nsitemaps = ["{site.url("/news-sitemap.xml")}"]\n')

    assert result.pages() == {site.url("/world/talks-resume")}
    listed = result.response(site.url("/world/talks-resume"))["wirecrawl_sitemap"]
    assert listed["news_title"] == "Talks resume in the capital"
    assert listed["news_publication_date"] == "2026-03-04T05:06:07Z"


def test_sitemap_named_only_in_robots_txt_is_read(site, tmp_path):
    site.add("/", article("home"))
    site.add("/robots.txt", Response(body=f"User-agent: *\nDisallow:\nSitemap: {site.url('/hidden/map.xml')}\n",
                                     content_type="text/plain"))
    site.add("/hidden/map.xml", Response(body=urlset(site.url("/only-in-sitemap")), content_type=XML))
    site.add("/only-in-sitemap", article("only in sitemap"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n'
                             "follow_links = false\n")

    assert result.pages() == {site.url("/"), site.url("/only-in-sitemap")}
    assert result.response(site.url("/robots.txt"))["wirecrawl_kind"] == "robots"
    assert result.response(site.url("/"))["wirecrawl_kind"] == "start"


FEEDS = {
    "rss2": ('<?xml version="1.0"?><rss version="2.0"><channel><title>Test</title><link>{base}/</link>'
             '<description>d</description>'
             '<item><title>First story</title><link>{base}/s/1</link>'
             '<pubDate>Tue, 03 Mar 2026 10:00:00 +0000</pubDate></item>'
             '<item><title>Second story</title><link>{base}/s/2</link></item></channel></rss>'),
    "rss1": ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
             'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="{base}/"><title>Test</title>'
             '<link>{base}/</link><description>d</description></channel>'
             '<item rdf:about="{base}/s/1"><title>First story</title><link>{base}/s/1</link></item>'
             '<item rdf:about="{base}/s/2"><title>Second story</title><link>{base}/s/2</link></item>'
             '</rdf:RDF>'),
    "atom": ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
             '<title>Test</title><id>urn:test</id><updated>2026-03-03T10:00:00Z</updated>'
             '<entry><title>First story</title><id>urn:1</id><link href="{base}/s/1"/>'
             '<updated>2026-03-03T10:00:00Z</updated></entry>'
             '<entry><title>Second story</title><id>urn:2</id><link rel="alternate" href="/s/2"/>'
             '<updated>2026-03-03T11:00:00Z</updated></entry></feed>'),
}


@pytest.mark.parametrize("flavour", sorted(FEEDS))
def test_feed_entries_are_fetched(site, tmp_path, flavour):
    site.add("/feed", Response(body=FEEDS[flavour].format(base=site.base), content_type=XML))
    site.add("/s/1", article("first"))
    site.add("/s/2", article("second"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nfeeds = ["{site.url("/feed")}"]\n')

    assert result.pages() == {site.url("/s/1"), site.url("/s/2")}
    assert result.response(site.url("/s/1"))["wirecrawl_feed"]["title"] == "First story"
    assert result.response(site.url("/feed"))["wirecrawl_kind"] == "feed"
    assert result.skipped() == {}


def test_start_url_alone_is_crawled_by_following_links_inside_the_site(site, tmp_path):
    site.add("/", article("home", "/a", "b", "http://elsewhere.invalid/x", "mailto:desk@example.org"))
    site.add("/a", article("a", "/c", "/"))
    site.add("/b", article("b"))
    site.add("/c", article("c", "/a"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n')

    assert result.pages() == {site.url(p) for p in ("/", "/a", "/b", "/c")}
    assert result.response(site.url("/c"))["depth"] == 2
    # robots.txt names no sitemap and the source none: the usual paths are tried (404 here, nothing failed)
    assert sorted(site.paths_requested()) == ["/", "/a", "/b", "/c", "/news-sitemap.xml", "/robots.txt",
                                              "/sitemap.xml", "/sitemap_index.xml"]
    assert not result.skipped()
    assert result.skipped() == {}  # no robots.txt is no failure; the other host is out of scope


def test_allow_and_deny_patterns_decide_which_links_are_fetched(site, tmp_path):
    site.add("/", article("home", "/news/one", "/news/two", "/sport/three", "/news/private/four"))
    for path in ("/news/one", "/news/two", "/sport/three", "/news/private/four"):
        site.add(path, article(path))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n'
                             'allow = ["/news/"]\ndeny = ["/private/"]\nrobots_sitemaps = false\n'
                             "discover = false\n")  # no sitemap tried at the usual paths either

    assert result.pages() == {site.url("/"), site.url("/news/one"), site.url("/news/two")}
    assert sorted(site.paths_requested()) == ["/", "/news/one", "/news/two"]


def test_max_depth_limits_link_hops(site, tmp_path):
    site.add("/", article("home", "/d1"))
    site.add("/d1", article("d1", "/d2"))
    site.add("/d2", article("d2", "/d3"))
    site.add("/d3", article("d3", "/d4"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n'
                             "max_depth = 2\nrobots_sitemaps = false\n")

    assert result.pages() == {site.url("/"), site.url("/d1"), site.url("/d2")}
    assert "/d3" not in site.paths_requested()


def test_max_pages_stops_the_crawl(site, tmp_path):
    paths = [f"/story/{n}" for n in range(60)]
    for path in paths:
        site.add(path, article(path))
    site.add("/map.xml", Response(body=urlset(*(site.url(p) for p in paths)), content_type=XML))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nsitemaps = ["{site.url("/map.xml")}"]\n'
                             "max_pages = 5\n", CONCURRENT_REQUESTS=4)

    assert len([i for i in result.items if i["type"] == "Page"]) == 5
    assert result.reason == "max_pages"
    assert len([p for p in site.paths_requested() if p.startswith("/story/")]) < 20


def test_endless_calendar_ends(site, tmp_path):
    # Every month links to the next one, for the next 60 years.
    year = datetime.now(timezone.utc).year
    months = [(y, m) for y in range(year, year + 60) for m in range(1, 13)]
    for (y, m), (ny, nm) in zip(months, months[1:]):
        site.add(f"/calendar/{y}/{m:02d}", article(f"{y}-{m}", f"/calendar/{ny}/{nm:02d}"))
    site.add("/", article("home", f"/calendar/{year}/01"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n'
                             "robots_sitemaps = false\n")

    calendar_requests = [p for p in site.paths_requested() if p.startswith("/calendar/")]
    assert 12 <= len(calendar_requests) <= 24  # this year and next, then the trap is seen
    traps = [s for s in result.skipped().values() if s["reason"] == "trap_calendar"]
    assert len(traps) == 1 and traps[0]["url"].endswith(f"/calendar/{year + 2}/01")


def test_ever_growing_query_and_looping_paths_end(site, tmp_path):
    def growing(request):  # each page links to itself with one more parameter
        query = request.path.partition("?")[2]
        more = f"{query}&k{len(query)}=1" if query else "k0=1"
        return Response(body=article("list", f"/list?{more}"))

    site.add("/list", growing)
    for depth in range(1, 30):  # a relative link that nests a segment forever
        site.add("/" + "loop/" * depth, article("loop", "loop/"))
    site.add("/", article("home", "/list", "/loop/"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n'
                             "robots_sitemaps = false\n")

    requested = site.paths_requested()
    assert len([p for p in requested if p.startswith("/list")]) <= 9  # /list + 8 parameters
    assert len([p for p in requested if p.startswith("/loop/")]) == 2
    reasons = {s["reason"] for s in result.skipped().values()}
    assert reasons == {"trap_query", "trap_path"}


def test_tracking_parameters_and_session_ids_collapse_to_one_request(site, tmp_path):
    site.add("/", article("home", "/story?utm_source=feed&utm_medium=rss", "/story?fbclid=abc",
                          "/story#comments", "/story?gclid=1&PHPSESSID=f00", "/story",
                          site.url("/story") + "?utm_campaign=x"))
    site.add("/story", article("story", "/story?sid=123"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n'
                             "robots_sitemaps = false\n")

    assert site.paths_requested().count("/story") == 1
    assert [p for p in site.paths_requested() if p.startswith("/story")] == ["/story"]
    assert site.url("/story") in result.pages()


def test_malformed_sitemap_and_feed_are_recorded_and_the_crawl_goes_on(site, tmp_path):
    for path in ("/from-broken-map", "/from-good-map", "/from-broken-feed"):
        site.add(path, article(path))
    broken_map = urlset(site.url("/from-broken-map"), site.url("/lost"))[:-40]  # cut mid-entry
    site.add("/broken-map.xml", Response(body=broken_map, content_type=XML))
    site.add("/good-map.xml", Response(body=urlset(site.url("/from-good-map")), content_type=XML))
    site.add("/not-a-map.xml", Response(body=article("an html page"), content_type="text/html"))
    broken_feed = FEEDS["rss2"].format(base=site.base).replace("/s/1", "/from-broken-feed")
    second_item = broken_feed.index("<item>", broken_feed.index("<item>") + 1)
    site.add("/broken-feed.xml", Response(body=broken_feed[:second_item + 20], content_type=XML))
    maps = [site.url(p) for p in ("/broken-map.xml", "/good-map.xml", "/not-a-map.xml", "/missing.xml")]

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nsitemaps = {json.dumps(maps)}\n'
                             f'feeds = ["{site.url("/broken-feed.xml")}"]\n')

    skipped = result.skipped()
    assert skipped[site.url("/broken-map.xml")]["reason"] == "malformed_sitemap"
    assert "malformed XML" in skipped[site.url("/broken-map.xml")]["detail"]
    assert skipped[site.url("/broken-feed.xml")]["reason"] == "malformed_feed"
    assert "SAXParseException" in skipped[site.url("/broken-feed.xml")]["detail"]
    assert skipped[site.url("/not-a-map.xml")]["reason"] == "not_a_sitemap"
    assert (skipped[site.url("/missing.xml")]["reason"], skipped[site.url("/missing.xml")]["status"]) \
        == ("http_status", 404)
    assert {site.url("/from-broken-map"), site.url("/from-good-map"),
            site.url("/from-broken-feed")} <= result.pages()


@pytest.mark.parametrize("entries, whole", [(50_000, True), (50_001, False)])
def test_a_sitemap_of_exactly_50000_urls_is_whole_and_one_more_is_not(site, tmp_path, entries, whole):
    # Every entry is denied, so the crawl reads the sitemap and fetches nothing else.
    site.add("/map.xml", Response(body=urlset(*(site.url(f"/p/{n}") for n in range(entries))), content_type=XML))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nsitemaps = ["{site.url("/map.xml")}"]\n'
                             'deny = ["/p/"]\n')

    assert site.paths_requested() == ["/map.xml"]
    assert result.stats["source/test/discovery/sitemap_entries"] == 50_000
    if whole:
        assert result.skipped() == {}
    else:
        skipped = result.skipped()[site.url("/map.xml")]
        assert (skipped["reason"], skipped["detail"]) == (
            "malformed_sitemap", "more than 50000 entries; the rest were not read")


def test_gzip_sitemap_bigger_than_max_bytes_is_recorded_not_unpacked(site, tmp_path):
    bomb = gzip.compress(urlset(site.url("/x")).encode() + b" " * 5_000_000)
    site.add("/bomb.xml.gz", Response(body=bomb, content_type="application/x-gzip"))
    site.add("/x", article("x"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nsitemaps = ["{site.url("/bomb.xml.gz")}"]\n'
                             "max_bytes = 1000000\n")

    assert result.skipped()[site.url("/bomb.xml.gz")]["reason"] == "too_large"
    assert result.pages() == set()


def test_robots_disallowed_link_is_recorded_and_never_requested(site, tmp_path):
    site.add("/robots.txt", Response(body="User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    site.add("/", article("home", "/private/draft", "/public"))
    site.add("/public", article("public"))
    site.add("/private/draft", article("draft"))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n',
                   ROBOTSTXT_OBEY=True)

    assert "/private/draft" not in site.paths_requested()
    assert result.skipped()[site.url("/private/draft")]["reason"] == "robots_disallowed"
    assert result.pages() == {site.url("/"), site.url("/public")}


def test_http_errors_are_recorded_and_a_304_stays_a_page(site, tmp_path):
    site.add("/", article("home", "/gone", "/broken", "/same"))
    site.add("/gone", Response(404, "<html><body>gone</body></html>"))
    site.add("/broken", Response(500, "<html><body>oops</body></html>"))
    site.add("/same", Response(304, b""))

    result = crawl(tmp_path, f'[[source]]\nname = "test"\nstart_urls = ["{site.url("/")}"]\n'
                             "robots_sitemaps = false\n")

    skipped = result.skipped()
    assert {u: (s["reason"], s["status"]) for u, s in skipped.items()} == {
        site.url("/gone"): ("http_status", 404), site.url("/broken"): ("http_status", 500)}
    same = next(i for i in result.items if i["url"] == site.url("/same"))
    assert (same["type"], same["status"]) == ("Page", 304)


@pytest.mark.parametrize("url, canonical", [
    ("http://[2001:DB8::1]/a.html?utm_source=x", "http://[2001:db8::1]/a.html"),
    ("http://[::1]:8570", "http://[::1]:8570/"),
    ("https://[::1]:443/feed", "https://[::1]/feed"),
    ("http://bücher.example/a", "http://xn--bcher-kva.example/a"),
    ("http://a_b.example.com/", "http://a_b.example.com/"),
])
def test_canonical_urls_keep_ipv6_brackets_and_idna_hosts(url, canonical):
    from crawler.ingest.urls import canonicalize

    assert canonicalize(url) == canonical


@pytest.mark.parametrize("url", ["http://xn--.com/", "http://xn--zz.example/", "http://[::1:8570/",
                                 "http://[v1.x]/", "http://a..example/", "http://exa mple.com/",
                                 "http://example.com:99999/", "http://example.com:0/", "http://[fe80::zz]/"])
def test_urls_whose_host_or_port_cannot_be_used_are_value_errors(url):
    from crawler.ingest.urls import canonicalize

    with pytest.raises(ValueError):
        canonicalize(url)
