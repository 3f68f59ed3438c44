"""Each page's cost is bounded: the links taken from one page, and the time
one page's extraction may take. Sites on 127.0.0.1; the crawl runs as its own
process so the memory of its whole process tree can be measured."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from scrapy.http import HtmlResponse

from crawler.crawl.links import page_links
from storage.store import Store
from tests.process_tree import TreeMemory
from tests.sites import Site
from tests.test_crawl import plain_article_html

REPO = Path(__file__).resolve().parents[1]


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
