"""Markup no page needs is refused before parsing (crawler.ingest.markup):
one element with 80,000 attributes, 100,000 elements, nesting past the
parser's 256 levels. Refused with the reason `pathological_markup` in
moments, by `wirecrawl ingest` and by a crawl of a site on 127.0.0.1, while
no real page of the development corpus is."""

from __future__ import annotations

import os
import random
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.crawl.run import crawl_source
from crawler.crawl.sources import Politeness, Source
from crawler.ingest.decode import decode_html
from crawler.ingest.extract import extract
from crawler.ingest.markup import MarkupLimits, check_markup
from crawler.ingest.records import Page, Rejected
from storage.store import Store
from tests.sampleweb.articles import ARTICLES

REPO = Path(__file__).resolve().parents[1]
REALPAGES = Path(os.environ.get("WIRECRAWL_REALPAGES", REPO.parent / "shared" / "realpages"))
_POOL = [p for a in ARTICLES if a.lang == "en" for p in a.paragraphs]


def article(n: int, *, extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in random.Random(n).sample(_POOL, 6))
    return (f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>{body}{extra}"
            "</article></body></html>")


def attributes(n: int) -> str:
    """The page of the report: one <p> with n attributes (80,000: 871 KB)."""
    return article(1, extra="<p " + " ".join(f'data-a{i}="x"' for i in range(n)) + ">the end</p>")


def nested(depth: int) -> str:
    return article(2, extra="<div>" * depth + "<p>deep down</p>" + "</div>" * depth)


def elements(n: int) -> str:
    return article(3, extra="<p>more</p>" * n)


def reason(html: str, limits: MarkupLimits = MarkupLimits()) -> str | None:
    try:
        check_markup(html, limits)
    except Rejected as exc:
        return str(exc)
    return None


def test_each_limit_refuses_what_is_past_it_and_passes_what_is_not():
    assert reason(attributes(80_000)) == "pathological_markup: a <p> element with more than 1000 attributes"
    assert reason(attributes(1_000)) is None
    assert reason(nested(300)).startswith("pathological_markup: elements nested 30")
    assert reason(nested(200)) is None
    assert reason(elements(100_000)) == "pathological_markup: 100012 elements, the limit is 50000"
    assert reason(elements(40_000)) is None
    assert reason(elements(100), MarkupLimits(max_elements=50)).endswith("the limit is 50")


def test_extraction_refuses_nesting_the_parser_stops_at_and_keeps_text_just_above_it():
    # The extraction leaves the nesting to the parser, which says when it stopped.
    def extracted(html: str) -> str:
        page = Page(url="http://127.0.0.1/deep.html", status=200, headers={"content-type": "text/html"},
                    body=html.encode(), fetched_at=datetime.now(timezone.utc))
        try:
            return extract(page).text
        except Rejected as exc:
            return str(exc)

    assert "deep down" in extracted(nested(252))
    assert extracted(nested(253)) == reason(nested(253)) == (
        "pathological_markup: elements nested 257 deep, the limit is 256 (the parser would drop what lies deeper)")
    assert extracted(nested(5_000)).startswith("pathological_markup: elements nested 5004 deep")
    assert extracted(elements(100_000)) == "pathological_markup: 100012 elements, the limit is 50000"


def test_what_a_parser_does_not_nest_or_count_as_markup_is_not_held_against_a_page():
    assert reason(article(4, extra="<p>line" * 5_000)) is None  # end tags HTML leaves out
    assert reason(article(5, extra="<br><img src=x.png>" * 5_000)) is None  # void elements
    assert reason(article(6, extra="<script>" + "x = '<div>';" * 60_000 + "</script>")) is None
    assert reason(article(7, extra="<!-- <p " + "a=1 " * 5_000 + "> -->")) is None
    assert reason(article(8, extra='<div data-props=\'{"a": "' + "y " * 5_000 + '"}\'>x</div>')) is None
    assert reason("") is None and reason("<") is None and reason("<p " * 10) is None


def test_the_check_is_quick_on_the_pages_it_refuses():
    started = time.perf_counter()
    for html in (attributes(80_000), nested(5_000), elements(100_000), nested(200_000)):
        assert reason(html) is not None
    # Extracting them took minutes; the check itself once took a minute on
    # the 200,000 levels (each end tag looked for its start in the whole stack).
    assert time.perf_counter() - started < 3.0


def test_no_real_page_is_refused():
    pages = REALPAGES / "pages"
    if not pages.is_dir():
        pytest.skip(f"the real-pages corpus is not at {REALPAGES} (set WIRECRAWL_REALPAGES to its folder)")
    refused = [(p.name, reason(decode_html(p.read_bytes(), {"content-type": "text/html"})))
               for p in sorted(pages.iterdir())]
    assert [r for r in refused if r[1]] == []


def test_ingest_refuses_the_page_in_moments(site, data_dir):
    from flows.app import app
    from flows.cli import _load_commands

    _load_commands()
    bad = site.add("/attributes.html", attributes(80_000))
    good = site.add("/story.html", article(9))

    started = time.monotonic()
    result = CliRunner().invoke(app, ["ingest", "--allow-private", bad, good],
                                env={"WIRECRAWL_DATA_DIR": str(data_dir)}, catch_exceptions=False)
    took = time.monotonic() - started

    lines = result.output.strip().splitlines()
    assert lines[0] == f"{bad}: rejected (pathological_markup: a <p> element with more than 1000 attributes)"
    assert lines[1].startswith(f"{good}: stored")
    assert took < 20, took


def test_a_crawl_records_each_page_refused_and_stores_the_others(site, data_dir):
    paths = {"/attributes.html": attributes(80_000), "/nested.html": nested(1_000),
             "/elements.html": elements(100_000), "/a.html": article(10), "/b.html": article(11)}
    for path, html in paths.items():
        site.add(path, html)
    site.add("/robots.txt", "")
    # Start URLs, links not followed: the spider's own link extraction parses
    # each page in the crawl process, which the attributes page holds for
    # 30 s (guarding it is the link extraction's business).
    src = Source(name="odd", start_urls=tuple(site.url(p) for p in paths), robots_sitemaps=False,
                 follow_links=False, politeness=Politeness(concurrency_per_host=4, retry_times=0))

    started = time.monotonic()
    stats = crawl_source(src, database_url=None, data_dir=data_dir, settings_overrides={
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "WIRECRAWL_EXTRACT_WORKERS": 1})

    assert stats.stored == 2 and stats.rejected == {"pathological_markup": 3}, stats
    assert time.monotonic() - started < 30
    with Store(None, data_dir) as store:
        for path in ("/attributes.html", "/nested.html", "/elements.html"):
            assert store.fetch_history(site.url(path))[-1].reason.startswith("pathological_markup: "), path
