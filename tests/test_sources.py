"""The sources file: a good one gives the sources the operator meant; a wrong
one is refused with a message naming the source, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.crawl.sources import Politeness, Source, SourcesError, load_sources

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


def test_example_file_in_the_repository_loads():
    sources = load_sources(REPO / "sources.example.toml")

    assert sources, "the example names at least one source"


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
    (one(contact_url='"operator at example"'), "contact_url", "expected an http(s) or mailto: URL"),
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
