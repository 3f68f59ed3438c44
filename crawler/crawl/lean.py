"""Scrapy's stats collector and log formatter, without the work they do for
every page that nobody sees (STATS_CLASS, LOG_FORMATTER of a crawl).

- `CrawlStatsCollector`: Scrapy's MemoryStatsCollector, the same stats.
  Since Scrapy 2.13 every attribute read of a stats collector goes through
  a `__getattribute__` in Python that wraps its methods to warn about a
  deprecated `spider` argument (nobody here passes one) and, for any other
  attribute (its own `_stats`, read by every `inc_value`), first fails to
  find a cached wrapper, an AttributeError raised and caught each time: a
  page costs some 40 such reads (downloader stats, core stats, our counts).
- `QuietLogFormatter`: Scrapy's LogFormatter, but "Crawled (200) <GET …>"
  and "Scraped from <200 …>" (DEBUG) are not even built unless LOG_LEVEL is
  DEBUG: Scrapy leaves the root logger at NOTSET, so each made a log record
  for every response and every item, which the INFO handler then dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.logformatter import LogFormatter
from scrapy.statscollectors import MemoryStatsCollector

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


class CrawlStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector with plain attribute access (see the module docstring)."""

    __getattribute__ = object.__getattribute__


def _level(value: Any) -> int:
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.DEBUG


class QuietLogFormatter(LogFormatter):
    """LogFormatter whose per-response and per-item DEBUG lines are skipped
    when the crawl's LOG_LEVEL would drop them anyway."""

    def __init__(self, debug: bool = True):
        super().__init__()
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "QuietLogFormatter":
        s = crawler.settings
        return cls(debug=s.getbool("LOG_ENABLED", True) and _level(s.get("LOG_LEVEL", "DEBUG")) <= logging.DEBUG)

    def crawled(self, request, response, spider):
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item, response, spider):
        return super().scraped(item, response, spider) if self.debug else None
