"""robots.txt `Crawl-delay` as the minimum delay of a host's download slot."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    """Applies a robots.txt `Crawl-delay` as the minimum delay of the host's
    download slot. Scrapy reads robots.txt (Protego) but ignores the delay;
    AutoThrottle would also lower it, so it is re-asserted before every
    request and after every response of that host."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        s = crawler.settings
        self.agent = s.get("ROBOTSTXT_USER_AGENT") or s.get("USER_AGENT")
        self.floors: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlDelayMiddleware":
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = robotparser.crawl_delay(self.agent) if hasattr(robotparser, "crawl_delay") else None
        if not delay or delay <= 0:
            return
        host = urlparse_cached(request).hostname or ""
        self.floors[host] = float(delay)
        self.crawler.stats.set_value(f"wirecrawl/crawl_delay/{host}", float(delay))
        # Slots created later start from this delay, without jitter below it.
        self.crawler.engine.downloader.per_slot_settings.setdefault(host, {}).update(delay=float(delay), jitter=0.0)
        logger.info("robots.txt of %s asks for Crawl-delay %s s: applied", host, delay)

    def process_request(self, request: Request) -> None:
        self._enforce(request)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        self._enforce(request)

    def _enforce(self, request: Request) -> None:
        if not self.floors:
            return
        key = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        floor = self.floors.get(key)
        slot = self.crawler.engine.downloader.slots.get(key) if floor else None
        if slot is not None and (slot.delay < floor or slot.jitter):
            slot.delay, slot.jitter = max(slot.delay, floor), 0.0

