"""The sources file: a good one gives the sources the operator meant; a wrong
one is refused with a message naming the source, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.crawl.sources import Politeness, Source, SourcesError, load_sources
from tests.sites import Response

REPO = Path(__file__).resolve().parents[1]

GOOD = """
[defaults]
download_delay = 2.5
max_depth = 3
deny = ["/tag/"]
contact_url = "https://operator.example/crawler"

[[source]]
name = "wire"
start_urls = ["https://wire.example/#top", "https://WIRE.example:443/world/?utm_source=x"]
feeds = ["https://feeds.example/wire.rss"]
max_depth = 1                      # the source's own value wins over [defaults]
schedule = "*/30 * * * *"

[[source]]
name = "blog"
sitemaps = ["http://127.0.0.1:8080/sitemap.xml"]   # loopback is fine: the operator named it
allowed_domains = ["127.0.0.1", "blog.example"]
follow_links = false
max_pages = 200
allow = ['/\\d{4}/\\d{2}/']
concurrency_per_host = 1
obey_robots = false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return path


def test_good_file_gives_sources_with_defaults_merged(tmp_path):
    sources = load_sources(write(tmp_path, GOOD))

    assert list(sources) == ["wire", "blog"]
    wire, blog = sources["wire"], sources["blog"]
    assert wire.start_urls == ("https://wire.example/", "https://wire.example/world/")
    assert wire.allowed_domains == ("wire.example", "feeds.example")
    assert wire.max_depth == 1 and blog.max_depth == 3
    assert wire.deny == blog.deny == ("/tag/",)
    assert wire.schedule == "*/30 * * * *" and blog.schedule is None
    assert wire.politeness == Politeness(download_delay=2.5, contact_url="https://operator.example/crawler")
    assert blog.politeness.concurrency_per_host == 1 and blog.politeness.obey_robots is False
    assert blog.politeness.download_delay == 2.5
    assert (blog.follow_links, blog.max_pages, blog.allow) == (False, 200, ("/\\d{4}/\\d{2}/",))
    assert blog.allowed_domains == ("127.0.0.1", "blog.example")


def test_source_built_in_code_keeps_the_same_promises():
    source = Source(name="x", start_urls=["http://Example.com:80/a?fbclid=1#b"])

    assert source.start_urls == ("http://example.com/a",)
    assert source.allowed_domains == ("example.com",)
    assert source.politeness == Politeness()


def test_ipv6_hosts_are_urls_and_allowed_domains_like_any_other(tmp_path):
    path = write(tmp_path, '[[source]]\nname = "local"\nstart_urls = ["http://[::1]:8570/"]\n'
                           'sitemaps = ["http://[2001:DB8::1]/map.xml"]\n'
                           '[[source]]\nname = "listed"\nstart_urls = ["http://[::1]:8570/"]\n'
                           'allowed_domains = ["[::1]", "2001:db8::1"]\n')
    local, listed = load_sources(path).values()

    assert local.start_urls == ("http://[::1]:8570/",) and local.sitemaps == ("http://[2001:db8::1]/map.xml",)
    assert local.allowed_domains == ("::1", "2001:db8::1")  # as a URL's hostname names them
    assert listed.allowed_domains == ("::1", "2001:db8::1")


def test_example_file_in_the_repository_loads():
    sources = load_sources(REPO / "sources.example.toml")

    assert sources, "the example names at least one source"


def test_max_age_and_discovery_are_read_per_source_and_from_defaults(tmp_path):
    sources = load_sources(write(tmp_path, '[defaults]\nmax_age_hours = 48\n' + one(discover="false")
                                 + '[[source]]\nname = "home"\nstart_urls = ["https://home.example/"]\n'
                                   'max_age_hours = 6.5\n'))
    assert (sources["news"].max_age_hours, sources["news"].discover) == (48.0, False)
    assert (sources["home"].max_age_hours, sources["home"].discover) == (6.5, True)
    assert Source(name="x", start_urls=("https://x.example/",)).max_age_hours is None  # no limit by default


def error(tmp_path: Path, text: str) -> SourcesError:
    with pytest.raises(SourcesError) as caught:
        load_sources(write(tmp_path, text))
    return caught.value


def one(**keys: str) -> str:
    body = "\n".join(f"{k} = {v}" for k, v in keys.items())
    return f'[[source]]\nname = "news"\nstart_urls = ["https://news.example/"]\n{body}\n'


