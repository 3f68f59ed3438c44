"""Scrapy settings for one crawl of one source.

`crawl_settings(source, ...)` turns a source's `Politeness` and the store's
location into Scrapy settings. The wirecrawl components read their own
settings from the crawler (`WIRECRAWL_*` below), as Scrapy components do.

Our own settings and their defaults:

- WIRECRAWL_SOURCE_NAME: the source being crawled (recorded with every fetch).
- WIRECRAWL_DATABASE_URL, WIRECRAWL_DATA_DIR: the store and its data directory.
- WIRECRAWL_RUN_ID: the `runs` row the fetches of this crawl belong to.
- WIRECRAWL_RECRAWL_INTERVAL_HOURS (24.0): article pages stored and confirmed
  within this many hours are not requested again.
- WIRECRAWL_HISTORY_PRELOAD_MAX (200000): a source's fetch history is read
  into memory at the start of a crawl up to this many URLs (beyond, each URL
  is looked up when requested).
- WIRECRAWL_EXTRACT_WORKERS (0 = one per available core): processes that
  extract pages while the reactor keeps downloading.
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
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crawler.crawl.agent import ROBOTS_TOKEN, user_agent
from crawler.crawl.sources import Source

DEFAULT_SPIDER = "crawler.crawl.spider.SiteSpider"


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def crawl_settings(source: Source, *, database_url: str | None, data_dir: str | Path,
                   run_id: int | None = None, log_file: str | Path | None = None,
                   overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Scrapy settings for crawling `source` into the given store. `overrides`
    (any Scrapy or WIRECRAWL_* setting) win over everything else."""
    p = source.politeness
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
        },
        # Politeness.
        "USER_AGENT": user_agent(p.contact_url, p.user_agent),
        "ROBOTSTXT_OBEY": p.obey_robots,
        "ROBOTSTXT_USER_AGENT": ROBOTS_TOKEN if not p.user_agent else None,
        "DOWNLOAD_DELAY": p.download_delay,
        "CONCURRENT_REQUESTS_PER_DOMAIN": p.concurrency_per_host,
        "AUTOTHROTTLE_ENABLED": p.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(p.download_delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(p.concurrency_per_host),
        # Limits.
        "DOWNLOAD_TIMEOUT": p.timeout,
        "DOWNLOAD_MAXSIZE": p.max_bytes,  # enforced compressed and decompressed (HttpCompression)
        "DOWNLOAD_WARNSIZE": max(1, p.max_bytes // 2),
        "RETRY_TIMES": p.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        # A chain longer than this is a loop or a trap, and is recorded as such.
        "REDIRECT_MAX_TIMES": 10,
        # Scrapy starts this many tasks for every response's output, even an
        # empty one; a page yields one item and some requests, and responses
        # are processed concurrently anyway. 100 (the default) cost ~2 ms a page.
        "CONCURRENT_ITEMS": 4,
        # Components.
        "DOWNLOADER_MIDDLEWARES": {
            # Before robots.txt: a page skipped as recently fetched needs no robots lookup.
            "crawler.crawl.history.FetchHistoryMiddleware": 90,
            # Ours instead of Scrapy's, which lets everything through when robots.txt cannot be read.
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.crawl.robots.RobotsMiddleware": 100,
            "crawler.crawl.crawl_delay.CrawlDelayMiddleware": 110,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.crawl.retry.BackoffRetryMiddleware": 550,
        },
        "SPIDER_MIDDLEWARES": {"crawler.crawl.failed_requests.OutcomeMiddleware": 950},
        "DOWNLOAD_HANDLERS": {"http": "crawler.crawl.download_handler.KeepAliveDownloadHandler",
                              "https": "crawler.crawl.download_handler.KeepAliveDownloadHandler"},
        "ITEM_PIPELINES": {"crawler.crawl.pipeline.IngestPipeline": 300},
        # Logging: progress goes to the caller through counts, not log lines.
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(log_file) if log_file else None,
        "LOGSTATS_INTERVAL": 60.0,
        # Ours.
        "WIRECRAWL_SOURCE_NAME": source.name,
        "WIRECRAWL_DATABASE_URL": database_url,
        "WIRECRAWL_DATA_DIR": str(data_dir),
        "WIRECRAWL_RUN_ID": run_id,
        "WIRECRAWL_RECRAWL_INTERVAL_HOURS": p.recrawl_interval_hours,
        "WIRECRAWL_HISTORY_PRELOAD_MAX": 200_000,
        "WIRECRAWL_EXTRACT_WORKERS": 0,
        "WIRECRAWL_SPIDER": DEFAULT_SPIDER,
        "WIRECRAWL_RETRY_BACKOFF_BASE": 1.0,
        "WIRECRAWL_RETRY_BACKOFF_MAX": 60.0,
        "WIRECRAWL_RETRY_AFTER_MAX": 300.0,
        "WIRECRAWL_PROGRESS_INTERVAL": 0.5,
        "WIRECRAWL_ROBOTS_RETRY_AFTER": 600.0,
    }
    settings.update(overrides or {})
    return settings
