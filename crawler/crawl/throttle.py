"""AutoThrottle that never goes below a host's floor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.extensions.throttle import AutoThrottle

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.http import Response


class HostAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle (AUTOTHROTTLE_* settings), adjusting each host's
    delay to its latency, but never below the floor of the host's slot
    (`crawler.crawl.slots.HostSlot`: the source's `download_delay`, raised by
    robots.txt's Crawl-delay). Scrapy's own takes one floor for the whole
    crawl (DOWNLOAD_DELAY); in a crawl of many sources each host has its own.
    A request of a source with `autothrottle = false` carries
    `autothrottle_dont_adjust_delay` and leaves its slot alone."""

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        floor = getattr(slot, "floor", 0.0)
        if slot.delay < floor:
            slot.delay = floor
