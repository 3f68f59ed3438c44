"""Each URL once per crawl: article pages once for all sources, lists once per source."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from scrapy.dupefilters import BaseDupeFilter
from w3lib.url import canonicalize_url

from crawler.crawl.meta import PAGE, KIND, source_of
from crawler.ingest.urls import canonicalize

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _page_identity(url: str) -> str:
    try:
        return canonicalize(url)
    except ValueError:  # not http(s): the downloader refuses it; compared as Scrapy would
        return canonicalize_url(url)


def url_hash(text: str) -> bytes:
    """16 bytes that stand for a URL (or any text) in a set of seen ones."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class SourceDupeFilter(BaseDupeFilter):
    """The duplicate filter of a crawl of many sources (DUPEFILTER_CLASS).

    An article page (`KIND` page, redirects included) is requested once per
    crawl, whichever sources list or link it, and not at all when it was
    requested as a start page or list already: the first to ask fetches it,
    and its fetch history answers the others next time. Start pages,
    feeds, sitemaps and robots.txt are requested once per source: two
    sources that share a home page each read its links with their own
    scope. Article pages are compared by their identity
    (`crawler.ingest.urls.canonicalize`: no tracking parameters, no
    fragment), so a redirect to a page listed with its campaign tags is a
    redirect to a page seen; lists as `w3lib.url.canonicalize_url` gives
    them, as Scrapy's own filter does. Only 16-byte hashes are kept."""

    def __init__(self, crawler: Crawler | None = None):
        self.stats = crawler.stats if crawler is not None else None
        self.seen: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SourceDupeFilter":
        return cls(crawler)

    def request_seen(self, request: Request) -> bool:
        # An article page (a redirect's target too) by its identity: tracking parameters and
        # fragments do not make another page.
        identity = _page_identity(request.url)
        page = url_hash(f"{request.method} {identity}")
        if request.meta.get(KIND) == PAGE:
            chain = request.meta.get("redirect_urls")
            if chain and _page_identity(chain[0]) == identity:
                return False  # a redirect to the same page with a session id or campaign tags added
            if page in self.seen:
                return True
            self.seen.add(page)
            return False
        this_source = url_hash(f"{source_of(request) or ''} {request.method} {canonicalize_url(request.url)}")
        if this_source in self.seen:
            return True
        self.seen.update((this_source, page))
        return False

    def log(self, request: Request, spider: Spider) -> None:
        if self.stats is not None:
            self.stats.inc_value("dupefilter/filtered")
        logger.debug("filtered duplicate request %s", request)
