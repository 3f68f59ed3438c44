"""Finding article URLs without fetching them twice or forever.

- `read_sitemap`, `read_feed`, `sitemaps_in_robots`: what a sitemap, a feed or
  a robots.txt lists, read with Scrapy's sitemap utilities and feedparser;
  a list that cannot be read raises `Unreadable`, one read only in part comes
  back with a `problem` to record.
- `listed_date`: how recent a listed page is, by what its list says.
- `is_feed_link`, `USUAL_SITEMAPS`: where a site that names no list keeps
  its feeds and sitemaps.
- `Scope`: whether a URL belongs to a source (allowed domains, allow/deny).
- `TrapGuard`: whether a followed link looks like a spider trap (endless
  calendar, ever-growing query, repeated path segments, very long URL).

No network and no Scrapy engine here: the spider (`crawler/crawl/spider.py`)
does the fetching and yields what these functions decide.
"""

from __future__ import annotations

import calendar
import io
import re
import struct
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urljoin, urlsplit

import feedparser
import lxml.etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.crawl.sources import Source
from storage.utc import as_utc, utc_now

# Where sites keep the sitemaps robots.txt does not name (tried, in this
# order, for a source that names none): the protocol's own example, the
# index WordPress, Yoast and most CMSs write, and Google News's.
USUAL_SITEMAPS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml")
# Content types of `<link rel="alternate">` that announce a feed feedparser reads.
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})


@dataclass(frozen=True)
class Limits:
    """Bounds that make every crawl end, whatever a site serves. A link that
    breaks one is recorded as a trap (Skipped) and not requested."""

    max_url_length: int = 1024  # canonical URL, characters; real article URLs stay far below
    max_path_segments: int = 16
    max_segment_repeats: int = 2  # /a/b/a/b/a/ (a relative-link loop) has "a" 3 times
    max_query_params: int = 8  # a query that grows with every click
    max_query_variants: int = 100  # distinct queries per path: ?page=1..100, facets, sort orders
    # A date in a URL (/2026/11, 2026-11-03, year=2026) must fall in these
    # years: an endless calendar walks past them, news archives do not.
    earliest_year: int = 1990
    future_years: int = 1
    # Distinct URLs of one shape that end in a date (/calendar/####/##):
    # a calendar walking within the year window still stops here.
    max_date_pages: int = 366
    max_sitemaps: int = 1000  # sitemap files per crawl (index of indexes of …)
    max_sitemap_entries: int = 50_000  # the sitemaps protocol's own cap per file


