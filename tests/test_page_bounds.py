"""Each page's cost is bounded: the links taken from one page, and the time
one page's extraction may take. Sites on 127.0.0.1; the crawl runs as its own
process so the memory of its whole process tree can be measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from scrapy.http import HtmlResponse
from typer.testing import CliRunner

from crawler.crawl.links import page_links
from flows.app import app
from flows.cli import _load_commands
from storage.store import Store
from tests.process_tree import TreeMemory
from tests.sites import Site
from tests.test_crawl import plain_article_html

REPO = Path(__file__).resolve().parents[1]
_load_commands()


def _link_heavy(links: int) -> str:
    """`links` links, each to a page of its own: 9.6 MB for 330,000, under the 10 MiB cap of a download."""
    return "<html><body>" + "".join(f"<a href=/p/{i}>{i}</a>\n" for i in range(links)) + "</body></html>"


def _slow_to_extract(attributes: int = 80_000) -> str:
    """An article whose last <p> carries `attributes` attributes (libxml2
    checks each against the ones before it: minutes of extraction). A quoted
    "<" every hundred attributes keeps every run of the tag short, so the
    markup check, which looks for long tags, lets it through: this is the
    page the extraction's time limit is for."""
    attrs = " ".join(f'data-a{i}="x"' if i % 100 else f'data-a{i}="<"' for i in range(attributes))
    return plain_article_html(99).replace("</body>", f"<p {attrs}>end</p></body>")


_CRAWL = """
import json, sys
from pathlib import Path
from crawler.crawl.run import crawl_sources
from crawler.crawl.sources import Politeness, Source
args = json.loads(sys.argv[1])
source = Source(name="wire", start_urls=(args["url"],), deny=("/p/",), robots_sitemaps=False, discover=False,
                politeness=Politeness(download_delay=0, autothrottle=False, obey_robots=False, retry_times=0))
result = crawl_sources([source], database_url=None, data_dir=Path(args["data_dir"]),
                       settings_overrides=args["overrides"])
print(json.dumps(result.stats[0].as_dict()))
"""


def test_a_page_of_330000_links_and_a_page_slow_to_extract_cost_the_crawl_no_more_than_their_bounds(data_dir):
    with Site() as site:
        articles = [site.add(f"/story/{n}.html", plain_article_html(n)) for n in range(3)]
        heavy = site.add("/links.html", _link_heavy(330_000))
        slow = site.add("/slow.html", _slow_to_extract())
        site.add("/", "<html><body>" + "".join(f'<a href="{u}">x</a>' for u in [heavy, slow, *articles])
                 + "</body></html>")
        args = {"url": site.url("/"), "data_dir": str(data_dir),
                "overrides": {"WIRECRAWL_EXTRACT_TIMEOUT": 5.0, "WIRECRAWL_EXTRACT_WORKERS": 2}}
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-c", _CRAWL, json.dumps(args)], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with TreeMemory(child.pid) as memory:
            out, err = child.communicate(timeout=120)
        wall = time.monotonic() - started
        asked = site.paths_requested()
    assert child.returncode == 0, err
    stats = json.loads(out.strip().splitlines()[-1])
    with Store(None, data_dir) as store:
        stored = {u for u in articles if store.last_fetch(u).outcome == "stored"}
        slow_reason = store.last_fetch(slow).reason
        heavy_reason = store.last_fetch(heavy).reason

    assert stored == set(articles)  # the normal pages, next to the hostile ones
    assert slow_reason.startswith("extract_timeout: ")
    assert heavy_reason.startswith("pathological_markup: ")  # 330,000 elements, refused before parsing
    assert stats["rejected"]["extract_timeout"] == 1 and stats["rejected"]["pathological_markup"] == 1
    assert stats["links_over_cap"] == 330_000 - 5_000  # the default max_links_per_page taken, the rest counted
    assert not any(p.startswith("/p/") for p in asked)  # deny held for the links taken
    # 80,000 attributes take two minutes to extract; the 5 s limit ended it (the markup check of the
    # 330,000 links, which it refuses, takes about one).
    assert wall < 60, f"the crawl took {wall:.0f} s"
    assert memory.rss < 1 << 30, f"the crawl's process tree peaked at {memory.rss >> 20} MiB resident"


