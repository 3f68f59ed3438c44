"""The spider that finds the articles of many sources in one crawl.

For each source it reads the sitemaps (and the `Sitemap:` lines of
robots.txt), the feeds and the start URLs, follows links inside the
source's scope, and yields:

- `Page` for every page fetched at an article URL or start URL (extraction
  decides later whether it is an article),
- `Skipped` for what it gave up on (a malformed sitemap or feed, a trap, a list
  that could not be fetched), and goes on.

A source that names only its home page still gets its lists: the feeds its
start pages announce (`<link rel="alternate">`) when it names no feed, and,
when it names no sitemap and robots.txt names none, the sitemaps at the
usual paths (`discovery.USUAL_SITEMAPS`). A source with `max_age_hours`
does not ask for listed pages whose sitemap or feed date is older.

Every source keeps its own bounds (scope, trap guard, depth, max_pages) and
counts; every request carries the source's name (`meta[SOURCE]`) and its
politeness (User-Agent, timeout, size cap, retries, robots.txt), for the
middlewares and the downloader's per-host slots (`crawler.crawl.slots`).

It never touches the store: item pipelines do. Every request is canonicalised
(`crawler.ingest.urls.canonicalize`) and left to the duplicate filter
(`crawler.crawl.dupefilter`); its `meta[KIND]` says what it fetches, for the
middlewares (`crawler.crawl.meta`). A listed page also carries `depth` and
what the list said about it (lastmod, news title and publication date, feed
title…) in `meta[SITEMAP_INFO]` or `meta[FEED_INFO]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, AsyncIterator, Iterable, Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.crawl.agent import user_agent
from crawler.crawl.discovery import (USUAL_SITEMAPS, Limits, Listing, Scope, TrapGuard, Unreadable, is_feed_link,
                                     listed_date, read_feed, read_sitemap, sitemaps_in_robots)
from crawler.crawl.dupefilter import url_hash
from crawler.crawl.failures import NotRequested, classify
from crawler.crawl.links import announced_feeds, page_links
from crawler.crawl.meta import (FEED, FEED_INFO, FIRST_FETCH, FROM_LINK, GUESS, KIND, LAST_FETCH, PAGE, ROBOTS,
                                SITEMAP, SITEMAP_INFO, SOURCE, START, source_of)
from crawler.crawl.slots import host_key
from crawler.crawl.sources import Politeness, Source
from crawler.crawl.stats import stat_key
from crawler.ingest.records import Page, Skipped
from crawler.ingest.urls import canonicalize
from storage.utc import utc_now

# Lists are read before the pages they list, so a crawl capped by max_pages
# spends its pages on listed articles rather than on whatever was linked first.
LIST_PRIORITY = 10
# The message of the IgnoreRequest raised by Scrapy's RobotsTxtMiddleware.
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"
# Feeds taken from one start page at most (a page may announce one per section).
MAX_FEEDS_PER_PAGE = 10


@dataclass
class SourceState:
    """One source's part of the crawl: its bounds and what it did so far."""

    source: Source
    limits: Limits
    scope: Scope = field(init=False)
    traps: TrapGuard = field(init=False)
    agent: str = field(init=False)
    pages_yielded: int = 0
    # Page requests sent of a source with max_pages (crawler.crawl.download_handler).
    pages_sent: int = 0
    sitemaps_requested: int = 0
    capped: bool = False
    # Listed pages not requested for their age: counted once, forgotten
    # again when a fresher listing asks for them after all.
    too_old: set[str] = field(default_factory=set)
    # The article pages this source requested in this crawl (16-byte hashes of their URLs).
    asked: set[bytes] = field(default_factory=set)
    reported: set[tuple[str, str]] = field(default_factory=set)  # traps recorded once per crawl
    guessed_hosts: set[str] = field(default_factory=set)  # hosts whose usual sitemap paths were tried

    def __post_init__(self):
        self.scope = Scope(self.source)
        self.traps = TrapGuard(self.limits)
        p = self.source.politeness
        self.agent = user_agent(p.contact_url, p.user_agent)

    @property
    def discovers_feeds(self) -> bool:
        return self.source.discover and not self.source.feeds

    @property
    def discovers_sitemaps(self) -> bool:
        return self.source.discover and not self.source.sitemaps


