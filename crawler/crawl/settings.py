"""Scrapy settings for one crawl of many sources.

`crawl_settings(sources, ...)` turns the sources and the store's location
into Scrapy settings for one engine that crawls them all at once. What
differs between sources (User-Agent, timeout, size cap, retries, robots.txt,
AutoThrottle) travels on each request (`crawler.crawl.spider`), and the
delay and concurrency of each host are its download slot's
(`crawler.crawl.slots`). The wirecrawl components read their own settings
from the crawler (`WIRECRAWL_*` below), as Scrapy components do.

What Scrapy's "Broad Crawls" guide advises, and what was taken:

- SCHEDULER_PRIORITY_QUEUE = DownloaderAwarePriorityQueue (named although
  it is Scrapy's default now): one queue per host, the next request taken
  from the host with the fewest downloads in flight, so a host with a long
  delay and thousands of pages never fills the downloader while the others
  wait. Scrapy's other queue (ScrapyPriorityQueue) is one queue for the
  whole crawl: the first site to list many pages would take every slot.
- CONCURRENT_REQUESTS: enough for every source's hosts to use their own
  limit at once (the sum of concurrency_per_host), at least 16 and at most
  512: the per-host limits are the politeness; the global one only bounds
  memory and sockets.
- REACTOR_THREADPOOL_MAXSIZE = 20 (Twisted's default is 10): DNS lookups
  run in that pool, and a crawl of many hosts looks up many names.
  DNSCACHE stays on (Scrapy's default, 10,000 names) and DNS_TIMEOUT drops
  from 60 s to 20 s: a name that does not answer in 20 s is not worth a
  minute of a crawl. Names that did not resolve are not retried
  (RETRY_EXCEPTIONS) and not looked up again within the crawl
  (`crawler.crawl.unresolved`).
- COOKIES_ENABLED = False: articles are public pages, no session is
  needed to read them; cookies would only make each site's answers depend
  on earlier visits (consent walls, A/B tests) and keep a jar per host.
- LOG_LEVEL = INFO: Scrapy's DEBUG line per request and item costs CPU
  and disk in a crawl of thousands of pages; the counts come through stats.
- DEPTH_PRIORITY = 1 with FIFO queues: breadth-first within each host, so
  the pages closest to a start page or a list (the newest, on a news site)
  come first, and pending requests stay few.
- Not taken: RETRY_ENABLED = False (a 503 or a dropped connection is
  worth another try, politely spaced: `crawler.crawl.retry`),
  REDIRECT_ENABLED = False (articles move, and redirects are recorded),
  and a shorter DOWNLOAD_TIMEOUT (each source sets its own `timeout`).

Our own settings and their defaults:

- WIRECRAWL_DATABASE_URL, WIRECRAWL_DATA_DIR: the store and its data directory.
- WIRECRAWL_RUN_IDS: source name -> the `runs` row its fetches belong to.
- WIRECRAWL_RECRAWL_INTERVAL_HOURS (24.0): for a request without a source;
  each source's `recrawl_interval_hours` decides for its own pages.
- WIRECRAWL_HISTORY_PRELOAD_MAX (200000): the sources' fetch history is read
  into memory at the start of a crawl up to this many URLs (beyond, each URL
  is looked up when requested).
- WIRECRAWL_EXTRACT_WORKERS (0 = one per available core): processes that
  extract pages while the reactor keeps downloading, one pool for the crawl.
- WIRECRAWL_EXTRACT_TIMEOUT (30 s, as Nutch's parser.timeout): the
  wall-clock time one page's extraction may take; a process that runs over
  it is ended and replaced, and the page recorded as extract_timeout
  (0: no limit). `crawl_sources` takes it from the environment variable of
  the same name, which bounds `wirecrawl ingest` and `extract` too
  (`crawler.crawl.extract_limit`).
- WIRECRAWL_SPIDER ("crawler.crawl.spider.SiteSpider"): the spider class.
- WIRECRAWL_RETRY_BACKOFF_BASE (1.0 s), WIRECRAWL_RETRY_BACKOFF_MAX (60 s):
  the n-th retry of a 5xx or a timeout waits base * 2**(n-1), capped.
- WIRECRAWL_RETRY_AFTER_MAX (300 s): a 429/503 `Retry-After` up to this long is
  waited for; a longer one ends the retries (the host asked for a pause longer
  than a crawl should sit idle) and is recorded.
- WIRECRAWL_PROGRESS_INTERVAL (0.5 s): how often counts are reported.
- WIRECRAWL_ROBOTS_RETRY_AFTER (600 s): a robots.txt that could not be read
  (5xx, no answer in time) disallows its whole origin this long, then is
  asked for again (crawler.crawl.robots).

`overrides` (tests, benchmarks) may set any of these or any Scrapy setting;
the Scrapy settings that name a politeness of the sources file
(DOWNLOAD_DELAY, CONCURRENT_REQUESTS_PER_DOMAIN, AUTOTHROTTLE_ENABLED,
ROBOTSTXT_OBEY, DOWNLOAD_TIMEOUT, DOWNLOAD_MAXSIZE, RETRY_TIMES, USER_AGENT,
WIRECRAWL_RECRAWL_INTERVAL_HOURS) then hold for every source
(`with_overrides`).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from crawler.crawl.agent import user_agent
from crawler.crawl.extract_limit import DEFAULT_EXTRACT_TIMEOUT
from crawler.crawl.sources import Source

DEFAULT_SPIDER = "crawler.crawl.spider.SiteSpider"

# Scrapy settings that stand for a Politeness field of every source.
_POLITENESS_SETTINGS = {
    "DOWNLOAD_DELAY": ("download_delay", float),
    "CONCURRENT_REQUESTS_PER_DOMAIN": ("concurrency_per_host", int),
    "AUTOTHROTTLE_ENABLED": ("autothrottle", bool),
    "ROBOTSTXT_OBEY": ("obey_robots", bool),
    "DOWNLOAD_TIMEOUT": ("timeout", float),
    "DOWNLOAD_MAXSIZE": ("max_bytes", int),
    "RETRY_TIMES": ("retry_times", int),
    "USER_AGENT": ("user_agent", str),
    "WIRECRAWL_RECRAWL_INTERVAL_HOURS": ("recrawl_interval_hours", float),
}
# Names that do not resolve are no passing trouble: not retried.
_RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    # Scrapy's HttpCompression raises it for an empty compressed body.
    OSError,
    "scrapy.core.downloader.handlers.http11.TunnelError",
]


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def with_overrides(source: Source, overrides: dict[str, Any] | None) -> Source:
    """`source` with the politeness that `overrides` name (see the module
    docstring) in place of its own; the same source when they name none."""
    changes = {field: cast(overrides[key]) for key, (field, cast) in _POLITENESS_SETTINGS.items()
               if overrides and key in overrides and overrides[key] is not None}
    if not changes:
        return source
    return replace(source, politeness=replace(source.politeness, **changes))


def crawl_settings(sources: list[Source], *, database_url: str | None, data_dir: str | Path,
                   run_ids: dict[str, int] | None = None, log_file: str | Path | None = None,
                   overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Scrapy settings for crawling `sources` together into the given store.
    `overrides` (any Scrapy or WIRECRAWL_* setting) win over everything else.
    Raises ValueError for an empty list of sources."""
    if not sources:
        raise ValueError("a crawl needs at least one source")
    sources = [with_overrides(s, overrides) for s in sources]
    polite = [s.politeness for s in sources]
    first = polite[0]
    throttled = [p for p in polite if p.autothrottle]
    settings: dict[str, Any] = {
        "BOT_NAME": "wirecrawl",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        # Scrapy's default resolver asks for IPv4 only: a source on http://[::1]:8570/, or on a
        # host with only IPv6 addresses, would fail as dns_error. This one resolves both (a
        # lookup that hangs is still bounded by DOWNLOAD_TIMEOUT, which counts from the start).
        "TWISTED_DNS_RESOLVER": "scrapy.resolver.CachingHostnameResolver",
        # Nobody may attach to a crawl: no telnet console, no remote control.
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "EXTENSIONS": {
            "scrapy.extensions.telnet.TelnetConsole": None,
            "scrapy.extensions.remote_control.RemoteControl": None,
            "scrapy.extensions.throttle.AutoThrottle": None,
            "crawler.crawl.throttle.HostAutoThrottle": 0,
            "crawler.crawl.crawl_delay.CrawlDelayMiddleware": 0,
        },
        # Politeness: per host (the downloader's slots) and per request (the
        # spider puts each source's on its requests); these are the
        # fallbacks for requests Scrapy makes on its own (robots.txt).
        "DOWNLOADER": "crawler.crawl.slots.HostDownloader",
        "USER_AGENT": user_agent(first.contact_url, first.user_agent),
        "ROBOTSTXT_OBEY": any(p.obey_robots for p in polite),
        # None: robots.txt groups are matched against each request's own
        # User-Agent (Protego finds the "wirecrawl" token inside ours).
        "ROBOTSTXT_USER_AGENT": None,
        "DOWNLOAD_DELAY": 0.0,
        "DOWNLOAD_DELAY_JITTER": 0.0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": min(p.concurrency_per_host for p in polite),
        "CONCURRENT_REQUESTS": max(16, min(512, sum(p.concurrency_per_host for p in polite))),
        "AUTOTHROTTLE_ENABLED": bool(throttled),
        "AUTOTHROTTLE_START_DELAY": 1.0,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(min((p.concurrency_per_host for p in throttled), default=1)),
        # Many hosts at once (see the module docstring).
        "SCHEDULER": "crawler.crawl.scheduler.SourceScheduler",
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "DEPTH_PRIORITY": 1,
        "DUPEFILTER_CLASS": "crawler.crawl.dupefilter.SourceDupeFilter",
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        "DNS_TIMEOUT": 20,
        "COOKIES_ENABLED": False,
        # Limits (each request carries its source's own; these are the fallbacks).
        "DOWNLOAD_TIMEOUT": max(p.timeout for p in polite),
        "DOWNLOAD_MAXSIZE": max(p.max_bytes for p in polite),  # compressed and decompressed (HttpCompression)
        "DOWNLOAD_WARNSIZE": max(1, max(p.max_bytes for p in polite) // 2),
        "RETRY_TIMES": max(p.retry_times for p in polite),
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "RETRY_EXCEPTIONS": _RETRY_EXCEPTIONS,
        # A chain longer than this is a loop or a trap, and is recorded as such.
        "REDIRECT_MAX_TIMES": 10,
        # Scrapy starts this many tasks for every response's output, even an
        # empty one; a page yields one item and some requests, and responses
        # are processed concurrently anyway. 100 (the default) cost ~2 ms a page.
        "CONCURRENT_ITEMS": 4,
        # Scrapy's, without their per-page overhead (crawler.crawl.lean).
        "STATS_CLASS": "crawler.crawl.lean.CrawlStatsCollector",
        "LOG_FORMATTER": "crawler.crawl.lean.QuietLogFormatter",
        # Components.
        "DOWNLOADER_MIDDLEWARES": {
            # The spider has no allowed_domains (each source's scope is SourceScopeMiddleware's):
            # Scrapy's offsite filter would only look at every request twice and let it through.
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            # Before robots.txt: a page skipped as recently fetched needs no robots lookup.
            "crawler.crawl.history.FetchHistoryMiddleware": 90,
            "crawler.crawl.scope.SourceScopeMiddleware": 98,
            # Ours instead of Scrapy's, which lets everything through when robots.txt cannot be read.
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.crawl.robots.RobotsMiddleware": 100,
            # After robots.txt (100): the requests that waited for a robots.txt
            # whose host did not resolve fail at once, without a slot's delay.
            "crawler.crawl.unresolved.UnresolvedHostMiddleware": 101,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.crawl.retry.BackoffRetryMiddleware": 550,
            # Ours instead of Scrapy's, which keeps what a cut-off gzip body gives.
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
            "crawler.crawl.compression.StrictCompressionMiddleware": 590,
        },
        "SPIDER_MIDDLEWARES": {
            "crawler.crawl.failed_requests.OutcomeMiddleware": 950,
            # A developer's warning about meta copied from a response to a request, which the
            # spider never does (each request's meta is built anew): one more layer every
            # request and item passes through.
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
        },
        "DOWNLOAD_HANDLERS": {"http": "crawler.crawl.download_handler.KeepAliveDownloadHandler",
                              "https": "crawler.crawl.download_handler.KeepAliveDownloadHandler"},
        "ITEM_PIPELINES": {"crawler.crawl.pipeline.IngestPipeline": 300},
        # Logging: progress goes to the caller through counts, not log lines.
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(log_file) if log_file else None,
        "LOGSTATS_INTERVAL": 60.0,
        # Ours.
        "WIRECRAWL_DATABASE_URL": database_url,
        "WIRECRAWL_DATA_DIR": str(data_dir),
        "WIRECRAWL_RUN_IDS": dict(run_ids or {}),
        "WIRECRAWL_RECRAWL_INTERVAL_HOURS": first.recrawl_interval_hours,
        "WIRECRAWL_HISTORY_PRELOAD_MAX": 200_000,
        "WIRECRAWL_EXTRACT_WORKERS": 0,
        "WIRECRAWL_EXTRACT_TIMEOUT": DEFAULT_EXTRACT_TIMEOUT,
        "WIRECRAWL_SPIDER": DEFAULT_SPIDER,
        "WIRECRAWL_RETRY_BACKOFF_BASE": 1.0,
        "WIRECRAWL_RETRY_BACKOFF_MAX": 60.0,
        "WIRECRAWL_RETRY_AFTER_MAX": 300.0,
        "WIRECRAWL_PROGRESS_INTERVAL": 0.5,
        "WIRECRAWL_ROBOTS_RETRY_AFTER": 600.0,
    }
    settings.update(overrides or {})
    return settings