def test_links_past_max_links_per_page_are_counted_not_taken():
    body = "<html><body><!-- <a href='/commented'>x</a> --><script>var s = '<a href=\"/in-script\">';</script>" \
           + "".join(f'<a title="a > b" href="/p/{i}?a=1&amp;b=2">x</a><a href="/p/{i}?a=1&amp;b=2">again</a>'
                     for i in range(10)) + '<a href="/logo.png">img</a><a name="top">no href</a></body></html>'
    links = page_links(HtmlResponse("http://wire.test/news/", body=body.encode()), cap=4)
    assert links.urls == [f"http://wire.test/p/{i}?a=1&b=2" for i in range(4)]
    assert links.over_cap == 21 - 8  # every <a href> from the one that would have been the fifth link


# What `wirecrawl ingest` and `extract` say of a page whose extraction ran over a limit of 3 s.
_OVER_3_S = "extraction ran over 3 s (its process was ended)"


def test_ingest_of_a_page_slow_to_extract_ends_at_the_limit_and_stores_the_next_page(data_dir):
    with Site() as site:
        slow = site.add("/slow.html", _slow_to_extract())
        story = site.add("/story/1.html", plain_article_html(1))
        env = {**os.environ, "WIRECRAWL_EXTRACT_TIMEOUT": "3", "PREFECT_API_URL": ""}
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "flows.cli", "--data-dir", str(data_dir), "ingest",
                               "--allow-private", slow, story], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)
        wall = time.monotonic() - started
    assert done.returncode == 1, done.stderr  # one URL rejected
    assert done.stdout.splitlines() == [f"{slow}: rejected (extract_timeout: {_OVER_3_S})",
                                        f"{story}: stored (new cluster 1)"]
    with Store(None, data_dir) as store:
        slow_fetch = store.last_fetch(slow)
        assert slow_fetch.reason == f"extract_timeout: {_OVER_3_S}"
        assert slow_fetch.warc_file is not None  # the page itself is kept in the archive
        assert store.last_fetch(story).outcome == "stored"
        [run] = store.recent_runs(limit=1)
    assert run.stats["rejected: extract_timeout"] == 1 and run.stats["stored"] == 1
    # Start-up and two fetches take a few seconds; the slow page alone takes two minutes unbounded.
    assert 3 < wall < 20, f"the command took {wall:.0f} s"


def _published_at(url: str, html: str) -> str:
    return html.replace("<head>", f'<head><link rel="canonical" href="{url}">', 1)


def test_extract_and_ingest_html_of_a_file_slow_to_extract_reject_it_at_the_limit_and_go_on(tmp_path, data_dir):
    slow, story = tmp_path / "1-slow.html", tmp_path / "2-story.html"
    slow.write_text(_published_at("http://wire.test/slow", _slow_to_extract()))
    story.write_text(_published_at("http://wire.test/story", plain_article_html(2)))
    env = {"PREFECT_API_URL": "", "WIRECRAWL_EXTRACT_TIMEOUT": "3"}

    started = time.monotonic()
    extracted = CliRunner().invoke(app, ["extract", str(slow), str(story)], env=env)
    wall = time.monotonic() - started
    first, second = [json.loads(line) for line in extracted.output.splitlines()]
    assert first["input"] == str(slow) and first["rejected"] == {"reason": "extract_timeout", "detail": _OVER_3_S}
    assert second["input"] == str(story) and "rejected" not in second
    assert second["title"] == "Dispatch 2" and len(second["text"]) > 500
    assert extracted.exit_code == 1
    assert wall < 15, f"the command took {wall:.0f} s"

    started = time.monotonic()
    ingested = CliRunner().invoke(app, ["--data-dir", str(data_dir), "ingest", "--html", str(slow), "--html",
                                        str(story)], env=env)
    wall = time.monotonic() - started
    assert ingested.output.splitlines() == [f"{slow} -> http://wire.test/slow: rejected (extract_timeout: {_OVER_3_S})",
                                            f"{story} -> http://wire.test/story: stored (new cluster 1)"]
    assert ingested.exit_code == 1
    assert wall < 15, f"the command took {wall:.0f} s"
    with Store(None, data_dir) as store:
        assert store.last_fetch("http://wire.test/slow").warc_file is not None  # the page is kept


def test_a_limit_that_is_no_number_is_one_line(tmp_path):
    page = tmp_path / "a.html"
    page.write_text(plain_article_html(3))
    result = CliRunner().invoke(app, ["extract", str(page)], env={"WIRECRAWL_EXTRACT_TIMEOUT": "soon"})
    assert result.exit_code == 2
    assert result.output.splitlines() == ["wirecrawl extract: WIRECRAWL_EXTRACT_TIMEOUT='soon': expected the "
                                          "seconds one page's extraction may take, a number (0: no limit)"]
