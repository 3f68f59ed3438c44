"""What a source would give a crawl, found by reading its lists once:
`wirecrawl sources check --probe`.

For each source: the robots.txt of each start URL's host (for its `Sitemap:`
lines, when `robots_sitemaps` is on), every sitemap (the source's and those
robots.txt names, sitemap indexes followed), every feed, and every start
page (its links). With `discover` on, as in a crawl: a source that names no
sitemap, on a host whose robots.txt names none, gets the usual paths tried
(shown only when one is there), and one that names no feed gets the feeds
its start pages announce (read after them). Each is fetched once, in that
order, and the article URLs each lists are counted as a crawl would take
them: canonical, inside the source's allowed domains, passing `allow` /
`deny`. Nothing is stored.

Every request goes through `crawler.fetch.fetch`, the polite fetch: the
crawl's User-Agent, robots.txt obeyed as the source says, its timeout and
size cap, and the source's `download_delay` between two requests to one
host. Sources are named by the operator, so private and loopback addresses
are allowed, as in a crawl.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator
from urllib.parse import urljoin, urlsplit

from crawler.crawl.discovery import (USUAL_SITEMAPS, Limits, Listing, Scope, Unreadable, is_feed_link, read_feed,
                                     read_sitemap, sitemaps_in_robots)
from crawler.crawl.fetch import FetchConfig, fetch
from crawler.ingest.records import Page, Rejected
from crawler.crawl.agent import ROBOTS_TOKEN, user_agent
from crawler.crawl.sources import Source
from crawler.ingest.urls import canonicalize


@dataclass
class Found:
    """What one fetched list (or start page) gave."""

    kind: str  # "robots.txt", "sitemap", "sitemap index", "feed", "start page"
    url: str
    articles: int = 0  # distinct article URLs in the source's scope it lists (links, for a start page)
    sitemaps: int = 0  # sitemaps it names (robots.txt, sitemap index)
    problem: str | None = None  # why nothing, or not everything, could be read: "http_status: HTTP 404 …"
    guessed: bool = False  # a sitemap nothing names, found at a usual path


@dataclass
class Probe:
    """What one source's lists gave, in the order they were fetched."""

    source: str
    found: list[Found] = field(default_factory=list)
    articles: set[str] = field(default_factory=set)  # distinct article URLs over all lists


def fetch_config(source: Source) -> FetchConfig:
    """The fetch rules of a crawl of `source`: its User-Agent, robots.txt as
    it says, its timeout and size cap; private addresses allowed (the
    operator named the source)."""
    p = source.politeness
    return FetchConfig(user_agent=user_agent(p.contact_url, p.user_agent), robots_agent=p.user_agent or ROBOTS_TOKEN,
                       timeout=p.timeout, max_bytes=p.max_bytes, obey_robots=p.obey_robots, allow_private=True)