@pytest.mark.parametrize("text, key, expected", [
    (one(max_dept="2"), "max_dept", "unknown key"),
    (one(max_depth='"three"'), "max_depth", "expected a whole number >= 0; got 'three' (str)"),
    (one(max_pages="0"), "max_pages", "expected a whole number >= 1"),
    (one(follow_links='"yes"'), "follow_links", "expected true or false"),
    (one(download_delay="true"), "download_delay", "expected a number >= 0"),
    (one(timeout="0"), "timeout", "expected a number > 0"),
    (one(deny='["(unclosed"]'), "deny", "does not compile"),
    (one(allow='"/news/"'), "allow", "expected a list of regular expressions"),
    (one(schedule='"every five minutes"'), "schedule", "expected a cron expression"),
    (one(schedule='"61 * * * *"'), "schedule", "expected a cron expression"),
    (one(feeds='["feed.xml"]'), "feeds", "expected an absolute http(s) URL; got 'feed.xml'"),
    (one(sitemaps='["ftp://news.example/map.xml"]'), "sitemaps", "expected an absolute http(s) URL"),
    (one(allowed_domains='["https://news.example/"]'), "allowed_domains", "expected a host name"),
    (one(allowed_domains='["example.com"]'), "allowed_domains",
     "the start URL https://news.example/ is on none of these hosts, so the crawl would not fetch it"),
    (one(feeds='["http://xn--.news.example/feed"]'), "feeds", "'xn--.news.example' is not a host name"),
    (one(feeds='["http://[::1:8570/feed"]'), "feeds", "expected an absolute http(s) URL; got 'http://[::1:8570/feed' "
                                                      "(Invalid IPv6 URL)"),
    (one(feeds='["http://news.example:99999/feed"]'), "feeds", "Port out of range"),
    (one(contact_url='"operator at example"'), "contact_url", "expected an http(s) or mailto: URL"),
    (one(max_age_hours="0"), "max_age_hours", "expected a number > 0"),
    (one(max_age_hours='"two days"'), "max_age_hours", "expected a number > 0"),
    (one(discover='"yes"'), "discover", "expected true or false"),
    ('[[source]]\nname = "news"\nfollow_links = true\n', "start_urls",
     "no URL at all: expected at least one of start_urls, feeds, sitemaps"),
])
def test_wrong_value_names_source_key_and_what_was_expected(tmp_path, text, key, expected):
    exc = error(tmp_path, text)

    assert (exc.source, exc.key) == ("news", key)
    assert expected in exc.expected
    assert f"source 'news': key '{key}': " in str(exc) and str(tmp_path) in str(exc)


def test_duplicate_name_is_refused(tmp_path):
    exc = error(tmp_path, one() + one())

    assert (exc.source, exc.key) == ("news", "name")
    assert "names must be unique" in str(exc)


def test_bad_value_in_defaults_says_it_came_from_defaults(tmp_path):
    exc = error(tmp_path, "[defaults]\nretry_times = -1\n" + one())

    assert (exc.source, exc.key) == ("news", "retry_times")
    assert "(value from [defaults])" in str(exc) and "expected a whole number >= 0" in str(exc)


@pytest.mark.parametrize("text, key, expected", [
    ("[defaults]\nstart_urls = []\n" + one(), "defaults.start_urls", "is set per [[source]]"),
    ("[defaults]\ndelay = 1\n" + one(), "defaults.delay", "unknown key"),
    ('[sources.news]\nstart_urls = ["https://news.example/"]\n', None, "unknown top-level key 'sources'"),
    ("[defaults]\nmax_depth = 1\n", None, "no [[source]] table"),
    ('[[source]]\nname = "bad name!"\nstart_urls = ["https://news.example/"]\n', "name",
     "expected a name of letters, digits"),
    ("[[source]\nname = 1\n", None, "not valid TOML"),
])
def test_wrong_file_shape_is_refused_with_the_reason(tmp_path, text, key, expected):
    exc = error(tmp_path, text)

    assert exc.key == key
    assert expected in str(exc)


def test_missing_file_is_a_sources_error(tmp_path):
    with pytest.raises(SourcesError, match="cannot read the file"):
        load_sources(tmp_path / "absent.toml")


