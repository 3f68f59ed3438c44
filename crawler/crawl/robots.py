"""robots.txt in a crawl: asked for once per origin, obeyed by every request,
and read as "everything disallowed" when it cannot be read (RFC 9309).

Scrapy's own RobotsTxtMiddleware lets every request through when robots.txt
answers 5xx, does not answer in time or cannot be read; RFC 9309 §2.3.1.4 asks
for the opposite. This middleware replaces it, with the rules of the ad-hoc
fetch (`crawler.crawl.robots_rules`), so `wirecrawl crawl` and
`wirecrawl ingest` read a robots.txt alike:

- 2xx: the rules of its first 500 KiB (a longer file is cut there, not
  refused); a URL they forbid is `robots_disallowed`.
- 4xx, or a redirect chain that does not end: no rules, everything allowed.
- 5xx, no complete answer within the download timeout, a body that does not
  decompress or is too large once decompressed: every URL of the origin is
  `robots_unavailable` (failed, not requested), until robots.txt is asked for
  again: by the first request after WIRECRAWL_ROBOTS_RETRY_AFTER seconds, and
  by every new crawl.
- the host cannot be reached at all (DNS, connection refused or broken): each
  URL of the origin fails with that reason, not requested.

The spider's own request for robots.txt (`meta[KIND] == ROBOTS`, for its
`Sitemap:` lines) is answered from the one download, so robots.txt costs one
request per origin and crawl. Its `Crawl-delay` reaches CrawlDelayMiddleware
through Scrapy's `robots_parsed` signal.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.crawl.failures import NotRequested, Refused, classify
from crawler.crawl.robots_rules import (ROBOTS_ERROR_TTL, ROBOTS_PARSED_BYTES, RobotsRules, robots_rules,
                                        robots_unreadable)
from crawler.crawl.meta import KIND, ROBOTS
from crawler.ingest.records import Rejected

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response

logger = logging.getLogger(__name__)

# Marks our own request for robots.txt, and counts its bytes.
_FETCH = "wirecrawl_robots_fetch"
_RECEIVED = "wirecrawl_robots_bytes"
# Failures that mean the host was not reached at all: the page would fail alike.
_UNREACHABLE = ("dns_error", "connection_refused", "connection_error")
# What a chain of redirects that never ends is named (RFC 9309 §2.3.1.2: no robots.txt).
_REDIRECTS = ("redirect_loop", "too_many_redirects", "redirect_to_seen_url")


class RobotsForbidden(Refused):
    """A request robots.txt forbids, or may forbid (it could not be read);
    `rejected` names the reason to record. The message starts as Scrapy's
    own does ("Forbidden by robots.txt"), which the spider looks for."""

    def __init__(self, rejected: Rejected):
        super().__init__(rejected, message=f"Forbidden by robots.txt: {rejected}")


@dataclass
class _Answer:
    """What robots.txt of one origin said, and until when it holds."""

    rules: RobotsRules
    expires: float = float("inf")
    response: Response | None = None  # to answer the spider's own request with
    error: Exception | None = None  # the download failed: the spider's request fails alike
    unreachable: Rejected | None = None  # the host could not be reached: every page fails with this


@dataclass
class _Origin:
    answer: _Answer | None = None
    waiting: list[Deferred] = field(default_factory=list)


class RobotsMiddleware:
    """Downloader middleware that fetches robots.txt once per origin
    (scheme, host and port) and refuses what it forbids, as the module
    docstring says. A refused request raises `RobotsForbidden`, which the
    crawl records with its reason.

    Settings: ROBOTSTXT_OBEY (off: the middleware is not used),
    ROBOTSTXT_USER_AGENT (the token matched against `User-agent:` lines;
    unset: the request's User-Agent), USER_AGENT, DOWNLOAD_MAXSIZE (the cap on
    a compressed robots.txt once decompressed), WIRECRAWL_ROBOTS_RETRY_AFTER
    (600 s: how long a robots.txt that could not be read holds). robots.txt is
    downloaded like any request of the crawl (DOWNLOAD_TIMEOUT, politeness),
    but not retried: it is asked for again after the pause."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        if not s.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.agent: str | None = s.get("ROBOTSTXT_USER_AGENT") or None
        self.default_agent: str = s.get("USER_AGENT") or ""
        self.max_bytes = s.getint("DOWNLOAD_MAXSIZE")
        self.retry_after = s.getfloat("WIRECRAWL_ROBOTS_RETRY_AFTER", ROBOTS_ERROR_TTL)
        self._origins: dict[str, _Origin] = {}
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RobotsMiddleware":
        return cls(crawler)

    async def process_request(self, request: Request) -> Response | None:
        if request.meta.get(_FETCH):
            return None  # our own request for robots.txt
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https"):
            return None
        spiders_robots = request.meta.get(KIND) == ROBOTS and parts.path == "/robots.txt"
        if request.meta.get("dont_obey_robotstxt") and not spiders_robots:
            return None
        answer = await self._answer(f"{parts.scheme}://{parts.netloc}", request)
        if isinstance(answer.error, NotRequested):
            # Its robots.txt was not sent (the crawl is stopping): nor is this; nothing to record.
            raise NotRequested(f"{request.url}: not sent, the crawl is stopping")
        if spiders_robots:
            return self._for_the_spider(answer, request)
        if answer.unreachable is not None:
            why = answer.unreachable
            self.crawler.stats.inc_value("robotstxt/unreachable")
            raise RobotsForbidden(Rejected(why.reason, f"{request.url}: not requested, asking for its "
                                                       f"robots.txt first failed: {why.detail}", why.status))
        agent = self.agent or (request.headers.get(b"User-Agent") or b"").decode("latin-1") or self.default_agent
        refusal = answer.rules.refusal(request.url, agent)
        if refusal is not None:
            self.crawler.stats.inc_value(f"robotstxt/{refusal.reason}")
            raise RobotsForbidden(refusal)
        return None

    # -- the one download per origin ------------------------------------------------

    async def _answer(self, origin: str, request: Request) -> _Answer:
        entry = self._origins.setdefault(origin, _Origin())
        if entry.answer is not None and entry.answer.expires > time.monotonic():
            return entry.answer
        if entry.answer is None and entry.waiting:  # being fetched: wait for it
            waiter: Deferred = Deferred()
            entry.waiting.append(waiter)
            return await maybe_deferred_to_future(waiter)
        entry.answer = None
        entry.waiting.append(Deferred())  # marks the download as under way
        try:
            answer = await self._fetch(origin, request)
        except Exception as exc:  # a bug here must not hold the origin's requests forever
            logger.exception("robots.txt of %s: unexpected error", origin)
            answer = _Answer(robots_unreadable(f"{origin}/robots.txt", f"could not be read ({exc!r})"),
                             expires=time.monotonic() + self.retry_after, error=exc)
        entry.answer = answer
        waiting, entry.waiting = entry.waiting, []
        for waiter in waiting:
            waiter.callback(answer)
        return answer

    async def _fetch(self, origin: str, request: Request) -> _Answer:
        robots_url = f"{origin}/robots.txt"
        fetch = Request(robots_url, priority=1000, callback=NO_CALLBACK, meta={
            _FETCH: True, KIND: ROBOTS, "dont_obey_robotstxt": True, "dont_retry": True, "allow_offsite": True})
        self.crawler.stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(fetch)
        except Exception as exc:
            return self._failed(robots_url, exc, fetch)
        self.crawler.stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        rules = robots_rules(robots_url, response.status, response.body)
        if rules.temporary:
            logger.warning("%s answered HTTP %s: every URL of %s counts as disallowed for %.0f s",
                           robots_url, response.status, origin, self.retry_after)
            return _Answer(rules, time.monotonic() + self.retry_after, response=response)
        if 200 <= response.status < 300:
            await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=rules,
                                                            request=request)
        return _Answer(rules, response=response)

    def _failed(self, robots_url: str, exc: Exception, fetch: Request) -> _Answer:
        if isinstance(exc, NotRequested):  # not sent at all: asked again by whoever needs it next
            return _Answer(robots_unreadable(robots_url, "not sent"), time.monotonic(), error=exc)
        why = classify(Failure(exc), fetch, self.max_bytes)
        self.crawler.stats.inc_value(f"robotstxt/failed/{why.reason}")
        expires = time.monotonic() + self.retry_after
        if why.reason in _REDIRECTS:  # no robots.txt at the end of it: nothing is forbidden
            return _Answer(robots_rules(robots_url, 404, b""), error=exc)
        if why.reason in _UNREACHABLE:
            logger.warning("%s could not be fetched (%s): the origin's pages fail alike", robots_url, why)
            return _Answer(robots_unreadable(robots_url, why.reason), expires, error=exc,
                           unreachable=Rejected(why.reason, f"{robots_url}: {why.detail}"))
        logger.warning("%s could not be read (%s): every URL of its origin counts as disallowed for %.0f s",
                       robots_url, why, self.retry_after)
        return _Answer(robots_unreadable(robots_url, f"could not be read ({why})"), expires, error=exc)

    def _for_the_spider(self, answer: _Answer, request: Request) -> Response:
        """The spider's request for robots.txt gets the one download's
        response, or its failure; never a second request."""
        request.meta["dont_retry"] = True  # a 5xx answer is final for this crawl too
        if answer.response is not None:
            return answer.response.replace(request=request)
        raise answer.error or IgnoreRequest(f"{request.url} could not be read")

    # -- the first 500 KiB, whatever the server sends ----------------------------------

    def headers_received(self, headers: Headers, body_length: int, request: Request) -> None:
        if not request.meta.get(_FETCH):
            return
        request.meta[_RECEIVED] = 0
        # A plain robots.txt is cut at ROBOTS_PARSED_BYTES below, so its
        # declared length may be anything; a compressed one keeps the crawl's
        # cap, which also bounds it once decompressed.
        request.meta["download_maxsize"] = self.max_bytes if headers.get(b"Content-Encoding") else 0

    def bytes_received(self, data: bytes, request: Request) -> None:
        if not request.meta.get(_FETCH):
            return
        request.meta[_RECEIVED] = request.meta.get(_RECEIVED, 0) + len(data)
        if request.meta[_RECEIVED] >= ROBOTS_PARSED_BYTES:
            raise StopDownload(fail=False)  # the response ends here, with what came
