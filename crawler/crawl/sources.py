"""The sources file: which sites to crawl, how to find their articles, how politely.

    [defaults]                 # applies to every source; a source's own key wins
    download_delay = 2.0

    [[source]]                 # one table per site
    name = "duran"
    start_urls = ["https://theduran.example/"]
    feeds = ["https://theduran.example/feed/"]
    max_pages = 500

`sources.example.toml` at the repository root documents every key. A wrong file
raises `SourcesError` naming the source, the key and what was expected.
Sources may name any address, loopback and private networks included: they
come from the operator, who is trusted (ad-hoc URLs are another matter).
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from crawler.ingest.urls import canonicalize


@dataclass(frozen=True)
class Politeness:
    """How hard a source's hosts may be hit. Every field can be set in
    `[defaults]` or per source."""

    download_delay: float = 1.0  # seconds between two requests to one host
    concurrency_per_host: int = 2  # requests in flight to one host
    autothrottle: bool = True  # let Scrapy's AutoThrottle slow down on slow hosts
    obey_robots: bool = True  # robots.txt Disallow and Crawl-delay
    user_agent: str | None = None  # None: wirecrawl's own, naming contact_url
    contact_url: str | None = None  # where a site owner can reach the operator
    timeout: float = 30.0  # seconds for one download
    max_bytes: int = 10 * 1024 * 1024  # response size cap, compressed and decompressed
    retry_times: int = 3  # retries for 5xx, 429 and timeouts
    # Article pages already stored and unchanged are not refetched more often
    # than this; feeds, sitemaps and start URLs are re-read every run.
    recrawl_interval_hours: float = 24.0


@dataclass(frozen=True)
class Source:
    """One site to crawl. URLs are kept canonical (`crawler.ingest.urls.canonicalize`)
    and `allowed_domains` filled in, however the Source is built; a URL that
    is not absolute http(s) raises ValueError (`load_sources` reports it as a
    SourcesError first)."""

    name: str
    start_urls: tuple[str, ...] = ()  # pages to start from (home, section pages)
    feeds: tuple[str, ...] = ()  # RSS 2.0, RSS 1.0 or Atom
    sitemaps: tuple[str, ...] = ()  # sitemap, sitemap index, news sitemap; .xml or .xml.gz
    # Hosts whose pages may be fetched (their subdomains too). Default: the
    # hosts named in start_urls, feeds and sitemaps.
    allowed_domains: tuple[str, ...] = ()
    follow_links: bool = True  # follow links found in fetched pages
    # Link hops from a start URL or from a page listed in a sitemap or feed;
    # 0 fetches only those pages. None: no limit (the trap guards still hold).
    max_depth: int | None = None
    # Regular expressions searched in the canonical URL of every article page
    # request (not in start URLs, feeds or sitemaps): a URL must match one of
    # `allow` (when given) and none of `deny`.
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_pages: int | None = None  # pages yielded per crawl; the crawl stops there
    # Links taken from one page (Nutch's db.max.outlinks.per.page); those
    # further down the page are counted (links_over_cap), not followed.
    # Real pages hold a few hundred; a page of 330,000 took the crawl to 1.4 GB.
    max_links_per_page: int = 5000
    schedule: str | None = None  # cron expression, e.g. "*/30 * * * *"
    # Read the `Sitemap:` lines of robots.txt of each start URL's host.
    robots_sitemaps: bool = True
    # A source that names no feed reads the feeds its start pages announce
    # (<link rel="alternate">); one that names no sitemap reads those
    # robots.txt names, else tries /sitemap.xml, /sitemap_index.xml and
    # /news-sitemap.xml on each start URL's host.
    discover: bool = True
    # Listed pages (sitemap, feed) whose list dates them older than this many
    # hours are not fetched (counted as skipped, too_old). None: no limit.
    # A listing without a date is always fetched, and so are links.
    max_age_hours: float | None = None
    politeness: Politeness = field(default_factory=Politeness)

    def __post_init__(self):
        # Built in code (tests, the engine) as well as from a file: keep the
        # same promises either way. Raises ValueError for a URL that is not http(s).
        for key in ("start_urls", "feeds", "sitemaps"):
            urls = tuple(dict.fromkeys(canonicalize(u) for u in getattr(self, key)))
            object.__setattr__(self, key, urls)
        for key in ("allow", "deny"):
            object.__setattr__(self, key, tuple(getattr(self, key)))
        domains = tuple(d.lower() for d in self.allowed_domains) or tuple(dict.fromkeys(
            urlsplit(u).hostname for u in self.start_urls + self.feeds + self.sitemaps))
        object.__setattr__(self, "allowed_domains", domains)


class SourcesError(ValueError):
    """A sources file that cannot be used. The message names the file, the
    source, the key and what was expected; the parts are attributes too."""

    def __init__(self, path: str, expected: str, source: str | None = None, key: str | None = None):
        where = [str(path)]
        if source is not None:
            where.append(f"source {source!r}")
        if key is not None:
            where.append(f"key {key!r}")
        super().__init__(f"{': '.join(where)}: {expected}")
        self.path, self.source, self.key, self.expected = str(path), source, key, expected


_POLITENESS_KEYS = {f.name for f in fields(Politeness)}
_PER_SOURCE_ONLY = {"name", "start_urls", "feeds", "sitemaps", "allowed_domains"}
_SOURCE_KEYS = {f.name for f in fields(Source)} - {"politeness"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def load_sources(path: str | Path) -> dict[str, Source]:
    """Read a sources file (TOML: a `[defaults]` table and `[[source]]` tables)
    and return its sources by name, in file order.

    Raises `SourcesError` for a missing or unreadable file, invalid TOML, an
    unknown key, a value of the wrong type or range, a bad regex, cron
    expression, URL or host name, a source with no URL at all, or two sources
    with one name."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourcesError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(path, f"not valid TOML: {exc}") from exc
    return parse_sources(data, origin=str(path))