# -- `wirecrawl sources check` ----------------------------------------------------------

def _check(*args: str):
    from typer.testing import CliRunner

    from flows.app import app
    from flows.cli import _load_commands

    _load_commands()
    return CliRunner().invoke(app, ["sources", "check", *args])


def test_check_reads_the_file_as_a_crawl_would_and_prints_a_line_per_source(tmp_path):
    result = _check(str(write(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("sources.toml: 2 source(s), no mistakes found.")
    assert lines[1].startswith("  wire: 2 start URLs, 1 feed, 0 sitemaps, sitemaps found from the start pages, links followed to depth 1, "
                               "schedule '*/30 * * * *'")
    assert lines[2].startswith("  blog: 0 start URLs, 0 feeds, 1 sitemap, links not followed")

    bad = _check(str(write(tmp_path, GOOD.replace("max_pages = 200", 'max_pages = "lots"'))))
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1
    assert "source 'blog': key 'max_pages'" in bad.output


def _probed_site(site) -> None:
    """A site that offers every list: robots.txt naming a sitemap index (two
    sitemaps), a feed, a start page; a few URLs off-site or denied, one
    sitemap robots.txt forbids."""
    x = "application/xml"
    site.add("/robots.txt", Response(body=f"User-agent: *\nDisallow: /private/\nSitemap: {site.url('/index.xml')}\n",
                                     content_type="text/plain"))
    site.add("/index.xml", Response(content_type=x, body=(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<sitemap><loc>{site.url("/one.xml")}</loc></sitemap><sitemap><loc>{site.url("/two.xml")}</loc></sitemap>'
        '</sitemapindex>')))
    urlset = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>')
    locs = lambda *urls: "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    site.add("/one.xml", Response(content_type=x, body=urlset.format(locs(
        site.url("/2026/a"), site.url("/2026/b?utm_source=x"), "http://elsewhere.example/2026/c"))))
    site.add("/two.xml", Response(content_type=x, body=urlset.format(locs(site.url("/2026/b"), site.url("/tag/x")))))
    site.add("/rss.xml", Response(content_type="application/rss+xml", body=(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>/</link><description>d</description>'
        f'<item><title>A</title><link>{site.url("/2026/a")}</link></item>'
        f'<item><title>D</title><link>{site.url("/2026/d")}</link></item></channel></rss>')))
    site.add("/", '<html><body><a href="/2026/e">e</a> <a href="/2026/a#top">a</a> <a href="/tag/y">tag</a>'
                  '<a href="mailto:x@example.org">mail</a></body></html>')
    site.add("/private/map.xml", Response(content_type=x, body=urlset.format(locs(site.url("/2026/z")))))


def test_probe_counts_the_article_urls_each_list_gives_and_stores_nothing(site, tmp_path, monkeypatch):
    _probed_site(site)
    sources = write(tmp_path, f"""
[defaults]
download_delay = 0
contact_url = "https://operator.example/crawler"

[[source]]
name = "local"
start_urls = ["{site.url('/')}"]
feeds = ["{site.url('/rss.xml')}"]
sitemaps = ["{site.url('/private/map.xml')}"]
deny = ["/tag/"]

[[source]]
name = "dead"
feeds = ["{site.url('/gone.xml')}"]
""")
    monkeypatch.chdir(tmp_path)
    result = _check(str(sources), "--probe")
    assert result.exit_code == 1, result.output  # "dead" lists nothing
    text = result.output
    local = text[text.index("local: 4 article URL(s) found"):text.index("\ndead:")]  # a, b, d, e
    assert [line.split()[0] for line in local.splitlines()[1::2]] == [
        "robots.txt", "sitemap", "sitemap", "sitemap", "sitemap", "feed", "start"]
    assert f"robots.txt    {site.url('/robots.txt')}\n                names 1 sitemap(s)" in local
    assert f"sitemap       {site.url('/private/map.xml')}\n                nothing read (robots_disallowed" in local
    assert f"sitemap index {site.url('/index.xml')}\n                lists 2 sitemap(s)" in local
    assert f"{site.url('/one.xml')}\n                2 article URL(s)" in local  # off-site c left out
    assert f"{site.url('/two.xml')}\n                1 article URL(s)" in local  # /tag/ denied
    assert f"feed          {site.url('/rss.xml')}\n                2 article URL(s)" in local
    assert f"start page    {site.url('/')}\n                2 article URL(s) among its links" in local
    assert "dead: 0 article URL(s) found" in text and "nothing read (http_status: HTTP 404" in text
    assert text.strip().endswith("No article URL found for: dead.")

    # each list once, no page fetched, robots.txt obeyed, the crawl's User-Agent (robots.txt
    # itself is asked twice: once for its Sitemap lines, once by the polite fetch's own check)
    paths = site.paths_requested()
    assert paths.count("/robots.txt") == 2
    for path in ("/index.xml", "/one.xml", "/two.xml", "/rss.xml", "/", "/gone.xml"):
        assert paths.count(path) == 1, (path, paths)
    assert not any(p.startswith("/2026/") or p == "/private/map.xml" for p in paths), paths
    agents = {r.headers["user-agent"] for r in site.requests}
    assert agents == {"wirecrawl/0.1.0 (news article crawler; +https://operator.example/crawler)"}
    assert list(tmp_path.iterdir()) == [sources]  # no store, no data directory