def probe_source(source: Source, *, limits: Limits = Limits(),
                 get: Callable[[str, FetchConfig], Page] = fetch) -> Probe:
    """Fetch the lists of `source` once each and count the article URLs they
    give (see the module docstring). Never raises for what a site serves: a
    list that cannot be fetched or read is a Found with its `problem`."""
    config = fetch_config(source)
    pace = _Pace(source.politeness.download_delay)
    scope = Scope(source)
    probe = Probe(source.name)

    def take(url: str) -> Page | Found:
        pace.wait(url)
        try:
            return get(url, config)
        except Rejected as exc:
            return Found("", url, problem=str(exc))

    sitemaps = list(source.sitemaps)
    guessed: set[str] = set()  # usual paths tried: when not there, nothing to show
    origins = list(dict.fromkeys(f"{p.scheme}://{p.netloc}" for p in map(urlsplit, source.start_urls)))
    guess_origins = origins if source.discover and not source.sitemaps else []
    if source.robots_sitemaps:
        no_robots_check = replace(config, obey_robots=False)  # robots.txt itself is always asked
        for origin in origins:
            url = f"{origin}/robots.txt"
            pace.wait(url)
            try:
                page = get(url, no_robots_check)
            except Rejected as exc:
                probe.found.append(Found("robots.txt", url, problem=str(exc)))
                if not exc.reason.startswith("http_status") or (exc.status or 500) >= 500:
                    guess_origins = [o for o in guess_origins if o != origin]  # a host down: no guessing
                continue
            # As the crawl does: only Sitemap: lines on the source's allowed domains.
            listed = [u for u in sitemaps_in_robots(page.body, url) if scope.on_site(u)]
            probe.found.append(Found("robots.txt", url, sitemaps=len(listed)))
            sitemaps += [u for u in listed if u not in sitemaps]
            if listed:
                guess_origins = [o for o in guess_origins if o != origin]
    for origin in guess_origins:
        for path in USUAL_SITEMAPS:
            guessed.add(origin + path)
            sitemaps.append(origin + path)

    queue, seen = list(sitemaps), set()
    while queue and len(seen) < limits.max_sitemaps:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        got = take(url)
        if isinstance(got, Found):
            if url not in guessed:
                got.kind = "sitemap"
                probe.found.append(got)
            continue
        listing = _read(lambda: read_sitemap(got.body, url, limits, config.max_bytes))
        if isinstance(listing, str):
            if url not in guessed:
                probe.found.append(Found("sitemap", url, problem=listing))
        elif listing.kind == "sitemapindex":
            children = [e.url for e in listing.entries]
            probe.found.append(Found("sitemap index", url, sitemaps=len(children), problem=listing.problem,
                                     guessed=url in guessed))
            queue += [u for u in children if u not in seen]
        else:
            probe.found.append(_listed("sitemap", url, (e.url for e in listing.entries), scope, probe,
                                       listing.problem))
            probe.found[-1].guessed = url in guessed

    def read_feeds(urls: list[str]) -> None:
        for url in urls:
            got = take(url)
            if isinstance(got, Found):
                got.kind = "feed"
                probe.found.append(got)
                continue
            listing = _read(lambda: read_feed(got.body, url, got.headers.get("content-type")))
            if isinstance(listing, str):
                probe.found.append(Found("feed", url, problem=listing))
            else:
                probe.found.append(_listed("feed", url, (e.url for e in listing.entries), scope, probe,
                                           listing.problem))

    read_feeds(list(source.feeds))
    announced: list[str] = []
    for url in source.start_urls:
        got = take(url)
        if isinstance(got, Found):
            got.kind = "start page"
            probe.found.append(got)
            continue
        probe.found.append(_listed("start page", url, _links(got, source.max_links_per_page), scope, probe, None))
        if source.discover and not source.feeds:
            announced += [u for u in _announced_feeds(got) if u not in announced]
    read_feeds(announced)
    return probe


def _read(read: Callable[[], Listing]) -> Listing | str:
    try:
        return read()
    except Unreadable as exc:
        return str(exc)


def _listed(kind: str, url: str, urls: Iterator[str], scope: Scope, probe: Probe, problem: str | None) -> Found:
    """Count the listed URLs a crawl would request: canonical, in scope."""
    articles = set()
    for listed in urls:
        try:
            key = canonicalize(listed)
        except ValueError:
            continue
        if scope.on_site(key) and scope.wanted(key):
            articles.add(key)
    probe.articles |= articles
    return Found(kind, url, articles=len(articles), problem=problem)


def _links(page: Page, cap: int) -> Iterator[str]:
    """The links of a page, as the crawl's spider takes them (at most `cap`,
    the source's max_links_per_page); none when the page is not HTML."""
    from scrapy.http import HtmlResponse

    from crawler.crawl.links import page_links

    if "html" not in page.headers.get("content-type", "text/html"):
        return iter(())
    response = HtmlResponse(page.final_url or page.url, body=page.body, headers=page.headers)
    return iter(page_links(response, cap).urls)


def _announced_feeds(page: Page) -> list[str]:
    """The feeds an HTML page announces in `<link rel="alternate">`, as the
    crawl's spider takes them (`discovery.is_feed_link`), canonical."""
    from scrapy.http import HtmlResponse

    from crawler.crawl.links import announced_feeds

    if "html" not in page.headers.get("content-type", "text/html"):
        return []
    response = HtmlResponse(page.final_url or page.url, body=page.body, headers=page.headers)
    out = []
    for href, kind, title in announced_feeds(response):
        if is_feed_link(kind, href, title):
            try:
                out.append(canonicalize(urljoin(response.url, href)))
            except ValueError:
                continue
    return out


class _Pace:
    """At least `delay` seconds between two requests to one host, as the
    crawl's DOWNLOAD_DELAY."""

    def __init__(self, delay: float):
        self.delay = delay
        self.last: dict[str, float] = {}

    def wait(self, url: str) -> None:
        host = urlsplit(url).netloc
        if self.delay > 0 and host in self.last:
            time.sleep(max(0.0, self.last[host] + self.delay - time.monotonic()))
        self.last[host] = time.monotonic()