class Unreadable(Exception):
    """A sitemap, feed or robots.txt from which nothing could be read.
    `reason` is a short stable code, `detail` a sentence."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass
class Listed:
    """A URL a sitemap or a feed lists, with what the list says about it."""

    url: str  # absolute, not yet canonical
    info: dict[str, str] = field(default_factory=dict)


@dataclass
class Listing:
    """What one sitemap or feed lists. `problem` is set when the document was
    malformed and only the entries before (or around) the damage were read."""

    kind: str  # "sitemapindex" (entries are sitemaps), "urlset" or "feed" (entries are pages)
    entries: list[Listed]
    problem: str | None = None


_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_GZIP_MAGIC = b"\x1f\x8b\x08"


class _NewsSitemap(Sitemap):
    """Scrapy's Sitemap reads only the direct children of <url>; Google News
    keeps title and date one level down, in <news:news>."""

    __slots__ = ()

    def _process_sitemap_element(self, elem):
        news = {
            f"news_{el.tag.partition('}')[2]}": (el.text or "").strip()
            for el in elem.iter(f"{{{_NEWS_NS}}}title", f"{{{_NEWS_NS}}}publication_date")
        }
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry.pop("news", None)
            entry.update({k: v for k, v in news.items() if v})
        return entry


def read_sitemap(body: bytes, url: str, limits: Limits = Limits(), max_bytes: int = 0) -> Listing:
    """The sitemaps (of an index) or the pages (of a urlset) a sitemap lists,
    plain or gzip, with `lastmod` and Google News `news_title` /
    `news_publication_date` in `info`. Relative locations are resolved
    against `url`.

    Raises `Unreadable` for an empty body, bad gzip, a body over `max_bytes`
    once decompressed (0: no cap), or a document that is not a sitemap.
    Malformed XML is read as far as it goes and the error put in `problem`;
    so is an entry past `limits.max_sitemap_entries` (the protocol's 50,000:
    a sitemap of exactly that many is whole)."""
    if body[:3] == _GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_bytes)
        except ValueError as exc:  # Scrapy's decompression-size error is a ValueError
            raise Unreadable("too_large", f"sitemap over {max_bytes} bytes decompressed: {exc}") from exc
        except (OSError, EOFError, struct.error) as exc:
            raise Unreadable("malformed_sitemap", f"not valid gzip: {exc}") from exc
    if not body.strip():
        raise Unreadable("malformed_sitemap", "empty document")
    more = False  # an entry past the cap was seen (and not read)
    try:
        sitemap = _NewsSitemap(body)
        kind = sitemap.type
        raw_entries = []
        for entry in sitemap:
            if len(raw_entries) == limits.max_sitemap_entries:
                more = True
                break
            raw_entries.append(entry)
    except (lxml.etree.XMLSyntaxError, StopIteration) as exc:
        raise Unreadable("malformed_sitemap", f"not XML: {exc or 'no element'}") from exc
    if kind not in ("sitemapindex", "urlset"):
        raise Unreadable("not_a_sitemap", f"root element is <{kind}>, not <urlset> or <sitemapindex>")
    entries = [Listed(urljoin(url, e.pop("loc")), {k: v for k, v in e.items() if isinstance(v, str)})
               for e in raw_entries]
    problem = _xml_problem(sitemap)
    if more:  # exactly the cap is a full sitemap, not a malformed one
        problem = problem or f"more than {limits.max_sitemap_entries} entries; the rest were not read"
    return Listing(kind, entries, problem)


def _xml_problem(sitemap: Sitemap) -> str | None:
    errors = [e for e in sitemap.xmliter.error_log if e.level >= lxml.etree.ErrorLevels.ERROR]
    if not errors:
        return None
    first = errors[0]
    return f"malformed XML at line {first.line}, column {first.column}: {first.message}"


def read_feed(body: bytes, url: str, content_type: str | None = None) -> Listing:
    """The pages an RSS 2.0, RSS 1.0 or Atom feed lists (entry links, resolved
    against `url`), with `title` and `published` in `info`.

    Raises `Unreadable` when the body holds no feed at all. A malformed feed
    is read as far as feedparser gets, its `bozo_exception` put in `problem`;
    harmless oddities (an encoding declared twice, a feed served as text/html)
    are not problems."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A BytesIO, never the bytes themselves: feedparser fetches strings that look like URLs.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    problem = None
    exc = parsed.get("bozo_exception")
    if parsed.bozo and not isinstance(exc, feedparser.ThingsNobodyCaresAboutButMe):
        problem = f"{type(exc).__name__}: {exc}"
    if not parsed.version and not parsed.entries:
        raise Unreadable("not_a_feed", problem or "no RSS or Atom feed in the document")
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        info = {"title": entry.get("title"), "published": entry.get("published") or entry.get("updated"),
                "date": _feed_date(entry)}
        entries.append(Listed(urljoin(url, link), {k: v for k, v in info.items() if v}))
    return Listing("feed", entries, problem)


def _feed_date(entry) -> str | None:
    """The newer of an entry's published and updated dates, as feedparser
    read them (in UTC), in ISO 8601; None when it gives neither."""
    # dict.get: feedparser's own get() answers a missing updated_parsed with
    # published_parsed, and warns.
    parsed = [t for t in (dict.get(entry, "published_parsed"), dict.get(entry, "updated_parsed")) if t]
    if not parsed:
        return None
    try:
        return max(datetime.fromtimestamp(calendar.timegm(t), timezone.utc) for t in parsed).isoformat()
    except (OverflowError, ValueError, OSError):
        return None


def listed_date(info: dict[str, str]) -> datetime | None:
    """How recent a listed page is by what its list says: the newest of a
    sitemap's `lastmod` and `news_publication_date`, or a feed's date (UTC;
    a date alone is its midnight, a time without an offset is UTC). None
    when the list gives no date it can read: such a page is never too old."""
    dates = [_read_date(info.get(key)) for key in ("lastmod", "news_publication_date", "date", "published")]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def _read_date(text: str | None) -> datetime | None:
    if not text or not isinstance(text, str):
        return None
    text = text.strip()
    try:
        return as_utc(datetime.fromisoformat(text)).astimezone(timezone.utc)
    except ValueError:
        pass
    try:
        return as_utc(parsedate_to_datetime(text)).astimezone(timezone.utc)  # RFC 822 dates of RSS feeds
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def is_feed_link(content_type: str, href: str, title: str = "") -> bool:
    """Whether a `<link rel="alternate">` announces a feed worth reading:
    RSS or Atom (`FEED_TYPES`), with an address, and not a feed of
    comments (which lists comments, not articles)."""
    if content_type.split(";", 1)[0].strip().lower() not in FEED_TYPES or not href.strip():
        return False
    return "comment" not in href.lower() and "comment" not in title.lower()


