"""A host whose name did not resolve is not looked up again in the same crawl."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import CannotResolveHostError
from scrapy.utils.httpobj import urlparse_cached

from crawler.crawl.failures import DNS_ERRORS

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class UnresolvedHostMiddleware:
    """Downloader middleware: once a host name failed its DNS lookup, every
    later request to it in this crawl fails at once with the same error
    (recorded as `dns_error`, "... (looked up earlier in this crawl)")
    instead of waiting for the resolver again. A source whose sites cannot
    be reached thus ends in the time of one lookup per host, and the
    resolver's threads stay free for the hosts that answer. Within one crawl
    a name that did not resolve is taken not to resolve; the next crawl asks
    again."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.unresolved: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "UnresolvedHostMiddleware":
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname
        message = self.unresolved.get(host or "")
        if message is not None:
            self.stats.inc_value("wirecrawl/dns/not_looked_up_again")
            raise CannotResolveHostError(f"{message} (looked up earlier in this crawl)")
        return None

    def process_exception(self, request: Request, exception: Exception) -> None:
        host = urlparse_cached(request).hostname
        if host and isinstance(exception, DNS_ERRORS) and host not in self.unresolved:
            self.unresolved[host] = str(exception) or f"DNS lookup failed for {host}"
        return None
