"""Which page a page says it stands in for: the page its rel=canonical or
og:url names, and the regular page of an AMP URL.

Publishers say which of their pages is the real one: an AMP page, a print
view or a syndicated copy names it with `<link rel="canonical">` (or og:url),
and AMP URLs follow a few fixed forms of the regular page's URL. Dedup uses
this to name the canonical member of a cluster (`deferring_members`): the
page another member names wins, whatever arrived first.

URLs are compared as pages (`page_key`): canonicalised as the crawler does,
and with the scheme, a leading `www.` and a trailing slash left out, since
sites name their pages under either scheme and with or without them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.ingest.urls import canonicalize

# Query parameters by which a site serves the AMP rendering of a page:
# `?amp`, `?amp=1`, `?amp=true`, `?_amp=true`; `?outputType=amp` and the like.
_AMP_FLAGS = {"amp", "_amp"}
_AMP_FORMAT_PARAMS = {"outputtype", "output", "format", "view", "template"}
# Hosts of AMP caches, which serve `/c/s/<host>/<path>` (https) or `/c/<host>/<path>`.
_AMP_CACHE_SUFFIXES = (".cdn.ampproject.org", ".amp.cloudflare.com", ".bing-amp.com")


@lru_cache(maxsize=65536)
def page_key(url: str | None) -> str | None:
    """The identity of the page at `url` for comparing pages: the
    canonicalised URL (`crawler.ingest.urls.canonicalize`) without its
    scheme, a leading `www.` or a trailing slash. None for None, an empty
    string or anything that is not an absolute http(s) URL; never raises."""
    if not url:
        return None
    try:
        parts = urlsplit(canonicalize(url))
    except ValueError:
        return None
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")
    return host + path + (f"?{parts.query}" if parts.query else "")


@lru_cache(maxsize=65536)
def regular_page_of_amp(url: str | None) -> str | None:
    """The URL of the regular page that `url` is the AMP rendering of, by the
    forms AMP URLs take:

    - an `amp` path segment: `/amp/news/a`, `/news/amp/a`, `/news/a/amp`;
    - an `.amp` suffix: `/news/a.amp`, `/news/a.amp.html`;
    - an AMP query flag: `?amp`, `?amp=1`, `?outputType=amp`;
    - an `amp.` host: `amp.example.org` for `example.org`;
    - an AMP cache or viewer: `example-org.cdn.ampproject.org/c/s/example.org/a`,
      `www.google.com/amp/s/example.org/a`.

    None when `url` takes none of these forms, is None, or is not an
    absolute http(s) URL; never raises. Only a form is recognised: whether
    the regular page exists is for the caller to see."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    cached = _from_amp_cache(parts.hostname, parts.path, parts.query)
    if cached is not None:
        return cached
    host, netloc = parts.hostname, parts.netloc.lower()
    if host.startswith("amp.") and host.count(".") >= 2:
        netloc = netloc.replace(host, host.removeprefix("amp."), 1)
    segments = parts.path.split("/")
    kept = [s for s in segments if s.lower() != "amp"]
    kept = [_without_amp_suffix(s) for s in kept]
    path = "/".join(kept) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_amp_flag(k, v)]
    regular = urlunsplit((parts.scheme, netloc, path, urlencode(query), ""))
    if page_key(regular) == page_key(url):
        return None
    return regular


def _without_amp_suffix(segment: str) -> str:
    low = segment.lower()
    if low.endswith(".amp"):
        return segment[: -len(".amp")]
    for ext in (".html", ".htm", ".php", ".aspx"):
        if low.endswith(".amp" + ext):
            return segment[: -len(".amp" + ext)] + segment[-len(ext):]
    return segment


def _is_amp_flag(name: str, value: str) -> bool:
    name = name.lower()
    if name in _AMP_FLAGS:
        return value.lower() in ("", "1", "true", "yes", "amp")
    return name in _AMP_FORMAT_PARAMS and value.lower() == "amp"


def _from_amp_cache(host: str, path: str, query: str) -> str | None:
    # example-org.cdn.ampproject.org/c/s/example.org/a -> https://example.org/a
    # www.google.com/amp/s/example.org/a               -> https://example.org/a
    host = host.lower()
    if host.endswith(_AMP_CACHE_SUFFIXES):
        prefixes = ("/c/s/", "/v/s/", "/i/s/", "/c/", "/v/", "/i/")
    elif host in ("google.com", "www.google.com"):
        prefixes = ("/amp/s/", "/amp/")
    else:
        return None
    for prefix in prefixes:
        if path.startswith(prefix) and len(path) > len(prefix):
            scheme = "https" if prefix.endswith("/s/") else "http"
            rest = path[len(prefix):]
            return f"{scheme}://{rest}" + (f"?{query}" if query else "")
    return None


@dataclass(frozen=True)
class NamedPage:
    """What one member of a cluster says about itself: the pages it is at
    (`own`: the page keys of its URL and final URL), the page its canonical
    link names (`canonical`, None when it names none or names itself), and
    the regular page its URL is the AMP form of (`regular`, None for a
    URL that is no AMP form)."""

    id: int
    own: frozenset[str]
    canonical: str | None
    regular: str | None

    @classmethod
    def of(cls, doc_id: int, url: str, final_url: str | None, canonical_url: str | None) -> "NamedPage":
        """Never raises: URLs that are not http(s) are left out."""
        own = frozenset(k for k in (page_key(url), page_key(final_url)) if k)
        canonical = page_key(canonical_url)
        regular = next((k for k in (page_key(regular_page_of_amp(u)) for u in (url, final_url)) if k), None)
        return cls(doc_id, own, canonical if canonical not in own else None,
                   regular if regular not in own else None)


def deferring_members(pages: Iterable[NamedPage]) -> set[int]:
    """Ids of the members that say another member is the page they stand in
    for; those never stand for the cluster. A member defers to another

    - whose URL (or final URL) its canonical link names, or of whose URL its
      own URL is an AMP form;
    - when it is an AMP page and the other a regular page on the named
      page's site whose canonical link names the same page (the regular
      page was fetched under another of its URLs).

    Two members that defer to each other contradict each other, and neither
    defers on that account. Never raises."""
    pages = list(pages)
    at: dict[str, set[int]] = defaultdict(set)  # page -> members fetched at it
    claimed: dict[str, set[int]] = defaultdict(set)  # page -> regular members of its site naming it
    for p in pages:
        for key in p.own:
            at[key].add(p.id)
        if p.canonical and not p.regular and _host(p.canonical) in {_host(k) for k in p.own}:
            claimed[p.canonical].add(p.id)
    edges: dict[int, set[int]] = {}
    for p in pages:
        names = [k for k in (p.canonical, p.regular) if k]
        targets = set().union(*(at[k] for k in names if k in at))
        if p.regular:
            targets |= set().union(*(claimed[k] for k in names if k in claimed))
        targets.discard(p.id)
        edges[p.id] = targets
    return {a for a, targets in edges.items() if any(a not in edges[b] for b in targets)}


def _host(key: str) -> str:
    return key.split("/", 1)[0].split("?", 1)[0]