def parse_sources(data: dict[str, Any], origin: str = "sources") -> dict[str, Source]:
    """`load_sources` for an already parsed TOML document; `origin` names it
    in error messages. Raises `SourcesError` as `load_sources` does."""
    unknown = set(data) - {"defaults", "source"}
    if unknown:
        raise SourcesError(origin, f"unknown top-level key {sorted(unknown)[0]!r}: expected a "
                           "[defaults] table and [[source]] tables")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise SourcesError(origin, "expected [defaults] to be a table", key="defaults")
    for key in defaults:
        if key in _PER_SOURCE_ONLY:
            raise SourcesError(origin, "is set per [[source]], not in [defaults]", key=f"defaults.{key}")
        if key not in _SOURCE_KEYS | _POLITENESS_KEYS:
            raise SourcesError(origin, f"unknown key{_did_you_mean(key)}; expected one of "
                               f"{_known_keys(defaults_only=True)}",
                               key=f"defaults.{key}")
    entries = data.get("source", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SourcesError(origin, "expected [[source]] tables (an array of tables)", key="source")
    if not entries:
        raise SourcesError(origin, "no [[source]] table: expected at least one source")
    sources: dict[str, Source] = {}
    for index, entry in enumerate(entries, start=1):
        source = _source(origin, defaults, entry, index)
        if source.name in sources:
            raise SourcesError(origin, "a second source with this name: names must be unique",
                               source=source.name, key="name")
        sources[source.name] = source
    return sources


def _why(exc: ValueError, url: str) -> str:
    # canonicalize's message repeats the URL; say only what is wrong with it.
    text = str(exc).replace(f" in {url!r}", "").replace(f"not an absolute http(s) URL: {url!r}", "")
    return text.strip("() ")


def _known_keys(defaults_only: bool = False) -> str:
    keys = _SOURCE_KEYS | _POLITENESS_KEYS
    if defaults_only:
        keys -= _PER_SOURCE_ONLY
    return ", ".join(sorted(keys))


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key, _SOURCE_KEYS | _POLITENESS_KEYS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _source(origin: str, defaults: dict[str, Any], entry: dict[str, Any], index: int) -> Source:
    raw = {**defaults, **entry}
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        label = name if isinstance(name, str) else f"#{index}"
        raise SourcesError(origin, "expected a name of letters, digits, '_', '.', '-' "
                           "(it names the source on the command line)", source=label, key="name")
    check = _Checker(origin, name, from_defaults=set(defaults) - set(entry))
    for key in raw:
        if key not in _SOURCE_KEYS | _POLITENESS_KEYS:
            check.fail(key, f"unknown key{_did_you_mean(key)}; expected one of {_known_keys()}")
    start_urls = check.urls(raw, "start_urls")
    feeds = check.urls(raw, "feeds")
    sitemaps = check.urls(raw, "sitemaps")
    if not (start_urls or feeds or sitemaps):
        check.fail("start_urls", "no URL at all: expected at least one of start_urls, feeds, sitemaps")
    allowed = check.hosts(raw, "allowed_domains")
    for url in start_urls if allowed else ():
        # Feeds and sitemaps may live on another host; a start page may not.
        host = (urlsplit(url).hostname or "").lower()
        if not any(host == d or host.endswith("." + d) for d in allowed):
            check.fail("allowed_domains", f"the start URL {url} is on none of these hosts, so the crawl would "
                                          "not fetch it; add its host, or leave allowed_domains out (it "
                                          "defaults to the hosts the URLs name)")
    return Source(
        name=name,
        start_urls=start_urls,
        feeds=feeds,
        sitemaps=sitemaps,
        allowed_domains=allowed,  # empty: the hosts named
        follow_links=check.boolean(raw, "follow_links", True),
        max_depth=check.whole(raw, "max_depth", None, minimum=0),
        allow=check.patterns(raw, "allow"),
        deny=check.patterns(raw, "deny"),
        max_pages=check.whole(raw, "max_pages", None, minimum=1),
        max_links_per_page=check.whole(raw, "max_links_per_page", Source.max_links_per_page, minimum=1),
        schedule=check.cron(raw, "schedule"),
        robots_sitemaps=check.boolean(raw, "robots_sitemaps", True),
        discover=check.boolean(raw, "discover", True),
        max_age_hours=check.optional_number(raw, "max_age_hours", minimum=0),
        politeness=_politeness(check, raw),
    )


def _politeness(check: "_Checker", raw: dict[str, Any]) -> Politeness:
    d = Politeness()
    return Politeness(
        download_delay=check.number(raw, "download_delay", d.download_delay, minimum=0),
        concurrency_per_host=check.whole(raw, "concurrency_per_host", d.concurrency_per_host, minimum=1),
        autothrottle=check.boolean(raw, "autothrottle", d.autothrottle),
        obey_robots=check.boolean(raw, "obey_robots", d.obey_robots),
        user_agent=check.text(raw, "user_agent", d.user_agent),
        contact_url=check.contact(raw, "contact_url"),
        timeout=check.number(raw, "timeout", d.timeout, minimum=0, strict=True),
        max_bytes=check.whole(raw, "max_bytes", d.max_bytes, minimum=1),
        retry_times=check.whole(raw, "retry_times", d.retry_times, minimum=0),
        recrawl_interval_hours=check.number(raw, "recrawl_interval_hours",
                                            d.recrawl_interval_hours, minimum=0),
    )


class _Checker:
    """Reads one key of one source, or raises SourcesError naming both."""

    def __init__(self, origin: str, source: str, from_defaults: set[str]):
        self.origin, self.source, self.from_defaults = origin, source, from_defaults

    def fail(self, key: str, expected: str) -> NoReturn:
        if key in self.from_defaults:
            expected = f"(value from [defaults]) {expected}"
        raise SourcesError(self.origin, expected, source=self.source, key=key)

    def _got(self, value: Any) -> str:
        return f"got {value!r} ({type(value).__name__})"

    def strings(self, raw: dict, key: str, what: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f'expected a list of {what}, e.g. ["..."]; {self._got(value)}')
        return tuple(value)

    def urls(self, raw: dict, key: str) -> tuple[str, ...]:
        out = []
        for url in self.strings(raw, key, "http(s) URLs"):
            try:
                out.append(canonicalize(url))
            except ValueError as exc:
                why = _why(exc, url)
                self.fail(key, f"expected an absolute http(s) URL; got {url!r}" + (f" ({why})" if why else ""))
        return tuple(dict.fromkeys(out))

    def hosts(self, raw: dict, key: str) -> tuple[str, ...]:
        out = []
        for host in self.strings(raw, key, "host names"):
            bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
            if not (_HOST.match(host) or _is_ipv6(bare)):
                self.fail(key, f"expected a host name like 'example.com' or an IP address (no scheme, port "
                          f"or path); got {host!r}")
            out.append(bare.lower())  # IPv6 without brackets, as URLs' hostname gives it
        return tuple(out)

    def patterns(self, raw: dict, key: str) -> tuple[str, ...]:
        patterns = self.strings(raw, key, "regular expressions")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.fail(key, f"expected a regular expression; {pattern!r} does not compile: {exc}")
        return patterns

    def boolean(self, raw: dict, key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false; {self._got(value)}")
        return value

    def whole(self, raw: dict, key: str, default: int | None, minimum: int) -> int | None:
        value = raw.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"expected a whole number >= {minimum}; {self._got(value)}")
        return value

    def number(self, raw: dict, key: str, default: float, minimum: float, strict: bool = False) -> float:
        value = raw.get(key, default)
        bad = isinstance(value, bool) or not isinstance(value, (int, float))
        if bad or value < minimum or (strict and value == minimum):
            relation = ">" if strict else ">="
            self.fail(key, f"expected a number {relation} {minimum}; {self._got(value)}")
        return float(value)

    def optional_number(self, raw: dict, key: str, minimum: float) -> float | None:
        """A number > `minimum`, or None when the key is absent."""
        if key not in raw:
            return None
        return self.number(raw, key, 0.0, minimum=minimum, strict=True)

    def text(self, raw: dict, key: str, default: str | None) -> str | None:
        value = raw.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            self.fail(key, f"expected a non-empty string; {self._got(value)}")
        return value

    def contact(self, raw: dict, key: str) -> str | None:
        value = self.text(raw, key, None)
        if value is not None and urlsplit(value).scheme not in ("http", "https", "mailto"):
            self.fail(key, f"expected an http(s) or mailto: URL; got {value!r}")
        return value

    def cron(self, raw: dict, key: str) -> str | None:
        value = self.text(raw, key, None)
        if value is None:
            return None
        # Prefect runs the schedule, so Prefect's own parser is the judge.
        from prefect.client.schemas.schedules import CronSchedule

        try:
            CronSchedule(cron=value)
        except ValueError:
            self.fail(key, f'expected a cron expression like "*/30 * * * *"; got {value!r}')
        return value