class SiteSpider(scrapy.Spider):
    """Discovers and yields the pages of its sources; see the module docstring.
    Built with `sources` (or one `source`, as before)."""

    name = "sites"
    # A 304 answer to the engine's conditional request is still a Page
    # (status 304, empty body): the pipeline records it as unchanged.
    handle_httpstatus_list = [304]

    def __init__(self, sources: Iterable[Source] = (), limits: Limits = Limits(), source: Source | None = None,
                 **kw: Any):
        super().__init__(**kw)
        chosen = [*sources, *([source] if source is not None else [])]
        if not chosen:
            raise ValueError("SiteSpider needs at least one source")
        self.sources: dict[str, Source] = {s.name: s for s in chosen}
        self.states = {name: SourceState(s, limits) for name, s in self.sources.items()}
        self.limits = limits
        # Scope is per source (SourceScopeMiddleware): Scrapy's offsite filter
        # lets everything through without allowed_domains.
        self.allowed_domains: list[str] = []
        # Sources whose first requests were all handed to the engine.
        self.seeded: set[str] = set()
        # Whose politeness a request made by Scrapy itself (robots.txt) takes.
        self._host_politeness: dict[str, Politeness] = {}
        for s in chosen:
            for url in (*s.start_urls, *s.feeds, *s.sitemaps):
                key = host_key(url)
                known = self._host_politeness.get(key)
                if known is None or s.politeness.download_delay > known.download_delay:
                    self._host_politeness[key] = s.politeness
        # Start pages yielded as Pages in this crawl: two sources that share
        # one read its links each, but it is ingested once.
        self._start_pages: set[str] = set()

    # -- what the middlewares and the downloader ask ------------------------

    def politeness_for(self, request: scrapy.Request) -> Politeness | None:
        """The Politeness of the source `request` is for; for a request
        without one (robots.txt, asked by Scrapy), of the source naming its
        host, the politest if several; None when no source names it."""
        source = source_of(request)
        if source in self.sources:
            return self.sources[source].politeness
        return self._host_politeness.get(host_key(request.url))

    def scope_of(self, source: str) -> Scope:
        return self.states[source].scope

    def capped(self, source: str) -> bool:
        """True once the source yielded its `max_pages` pages."""
        return self.states[source].capped

    def count(self, source: str, key: str, n: int = 1) -> None:
        """Count a discovery event of a source (`source/<name>/discovery/<key>`)."""
        crawler = getattr(self, "crawler", None)  # None when built outside a crawl
        if crawler is not None:
            crawler.stats.inc_value(stat_key(source, "discovery", key), n, start=0)

    def _count_skip(self, source: str, reason: str, n: int = 1) -> None:
        crawler = getattr(self, "crawler", None)
        if crawler is not None:
            crawler.stats.inc_value(stat_key(source, "skipped", reason), n, start=0)

    # -- start ---------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """For each source in turn: robots.txt of each start host (for its
        Sitemap: lines), then its sitemaps, its feeds and its start URLs."""
        for name, state in self.states.items():
            for request in self._first_requests(state):
                yield request
            self.seeded.add(name)

    def _first_requests(self, state: SourceState) -> Iterator[scrapy.Request]:
        source = state.source
        hosts = list(dict.fromkeys(urlsplit(u)[:2] for u in source.start_urls))
        for scheme, netloc in hosts:
            if source.robots_sitemaps:
                yield self._list_request(state, f"{scheme}://{netloc}/robots.txt", ROBOTS, self.parse_robots,
                                         dont_obey_robotstxt=True)
            elif state.discovers_sitemaps:
                yield from self._guessed_sitemaps(state, f"{scheme}://{netloc}/")
        # Source URLs are canonical already (Source.__post_init__): no None here.
        for url in source.sitemaps:
            yield self._sitemap_request(state, url)
        for url in source.feeds:
            yield self._list_request(state, url, FEED, self.parse_feed)
        for url in source.start_urls:
            yield self._request(state, canonicalize(url), self.parse_page, kind=START, depth=0)

    def _request(self, state: SourceState, url: str, callback, *, kind: str, priority: int = 0,
                 **meta: Any) -> scrapy.Request:
        """A request of `state`'s source, carrying its politeness."""
        p = state.source.politeness
        meta = {SOURCE: state.source.name, KIND: kind, "download_timeout": p.timeout,
                "download_maxsize": p.max_bytes, "download_warnsize": max(1, p.max_bytes // 2),
                "max_retry_times": p.retry_times, **meta}
        if not p.obey_robots:
            meta["dont_obey_robotstxt"] = True
        if not p.autothrottle:
            meta["autothrottle_dont_adjust_delay"] = True
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, priority=priority,
                              headers={"User-Agent": state.agent})

    def _state(self, request: scrapy.Request) -> SourceState:
        return self.states[source_of(request)]

    # -- lists ---------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Any]:
        """The `Sitemap:` lines of a robots.txt, as sitemap requests: only
        those on the source's allowed domains (a site's robots.txt does not
        choose what else is crawled; the others are recorded as offsite);
        when it names none and the source names none either, the usual paths."""
        state = self._state(response.request)
        if response.status >= 400:
            self.count(state.source.name, "robots_missing")
            yield from self._guessed_sitemaps(state, response.url)
            return
        named = sitemaps_in_robots(response.body, response.url)
        for url in named:
            try:
                url = canonicalize(url)
            except ValueError:
                yield self._skipped(state, url, "bad_url", f"not an http(s) URL (a Sitemap: line of {response.url})")
                continue
            if state.scope.on_site(url):
                yield from self._maybe_sitemap(state, url, found_in=response.url)
            else:
                yield self._skipped(state, url, "offsite", f"named by a Sitemap: line of {response.url}, on a host "
                                                           "outside the source's allowed domains")
        if not named:
            yield from self._guessed_sitemaps(state, response.url)

    def _guessed_sitemaps(self, state: SourceState, site_url: str) -> Iterator[Any]:
        """Sitemap requests at the usual paths of the host of `site_url`,
        once per host, for a source that names no sitemap and discovers."""
        key = host_key(site_url)
        if not state.discovers_sitemaps or key in state.guessed_hosts:
            return
        state.guessed_hosts.add(key)
        for path in USUAL_SITEMAPS:
            request = self._sitemap_request(state, urljoin(site_url, path), **{GUESS: True})
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Sitemaps of an index, or pages of a urlset (with lastmod and news
        fields in `meta[SITEMAP_INFO]`). An unreadable or partly
        malformed sitemap yields a Skipped; what could be read is used. A
        guessed sitemap that is not there (or no sitemap) is only counted."""
        state = self._state(response.request)
        listing = yield from self._read(state, response, SITEMAP, lambda: read_sitemap(
            response.body, response.url, self.limits, state.source.politeness.max_bytes))
        if listing is None:
            return
        for entry in listing.entries:
            if listing.kind == "sitemapindex":
                yield from self._maybe_sitemap(state, entry.url, found_in=response.url)
            else:
                meta = {SITEMAP_INFO: {"sitemap": response.url, **entry.info}}
                yield from self._listed_page(state, entry.url, meta, found_in=response.url)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """Pages of an RSS or Atom feed (title and date in
        `meta[FEED_INFO]`). A malformed feed yields a Skipped with
        feedparser's complaint; the entries read before it are used."""
        state = self._state(response.request)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        listing = yield from self._read(state, response, FEED, lambda: read_feed(
            response.body, response.url, content_type))
        if listing is None:
            return
        for entry in listing.entries:
            meta = {FEED_INFO: {"feed": response.url, **entry.info}}
            yield from self._listed_page(state, entry.url, meta, found_in=response.url)

    def _read(self, state: SourceState, response: Response, kind: str, read) -> Iterator[Any]:
        """Yields Skipped for a failed or partial read; returns the Listing or None."""
        name = state.source.name
        guessed = response.meta.get(GUESS)
        if response.status == 304:
            self.count(name, f"{kind}_not_modified")
            return None
        if response.status >= 400:
            if guessed:
                self.count(name, "guessed_sitemap_missing")
                return None
            yield self._skipped(state, response.url, "http_status", f"{kind} answered HTTP {response.status}",
                                response.status)
            return None
        try:
            listing: Listing = read()
        except Unreadable as exc:
            if guessed:
                self.count(name, "guessed_sitemap_missing")
                return None
            yield self._skipped(state, response.url, exc.reason, exc.detail, response.status)
            return None
        if guessed:
            self.count(name, "guessed_sitemap_found")
        if listing.problem:
            yield self._skipped(state, response.url, f"malformed_{kind}", listing.problem, response.status)
        self.count(name, f"{kind}_entries", len(listing.entries))
        return listing

    def _maybe_sitemap(self, state: SourceState, url: str, found_in: str) -> Iterator[Any]:
        if state.sitemaps_requested >= self.limits.max_sitemaps:
            yield self._skipped(state, url, "too_many_sitemaps",
                                f"more than {self.limits.max_sitemaps} sitemaps (listed in {found_in})")
            return
        request = self._sitemap_request(state, url)
        if request is None:
            yield self._skipped(state, url, "bad_url", f"not an http(s) URL (listed in {found_in})")
        else:
            yield request

    def _sitemap_request(self, state: SourceState, url: str, **meta: Any) -> scrapy.Request | None:
        state.sitemaps_requested += 1
        return self._list_request(state, url, SITEMAP, self.parse_sitemap, **meta)

    def _list_request(self, state: SourceState, url: str, kind: str, callback, **meta: Any) -> scrapy.Request | None:
        try:
            url = canonicalize(url)
        except ValueError:
            return None
        # Lists may live on another host (a CDN, a feed service); depth
        # restarts at every list so max_depth counts link hops only.
        return self._request(state, url, callback, kind=kind, priority=LIST_PRIORITY, allow_offsite=True,
                             depth_reset=True, **meta)

    def _listed_page(self, state: SourceState, url: str, meta: dict, found_in: str) -> Iterator[Any]:
        name = state.source.name
        try:
            url = canonicalize(url)
        except ValueError:
            yield self._skipped(state, url, "bad_url", f"not an http(s) URL (listed in {found_in})")
            return
        if not (state.scope.on_site(url) and state.scope.wanted(url)):
            self.count(name, "listed_out_of_scope")
            return
        if self._too_old(state, meta):
            if url_hash(url) in state.asked:
                return  # requested already (a link, a fresher listing): not also left out for its age
            if url not in state.too_old:
                state.too_old.add(url)
                self._count_skip(name, "too_old")
            return
        if url in state.too_old:  # listed again, fresh enough this time
            state.too_old.discard(url)
            self._count_skip(name, "too_old", -1)
        yield self._page_request(state, url, depth=0, depth_reset=True, **meta)

    def _too_old(self, state: SourceState, meta: dict) -> bool:
        hours = state.source.max_age_hours
        if hours is None:
            return False
        info = meta.get(SITEMAP_INFO) or meta.get(FEED_INFO) or {}
        date = listed_date(info)
        return date is not None and date < utc_now() - timedelta(hours=hours)

    # -- pages ---------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        """A Page for the response (any status, any content type), then the
        feeds a start page announces and the links to follow from it. Once a
        source yielded `max_pages` pages it yields no more (and the crawl
        ends when every source did)."""
        state = self._state(response.request)
        name, cap = state.source.name, state.source.max_pages
        if cap is not None and state.pages_yielded >= cap:
            self.count(name, "pages_over_max_pages")
            return
        kind = response.meta.get(KIND)
        page = self.page(response)
        if kind != START or page.url not in self._start_pages:
            if kind == START:
                self._start_pages.add(page.url)
            state.pages_yielded += 1
            yield page
        if cap is not None and state.pages_yielded >= cap:
            state.capped = True
            if all(s.capped for s in self.states.values()):
                raise CloseSpider("max_pages")
            return
        if not isinstance(response, HtmlResponse) or response.status >= 300:
            return
        if kind == START and state.discovers_feeds:
            yield from self._announced_feeds(state, response)
        if state.source.follow_links:
            yield from self._follow(state, response)

    def page(self, response: Response) -> Page:
        """The Page record of a response: `url` is the canonical URL first
        asked for (before redirects), `final_url` where it ended."""
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        headers = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        return Page(url=canonicalize(asked), status=response.status, headers=headers,
                    body=response.body, fetched_at=utc_now(),
                    final_url=response.url, source=source_of(response.request) or "",
                    first_fetch=bool(response.meta.get(FIRST_FETCH)),
                    validated=response.meta.get(LAST_FETCH) if response.status == 304 else None)

    def _announced_feeds(self, state: SourceState, response: HtmlResponse) -> Iterator[Any]:
        """The feeds a start page names in `<link rel="alternate">`."""
        found = 0
        for href, kind, title in announced_feeds(response):
            if not is_feed_link(kind, href, title):
                continue
            request = self._list_request(state, urljoin(response.url, href), FEED, self.parse_feed)
            if request is not None:
                found += 1
                yield request
            if found >= MAX_FEEDS_PER_PAGE:
                break
        if found:
            self.count(state.source.name, "feeds_announced", found)

    def _follow(self, state: SourceState, response: HtmlResponse) -> Iterator[Any]:
        depth = response.meta.get("depth", 0)
        name = state.source.name
        if state.source.max_depth is not None and depth >= state.source.max_depth:
            self.count(name, "depth_limited")
            return
        # A page may hold hundreds of thousands of links: the first
        # max_links_per_page are taken, the others counted (links_over_cap).
        links = page_links(response, state.source.max_links_per_page)
        if links.over_cap:
            self.count(name, "links_over_cap", links.over_cap)
            self.logger.info("%s: %d links over max_links_per_page (%d) not followed", response.url,
                             links.over_cap, state.source.max_links_per_page)
        for link in links.urls:
            try:
                url = canonicalize(link)
            except ValueError:
                continue  # mailto:, javascript: and the like are not pages
            if not (state.scope.on_site(url) and state.scope.wanted(url)):
                self.count(name, "links_out_of_scope")
                continue
            trap = state.traps.check(url)
            if trap is not None:
                yield from self._once(state, url, *trap, found_in=response.url)
                continue
            yield self._page_request(state, url, depth=depth + 1, **{FROM_LINK: True})

    def _page_request(self, state: SourceState, url: str, depth: int, **meta: Any) -> scrapy.Request:
        state.asked.add(url_hash(url))
        return self._request(state, url, self.parse_page, kind=PAGE, depth=depth, **meta)

    # -- failures ------------------------------------------------------------

    def on_error(self, failure) -> Iterator[Any]:
        """A request that failed becomes a Skipped, with the reason
        `classify` names (the one the crawl's errback records): an HTTP error
        status (when Scrapy's HttpErrorMiddleware filters it), a download
        error, or robots.txt forbidding it. A robots.txt that answers 4xx is
        no failure: the site has none (its usual sitemap paths are tried),
        and neither is a guessed sitemap that cannot be had. Any other
        IgnoreRequest is only counted: the middleware that raised it
        (recrawl interval, offsite filter, max_pages) decided on purpose and
        records its own reason."""
        request = failure.request
        state = self.states.get(source_of(request) or "")
        if state is None:
            return
        name, kind = state.source.name, request.meta.get(KIND)
        if failure.check(HttpError) and kind == ROBOTS and failure.value.response.status < 500:
            self.count(name, "robots_missing")
            yield from self._guessed_sitemaps(state, request.url)
            return
        if request.meta.get(GUESS):
            self.count(name, "guessed_sitemap_missing")
            return
        if failure.check(NotRequested):
            return
        ignored = failure.check(IgnoreRequest) and not failure.check(HttpError)  # HttpError is one too
        if ignored and not str(failure.value).startswith(ROBOTS_FORBIDDEN):
            self.count(name, "ignored_requests")
            self.logger.debug("%s ignored: %s", request.url, failure.value)
            return
        why = classify(failure, request, state.source.politeness.max_bytes)
        yield self._skipped(state, request.url, why.reason, f"{why.detail} ({kind})", why.status)

    def _once(self, state: SourceState, url: str, reason: str, detail: str, found_in: str) -> Iterator[Skipped]:
        # A trap is linked from many pages; record it once per crawl.
        if (url, reason) not in state.reported:
            state.reported.add((url, reason))
            yield self._skipped(state, url, reason, f"{detail} (linked from {found_in})")

    def _skipped(self, state: SourceState, url: str, reason: str, detail: str, status: int | None = None) -> Skipped:
        self.count(state.source.name, f"skipped/{reason}")
        self.logger.info("skipped %s: %s: %s", url, reason, detail)
        return Skipped(url=url, reason=reason, detail=detail, status=status, source=state.source.name)

