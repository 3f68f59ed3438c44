"""Run SiteSpider alone (no store, no engine pipelines) on one source of a
sources file, and write down what it did, for tests/test_discovery.py:

    python -m tests.spider_run SOURCES_TOML SOURCE_NAME OUT_DIR '{"SETTING": value}'

OUT_DIR/items.jsonl      one line per yielded item: Page (body length, not body) or Skipped
OUT_DIR/responses.jsonl  one line per response: url, status, and the request's meta keys
OUT_DIR/closed.json      the close reason and the spider's wirecrawl/* and source/* stats

Each crawl runs in its own process: Twisted's reactor cannot be restarted.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler.crawl.sources import load_sources
from crawler.crawl.spider import SiteSpider
from crawler.ingest.records import Page, Skipped

# Quick and quiet: no politeness delays against our own test server.
TEST_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "RETRY_ENABLED": False,
}

META_KEYS = ("wirecrawl_kind", "depth", "wirecrawl_sitemap", "wirecrawl_feed")


class CollectItems:
    """Item pipeline writing every item the spider yields as one JSON line."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings["SPIDER_RUN_OUT_DIR"])

    def open_spider(self, spider=None):
        self.out = open(Path(self.out_dir) / "items.jsonl", "w", encoding="utf-8")

    def close_spider(self, spider=None):
        self.out.close()

    def process_item(self, item, spider=None):
        if isinstance(item, Page):
            line = {"type": "Page", **{k: v for k, v in asdict(item).items() if k != "body"},
                    "body_length": len(item.body), "fetched_at": item.fetched_at.isoformat()}
        elif isinstance(item, Skipped):
            line = {"type": "Skipped", **asdict(item)}
        else:
            line = {"type": type(item).__name__, "repr": repr(item)}
        self.out.write(json.dumps(line) + "\n")
        self.out.flush()
        return item


def main(sources_path: str, name: str, out_dir: str, settings_json: str = "{}") -> None:
    source = load_sources(sources_path)[name]
    settings = {**TEST_SETTINGS, "ITEM_PIPELINES": {f"{__name__}.CollectItems": 100},
                "SPIDER_RUN_OUT_DIR": out_dir,
                **json.loads(settings_json)}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SiteSpider)
    responses = open(Path(out_dir) / "responses.jsonl", "w", encoding="utf-8")

    def response_received(response, request, spider=None):
        meta = {k: request.meta[k] for k in META_KEYS if k in request.meta}
        responses.write(json.dumps({"url": request.url, "status": response.status, **meta}) + "\n")

    def spider_closed(spider, reason):
        stats = {k: v for k, v in crawler.stats.get_stats().items() if k.startswith(("wirecrawl/", "source/"))}
        Path(out_dir, "closed.json").write_text(json.dumps({"reason": reason, "stats": stats}))

    crawler.signals.connect(response_received, signal=signals.response_received)
    crawler.signals.connect(spider_closed, signal=signals.spider_closed)
    process.crawl(crawler, source=source)
    process.start()
    responses.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
