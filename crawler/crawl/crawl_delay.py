"""robots.txt `Crawl-delay` as the minimum delay of a host's download slot."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.httpobj import urlparse_cached

from crawler.crawl.slots import host_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    """Applies a robots.txt `Crawl-delay` (for the request's User-Agent, else
    USER_AGENT) as the floor of the host's download slot: no two requests to
    that host closer than that, whatever the source's `download_delay` or
    AutoThrottle say. Scrapy reads robots.txt (Protego) but ignores the
    delay. Needs `crawler.crawl.slots.HostDownloader` (DOWNLOADER), which
    keeps the floor for the host's slots now and later."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        s = crawler.settings
        self.agent = s.get("ROBOTSTXT_USER_AGENT") or s.get("USER_AGENT")
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlDelayMiddleware":
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        agent = self.agent
        if not self.crawler.settings.get("ROBOTSTXT_USER_AGENT"):
            agent = (request.headers.get(b"User-Agent") or b"").decode("latin-1") or agent
        delay = robotparser.crawl_delay(agent) if hasattr(robotparser, "crawl_delay") else None
        if not delay or delay <= 0:
            return
        key = host_key(urlparse_cached(request))
        self.crawler.stats.set_value(f"wirecrawl/crawl_delay/{key}", float(delay))
        downloader = self.crawler.engine.downloader
        if hasattr(downloader, "raise_floor"):
            downloader.raise_floor(key, float(delay))
        else:  # Scrapy's own downloader: slots created from now on
            downloader.per_slot_settings.setdefault(key, {}).update(delay=float(delay), jitter=0.0)
        logger.info("robots.txt of %s asks for Crawl-delay %s s: applied", key, delay)
