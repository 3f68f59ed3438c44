"""Each request within its own source's bounds: allowed domains, max_pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached

from crawler.crawl.failures import NotRequested
from crawler.crawl.meta import KIND, PAGE, source_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class SourceScopeMiddleware:
    """Downloader middleware that holds every request to the bounds of the
    source it is for, as Scrapy's OffsiteMiddleware and CloseSpider would for
    a crawl of one site, without touching the other sources of the crawl:

    - a request outside the source's allowed domains (a redirect off the
      site, most often) is not sent: IgnoreRequest "Filtered offsite request
      to <host>", recorded as `offsite`. Lists (sitemaps, feeds, robots.txt)
      carry `allow_offsite`: they may live on another host.
    - once the source has yielded `max_pages` pages, its article page
      requests still waiting are not sent (`NotRequested`, counted by the
      spider as pages over max_pages, not recorded).

    Needs the spider's `scope_of(source)` (a `crawler.crawl.discovery.Scope`)
    and `capped(source)`; requests without a source pass."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SourceScopeMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        source = source_of(request)
        spider = self.crawler.spider
        if source is None or not hasattr(spider, "scope_of"):
            return None
        if request.meta.get(KIND) == PAGE and spider.capped(source):
            spider.count(source, "pages_over_max_pages")
            raise NotRequested(f"{source} reached max_pages")
        if not request.meta.get("allow_offsite") and not spider.scope_of(source).on_site(request.url):
            host = urlparse_cached(request).hostname
            raise IgnoreRequest(f"Filtered offsite request to {host!r}: outside the allowed domains of {source}")
        return None
