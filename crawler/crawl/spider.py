"""The spider that finds the articles of one source.

It reads the source's sitemaps (and the `Sitemap:` lines of robots.txt), its
feeds and its start URLs, follows links inside the source's scope, and yields:

- `Page` for every page fetched at an article URL or start URL (extraction
  decides later whether it is an article),
- `Skipped` for what it gave up on (a malformed sitemap or feed, a trap, a list
  that could not be fetched), and goes on.

It never touches the store: item pipelines do. Every request is canonicalised
(`crawler.ingest.urls.canonicalize`) and left to Scrapy's dupefilter; its
`meta[KIND]` says what it fetches, for the middlewares (`crawler.crawl.meta`).
A listed page also carries `depth` and what the list said about it (lastmod,
news title and publication date, feed title…) in `meta[SITEMAP_INFO]` or
`meta[FEED_INFO]`.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.crawl.discovery import (Limits, Listing, Scope, TrapGuard, Unreadable, read_feed, read_sitemap,
                                     sitemaps_in_robots)
from crawler.crawl.failures import classify
from crawler.crawl.meta import FEED, FEED_INFO, FIRST_FETCH, KIND, PAGE, ROBOTS, SITEMAP, SITEMAP_INFO, START
from crawler.crawl.sources import Source
from crawler.ingest.records import Page, Skipped
from crawler.ingest.urls import canonicalize
from storage.utc import utc_now

# Lists are read before the pages they list, so a crawl capped by max_pages
# spends its pages on listed articles rather than on whatever was linked first.
LIST_PRIORITY = 10
# The message of the IgnoreRequest raised by Scrapy's RobotsTxtMiddleware.
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"


class SiteSpider(scrapy.Spider):
    """Discovers and yields the pages of one `Source`; see the module docstring."""

    name = "site"
    # A 304 answer to the engine's conditional request is still a Page
    # (status 304, empty body): the pipeline records it as unchanged.
    handle_httpstatus_list = [304]

    def __init__(self, source: Source, limits: Limits = Limits(), **kw: Any):
        super().__init__(**kw)
        self.source = source
        self.limits = limits
        # Scrapy's OffsiteMiddleware reads this; lists carry allow_offsite.
        self.allowed_domains = list(source.allowed_domains)
        self.scope = Scope(source)
        self.traps = TrapGuard(limits)
        self.links = LinkExtractor()
        self.pages_yielded = 0
        self.sitemaps_requested = 0
        self._reported: set[tuple[str, str]] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Robots.txt of each start host (for its Sitemap: lines), then the
        sitemaps, the feeds and the start URLs of the source."""
        for request in self._first_requests():
            yield request

    def _first_requests(self) -> Iterator[scrapy.Request]:
        if self.source.robots_sitemaps:
            hosts = dict.fromkeys(urlsplit(u)[:2] for u in self.source.start_urls)
            for scheme, netloc in hosts:
                yield self._list_request(f"{scheme}://{netloc}/robots.txt", ROBOTS, self.parse_robots,
                                         dont_obey_robotstxt=True)
        # Source URLs are canonical already (Source.__post_init__): no None here.
        for url in self.source.sitemaps:
            yield self._sitemap_request(url)
        for url in self.source.feeds:
            yield self._list_request(url, FEED, self.parse_feed)
        for url in self.source.start_urls:
            yield scrapy.Request(canonicalize(url), callback=self.parse_page, errback=self.on_error,
                                 meta={KIND: START, "depth": 0})

    # -- lists ---------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Any]:
        """The `Sitemap:` lines of a robots.txt, as sitemap requests: only
        those on the source's allowed domains (a site's robots.txt does not
        choose what else is crawled); the others are recorded as offsite."""
        if response.status >= 400:
            self._count("robots_missing")
            return
        for url in sitemaps_in_robots(response.body, response.url):
            try:
                url = canonicalize(url)
            except ValueError:
                yield self._skipped(url, "bad_url", f"not an http(s) URL (a Sitemap: line of {response.url})")
                continue
            if self.scope.on_site(url):
                yield from self._maybe_sitemap(url, found_in=response.url)
            else:
                yield self._skipped(url, "offsite", f"named by a Sitemap: line of {response.url}, on a host "
                                                    "outside the source's allowed domains")

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        """Sitemaps of an index, or pages of a urlset (with lastmod and news
        fields in `meta[SITEMAP_INFO]`). An unreadable or partly
        malformed sitemap yields a Skipped; what could be read is used."""
        listing = yield from self._read(response, SITEMAP, lambda: read_sitemap(
            response.body, response.url, self.limits, self.source.politeness.max_bytes))
        if listing is None:
            return
        for entry in listing.entries:
            if listing.kind == "sitemapindex":
                yield from self._maybe_sitemap(entry.url, found_in=response.url)
            else:
                meta = {SITEMAP_INFO: {"sitemap": response.url, **entry.info}}
                yield from self._listed_page(entry.url, meta, found_in=response.url)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        """Pages of an RSS or Atom feed (title and date in
        `meta[FEED_INFO]`). A malformed feed yields a Skipped with
        feedparser's complaint; the entries read before it are used."""
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        listing = yield from self._read(response, FEED, lambda: read_feed(
            response.body, response.url, content_type))
        if listing is None:
            return
        for entry in listing.entries:
            meta = {FEED_INFO: {"feed": response.url, **entry.info}}
            yield from self._listed_page(entry.url, meta, found_in=response.url)

    def _read(self, response: Response, kind: str, read) -> Iterator[Any]:
        """Yields Skipped for a failed or partial read; returns the Listing or None."""
        if response.status == 304:
            self._count(f"{kind}_not_modified")
            return None
        if response.status >= 400:
            yield self._skipped(response.url, "http_status", f"{kind} answered HTTP {response.status}",
                                response.status)
            return None
        try:
            listing: Listing = read()
        except Unreadable as exc:
            yield self._skipped(response.url, exc.reason, exc.detail, response.status)
            return None
        if listing.problem:
            yield self._skipped(response.url, f"malformed_{kind}", listing.problem, response.status)
        self._count(f"{kind}_entries", len(listing.entries))
        return listing

    def _maybe_sitemap(self, url: str, found_in: str) -> Iterator[Any]:
        if self.sitemaps_requested >= self.limits.max_sitemaps:
            yield self._skipped(url, "too_many_sitemaps",
                                f"more than {self.limits.max_sitemaps} sitemaps (listed in {found_in})")
            return
        request = self._sitemap_request(url)
        if request is None:
            yield self._skipped(url, "bad_url", f"not an http(s) URL (listed in {found_in})")
        else:
            yield request

    def _sitemap_request(self, url: str) -> scrapy.Request | None:
        self.sitemaps_requested += 1
        return self._list_request(url, SITEMAP, self.parse_sitemap)

    def _list_request(self, url: str, kind: str, callback, **meta: Any) -> scrapy.Request | None:
        try:
            url = canonicalize(url)
        except ValueError:
            return None
        # Lists may live on another host (a CDN, a feed service); depth
        # restarts at every list so max_depth counts link hops only.
        meta = {KIND: kind, "allow_offsite": True, "depth_reset": True, **meta}
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta,
                              priority=LIST_PRIORITY)

    def _listed_page(self, url: str, meta: dict, found_in: str) -> Iterator[Any]:
        try:
            url = canonicalize(url)
        except ValueError:
            yield self._skipped(url, "bad_url", f"not an http(s) URL (listed in {found_in})")
            return
        if not (self.scope.on_site(url) and self.scope.wanted(url)):
            self._count("listed_out_of_scope")
            return
        yield self._page_request(url, depth=0, depth_reset=True, **meta)

    # -- pages ---------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        """A Page for the response (any status, any content type), then the
        links to follow from it. Stops the crawl once `max_pages` pages were
        yielded."""
        cap = self.source.max_pages
        if cap is not None and self.pages_yielded >= cap:
            self._count("pages_over_max_pages")
            return
        self.pages_yielded += 1
        yield self.page(response)
        if cap is not None and self.pages_yielded >= cap:
            raise CloseSpider("max_pages")
        if self.source.follow_links and isinstance(response, HtmlResponse) and response.status < 300:
            yield from self._follow(response)

    def page(self, response: Response) -> Page:
        """The Page record of a response: `url` is the canonical URL first
        asked for (before redirects), `final_url` where it ended."""
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        headers = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        return Page(url=canonicalize(asked), status=response.status, headers=headers,
                    body=response.body, fetched_at=utc_now(),
                    final_url=response.url, source=self.source.name,
                    first_fetch=bool(response.meta.get(FIRST_FETCH)))

    def _follow(self, response: HtmlResponse) -> Iterator[Any]:
        depth = response.meta.get("depth", 0)
        if self.source.max_depth is not None and depth >= self.source.max_depth:
            self._count("depth_limited")
            return
        for link in self.links.extract_links(response):
            try:
                url = canonicalize(link.url)
            except ValueError:
                continue  # mailto:, javascript: and the like are not pages
            if not (self.scope.on_site(url) and self.scope.wanted(url)):
                self._count("links_out_of_scope")
                continue
            trap = self.traps.check(url)
            if trap is not None:
                yield from self._once(url, *trap, found_in=response.url)
                continue
            yield self._page_request(url, depth=depth + 1)

    def _page_request(self, url: str, depth: int, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                              meta={KIND: PAGE, "depth": depth, **meta})

    # -- failures ------------------------------------------------------------

    def on_error(self, failure) -> Iterator[Any]:
        """A request that failed becomes a Skipped, with the reason
        `classify` names (the one the crawl's errback records): an HTTP error
        status (when Scrapy's HttpErrorMiddleware filters it), a download
        error, or robots.txt forbidding it. A robots.txt that answers 4xx is
        no failure: the site has none. Any other IgnoreRequest is only
        counted: the middleware that raised it (recrawl interval, offsite
        filter) decided on purpose and records its own reason."""
        request = failure.request
        kind = request.meta.get(KIND)
        if failure.check(HttpError) and kind == ROBOTS and failure.value.response.status < 500:
            self._count("robots_missing")
            return
        ignored = failure.check(IgnoreRequest) and not failure.check(HttpError)  # HttpError is one too
        if ignored and not str(failure.value).startswith(ROBOTS_FORBIDDEN):
            self._count("ignored_requests")
            self.logger.debug("%s ignored: %s", request.url, failure.value)
            return
        why = classify(failure, request, self.source.politeness.max_bytes)
        yield self._skipped(request.url, why.reason, f"{why.detail} ({kind})", why.status)

    def _once(self, url: str, reason: str, detail: str, found_in: str) -> Iterator[Skipped]:
        # A trap is linked from many pages; record it once per crawl.
        if (url, reason) not in self._reported:
            self._reported.add((url, reason))
            yield self._skipped(url, reason, f"{detail} (linked from {found_in})")

    def _skipped(self, url: str, reason: str, detail: str, status: int | None = None) -> Skipped:
        self._count(f"skipped/{reason}")
        self.logger.info("skipped %s: %s: %s", url, reason, detail)
        return Skipped(url=url, reason=reason, detail=detail, status=status, source=self.source.name)

    def _count(self, key: str, n: int = 1) -> None:
        crawler = getattr(self, "crawler", None)  # None when built outside a crawl
        if crawler is not None:
            crawler.stats.inc_value(f"wirecrawl/discovery/{key}", n, start=0)
        return None