def test_probe_of_one_source_with_source(site, tmp_path):
    _probed_site(site)
    sources = write(tmp_path, f'[[source]]\nname = "a"\nfeeds = ["{site.url("/rss.xml")}"]\n'
                              f'[[source]]\nname = "b"\nfeeds = ["{site.url("/gone.xml")}"]\n')
    result = _check(str(sources), "--probe", "--source", "a")
    assert result.exit_code == 0, result.output
    assert "a: 2 article URL(s) found" in result.output and "\nb:" not in result.output
    assert "/gone.xml" not in site.paths_requested()


def test_probe_follows_sitemap_lines_only_on_the_allowed_domains(site, tmp_path):
    from tests.sites import Site

    with Site() as other:
        elsewhere = other.add("/map.xml", Response(content_type="application/xml", body=(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>')))
        elsewhere = elsewhere.replace("127.0.0.1", "localhost")
        site.add("/robots.txt", Response(body=f"User-agent: *\nSitemap: {elsewhere}\n", content_type="text/plain"))
        site.add("/", "<html><body><p>home</p></body></html>")
        sources = write(tmp_path, f'[[source]]\nname = "a"\nstart_urls = ["{site.url("/")}"]\n')

        result = _check(str(sources), "--probe")

        assert f"robots.txt    {site.url('/robots.txt')}\n                names 0 sitemap(s)" in result.output
        assert other.requests == []


def test_probe_of_a_home_page_alone_finds_its_feed_and_its_sitemap(site, tmp_path):
    """As a crawl would: the feed the home page announces, and the sitemap at
    a usual path (robots.txt names none); the usual paths that are not there
    are not shown."""
    x = "application/xml"
    site.add("/", '<html><head><link rel="alternate" type="application/atom+xml" href="/atom"></head>'
                  '<body><a href="/2026/a">a</a></body></html>')
    site.add("/robots.txt", Response(content_type="text/plain", body="User-agent: *\nAllow: /\n"))
    site.add("/atom", Response(content_type="application/atom+xml", body=(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        f'<entry><title>B</title><link href="{site.url("/2026/b")}"/><id>b</id></entry></feed>')))
    site.add("/sitemap_index.xml", Response(content_type=x, body=(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<url><loc>{site.url("/2026/c")}</loc></url></urlset>')))
    sources = write(tmp_path, f'[defaults]\ndownload_delay = 0\n[[source]]\nname = "home"\n'
                              f'start_urls = ["{site.url("/")}"]\n')
    result = _check(str(sources), "--probe")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "home: 3 article URL(s) found" in text
    kinds = [line.split()[0] for line in text[text.index("home: 3"):].strip().splitlines()[1::2]]
    assert kinds == ["robots.txt", "sitemap", "start", "feed"], text
    # robots.txt names none: the one shown says where it came from
    assert f"robots.txt    {site.url('/robots.txt')}\n                names 0 sitemap(s)" in text
    assert f"{site.url('/sitemap_index.xml')}\n                1 article URL(s); named nowhere, found at a usual " \
           "path" in text
    assert f"feed          {site.url('/atom')}\n                1 article URL(s)" in text
    assert "/sitemap.xml" not in text and "/news-sitemap.xml" not in text  # tried, not there: not shown
