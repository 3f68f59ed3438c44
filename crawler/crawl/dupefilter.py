"""Each URL once per crawl: article pages once for all sources, lists once per source."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from scrapy.dupefilters import BaseDupeFilter
from w3lib.url import canonicalize_url

from crawler.crawl.meta import PAGE, KIND, source_of

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class SourceDupeFilter(BaseDupeFilter):
    """The duplicate filter of a crawl of many sources (DUPEFILTER_CLASS).

    An article page (`KIND` page, redirects included) is requested once per
    crawl, whichever sources list or link it, and not at all when it was
    requested as a start page or list already: the first to ask fetches it,
    and its fetch history answers the others next time. Start pages,
    feeds, sitemaps and robots.txt are requested once per source: two
    sources that share a home page each read its links with their own
    scope. URLs are compared as `w3lib.url.canonicalize_url` gives them, as
    Scrapy's own filter does; only 16-byte hashes are kept."""

    def __init__(self, crawler: Crawler | None = None):
        self.stats = crawler.stats if crawler is not None else None
        self.seen: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SourceDupeFilter":
        return cls(crawler)

    def request_seen(self, request: Request) -> bool:
        url = f"{request.method} {canonicalize_url(request.url)}"
        any_source = _key(url)
        if request.meta.get(KIND) == PAGE:
            if any_source in self.seen:
                return True
            self.seen.add(any_source)
            return False
        this_source = _key(f"{source_of(request) or ''} {url}")
        if this_source in self.seen:
            return True
        self.seen.update((this_source, any_source))
        return False

    def log(self, request: Request, spider: Spider) -> None:
        if self.stats is not None:
            self.stats.inc_value("dupefilter/filtered")
        logger.debug("filtered duplicate request %s", request)
