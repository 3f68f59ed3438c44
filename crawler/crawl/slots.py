"""Politeness per host, whichever source asks: the downloader of a crawl of many sources.

Scrapy's downloader keeps one slot per host: the requests in flight to it,
and the delay since its last request. This downloader names the slot after
the host and its port (`host_key`: two servers on one machine are two hosts,
`http` and `https` of one host are one), and sets each slot from the
sources whose requests go there:

- its delay is the source's `download_delay`, a floor: no random jitter
  below it (Scrapy's default of +-50 % would let two requests come half the
  delay apart), robots.txt's `Crawl-delay` raises it (`raise_floor`), and
  AutoThrottle may lengthen it, never shorten it (`crawler.crawl.throttle`);
- its concurrency is the source's `concurrency_per_host`.

When two sources of one crawl share a host, the politer of the two wins
for each number. A request Scrapy makes on its own (robots.txt) takes the
politeness of the sources naming its host, else the crawl's settings.
What a slot was set to outlives the slot: Scrapy drops slots idle for a
minute, and the next request to the host gets the same again.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy import Request, Spider

    from crawler.crawl.sources import Politeness

_DEFAULT_PORTS = {"http": 80, "https": 443}
# A slot of a source with AutoThrottle starts at least this slow, as
# Scrapy's AUTOTHROTTLE_START_DELAY would; AutoThrottle then finds the pace.
AUTOTHROTTLE_START_S = 1.0


def host_key(url: str | SplitResult) -> str:
    """The host a URL is fetched from, as politeness counts hosts: the host
    name in lower case, with its port when it is not the scheme's default
    ("example.org", "127.0.0.1:8471", "[::1]:8080"); "" for a URL without a
    host. Never raises: a port that is not a number is left out."""
    parts = urlsplit(url) if isinstance(url, str) else url
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port and port != _DEFAULT_PORTS.get(parts.scheme) else host


@dataclass
class HostPolicy:
    """What one host's slot is held to: a delay floor (seconds), requests in
    flight, and the delay a new slot starts with (AutoThrottle's start)."""

    floor: float
    concurrency: int
    start: float

    def tighten(self, other: "HostPolicy") -> bool:
        """Take the politer of each number; True when anything changed."""
        merged = (max(self.floor, other.floor), min(self.concurrency, other.concurrency),
                  max(self.start, other.start))
        changed = merged != (self.floor, self.concurrency, self.start)
        self.floor, self.concurrency, self.start = merged
        return changed


def policy_of(politeness: Politeness) -> HostPolicy:
    start = max(politeness.download_delay, AUTOTHROTTLE_START_S) if politeness.autothrottle else 0.0
    return HostPolicy(politeness.download_delay, politeness.concurrency_per_host, start)


class HostSlot(Slot):
    """Scrapy's slot, with the floor its delay may not go below."""

    __slots__ = ("floor",)

    def __init__(self, policy: HostPolicy):
        super().__init__(policy.concurrency, max(policy.floor, policy.start), jitter=0.0)
        self.floor = policy.floor

    def apply(self, policy: HostPolicy) -> None:
        self.floor = policy.floor
        self.concurrency = policy.concurrency
        self.delay = max(self.delay, policy.floor)


class HostDownloader(Downloader):
    """Scrapy's downloader with a slot per host as the module docstring says.
    The spider must offer `politeness_for(request)` (the Politeness of the
    source the request is for, or of the sources naming its host; None when
    there is none); without it, every slot follows the crawl's settings."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.policies: dict[str, HostPolicy] = {}

    def get_slot_key(self, request: Request) -> str:
        # Not `meta["download_slot"]`: Scrapy writes it on every request it
        # enqueues, and a redirect to another host carries it along.
        return host_key(urlparse_cached(request))

    def _get_slot(self, request: Request, spider: Spider | None = None) -> tuple[str, Slot]:
        key = self.get_slot_key(request)
        asked = self._asked_policy(request)
        policy = self.policies.get(key)
        if policy is None:
            policy = self.policies[key] = asked
        elif not policy.tighten(asked):
            asked = None
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = HostSlot(policy)
            self._start_slot_gc()
        elif asked is not None and isinstance(slot, HostSlot):
            slot.apply(policy)
        return key, slot

    def _process_queue(self, slot: Slot) -> None:
        """Scrapy's, but a request taken from the slot's queue counts against
        the slot's concurrency at once. Scrapy starts each download as a task
        that runs on the event loop's next turn and only then counts it as
        transferring, so with no delay its loop took every queued request at
        once: 7 in flight to a host held to 1 (measured). The rest is
        Scrapy's: the delay since the slot's last request, then as many
        requests as the slot has room for, one at a time under a delay."""
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # Scrapy's download adds it again, and removes it when done
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break

    def raise_floor(self, key: str, delay: float) -> None:
        """Make `delay` the least delay between two requests to host `key`
        (robots.txt's Crawl-delay), for its slot now and any slot it gets later."""
        policy = self.policies.setdefault(key, HostPolicy(delay, self.domain_concurrency, 0.0))
        policy.floor = max(policy.floor, delay)
        slot = self.slots.get(key)
        if isinstance(slot, HostSlot):
            slot.apply(policy)

    def _asked_policy(self, request: Request) -> HostPolicy:
        spider = self.crawler.spider
        find = getattr(spider, "politeness_for", None)
        politeness = find(request) if find is not None else None
        if politeness is not None:
            return policy_of(politeness)
        return HostPolicy(self._delay, self.domain_concurrency, 0.0)