def sitemaps_in_robots(body: bytes, url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt body, resolved against its URL;
    lines that are not valid UTF-8 are left out."""
    return list(dict.fromkeys(sitemap_urls_from_robots(body, base_url=url)))


class Scope:
    """Which URLs belong to a source: hosts in `allowed_domains` (and their
    subdomains), matching one `allow` pattern if any, and no `deny` pattern."""

    def __init__(self, source: Source):
        self.domains = tuple(d.lower() for d in source.allowed_domains)
        self.allow = [re.compile(p) for p in source.allow]
        self.deny = [re.compile(p) for p in source.deny]

    def on_site(self, url: str) -> bool:
        """True when the URL's host is an allowed domain or a subdomain of one;
        False for a URL whose host cannot be read."""
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:  # "http://[::1:80/" and the like
            return False
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def wanted(self, url: str) -> bool:
        """True when the URL passes `allow` (if any) and no `deny` pattern."""
        if self.allow and not any(p.search(url) for p in self.allow):
            return False
        return not any(p.search(url) for p in self.deny)


# A date that fills whole path segments (/2026/11, /2026-11-03/) or a query value.
_PATH_DATE = re.compile(r"(?:^|/)(\d{4})([/-])(\d{1,2})(?:\2(\d{1,2}))?(?=/|$)")
_QUERY_DATE = re.compile(r"(?:^|=)(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?=&|$)")
_YEAR_PARAM = re.compile(r"(?:^|&)(?:year|yr|y)=(\d{4})(?:&|$)", re.I)


class TrapGuard:
    """Remembers the links a crawl has accepted and refuses the ones that
    look like a trap. One guard per crawl; `now` fixes the calendar window."""

    def __init__(self, limits: Limits = Limits(), now: datetime | None = None):
        self.limits = limits
        now = now or utc_now()
        self.years = range(limits.earliest_year, now.year + limits.future_years + 1)
        self._accepted: set[str] = set()
        self._query_variants: Counter[str] = Counter()
        self._date_pages: dict[str, set[str]] = defaultdict(set)

    def check(self, url: str) -> tuple[str, str] | None:
        """None when the (canonical) URL may be requested, else a
        (reason, detail) pair: reason is one of trap_url_length, trap_path,
        trap_query, trap_calendar. An accepted URL is remembered, so asking
        twice about one URL gives the same answer and counts once."""
        if url in self._accepted:
            return None
        parts = urlsplit(url)
        verdict = (self._length(url) or self._path(parts.path) or self._query(parts)
                   or self._calendar(parts))
        if verdict is None:
            self._accepted.add(url)
            if parts.query:
                self._query_variants[_path_key(parts)] += 1
        return verdict

    def _length(self, url: str):
        if len(url) > self.limits.max_url_length:
            return "trap_url_length", f"URL of {len(url)} characters (limit {self.limits.max_url_length})"
        return None

    def _path(self, path: str):
        segments = [s for s in path.split("/") if s]
        if len(segments) > self.limits.max_path_segments:
            return "trap_path", f"{len(segments)} path segments (limit {self.limits.max_path_segments})"
        # Numbers repeat legitimately (/2026/05/05/); words should not.
        repeats = Counter(s for s in segments if not s.isdigit())
        word, count = max(repeats.items(), key=lambda kv: kv[1], default=("", 0))
        if count > self.limits.max_segment_repeats:
            return "trap_path", f"path segment {word!r} repeated {count} times"
        return None

    def _query(self, parts):
        params = parse_qsl(parts.query, keep_blank_values=True)
        if len(params) > self.limits.max_query_params:
            return "trap_query", f"{len(params)} query parameters (limit {self.limits.max_query_params})"
        if parts.query and self._query_variants[_path_key(parts)] >= self.limits.max_query_variants:
            return "trap_query", (f"more than {self.limits.max_query_variants} different queries "
                                  f"for the path {parts.path}")
        return None

    def _calendar(self, parts):
        path_end = len(parts.path.rstrip("/"))
        dates = [(int(m[1]), m.end() == path_end)
                 for m in _PATH_DATE.finditer(parts.path) if 1 <= int(m[3]) <= 12]
        dates += [(int(m[1]), True) for m in _QUERY_DATE.finditer(parts.query) if 1 <= int(m[2]) <= 12]
        dates += [(int(y), True) for y in _YEAR_PARAM.findall(parts.query)]
        for year, _ in dates:
            if year not in self.years:
                return "trap_calendar", (f"date in year {year}, outside {self.years.start}–"
                                         f"{self.years.stop - 1}")
        if any(ends_in_date for _, ends_in_date in dates):
            shape = re.sub(r"\d", "#", f"{parts.netloc}{parts.path}?{_param_names(parts.query)}")
            seen = self._date_pages[shape]
            if len(seen) >= self.limits.max_date_pages:
                return "trap_calendar", (f"more than {self.limits.max_date_pages} date pages "
                                         f"shaped {shape}")
            seen.add(f"{parts.path}?{parts.query}")
        return None


def _path_key(parts) -> str:
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _param_names(query: str) -> str:
    return "&".join(name for name, _ in parse_qsl(query, keep_blank_values=True))
