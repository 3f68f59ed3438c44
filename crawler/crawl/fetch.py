"""Fetch one URL politely and safely: the rules a crawl and an ad-hoc ingest share.

`fetch(url, config)` returns a `Page` (headers lower-cased, body decompressed,
`final_url` after redirects, `fetched_at` in UTC) or raises
`Rejected(reason, detail)`; it raises nothing else, whatever the input. The
reasons are codes of `crawler.ingest.outcomes`, the same a crawl records:

- `bad_url`: not an absolute http/https URL (the input, or a redirect target).
- `private_address`: the host resolves to a private, loopback, link-local,
  reserved, multicast or unspecified address (IPv4 or IPv6), checked on every
  connection, so at every redirect hop; allowed only with `allow_private`.
  The connection goes to the very address that was checked, so a second DNS
  answer cannot swap in an internal one.
- `robots_disallowed`: robots.txt (RFC 9309, parsed by protego, fetched with
  the same User-Agent, cached per host) forbids the URL or a redirect hop;
  the forbidden URL is never requested. robots.txt answering 4xx allows
  everything, 5xx forbids everything.
- `timeout`: the whole fetch (robots.txt and every hop included) took longer
  than `timeout` seconds.
- `too_large`: more than `max_bytes` on the wire, or after decompression (a
  compression bomb is stopped after at most `max_bytes` + one chunk inflated).
- `bad_encoding`: a Content-Encoding other than gzip/deflate/identity, or a
  compressed body that does not decompress.
- `too_many_redirects`, `redirect_loop`: as named; limit `max_redirects`.
- `http_status`: a 4xx/5xx answer, or a 3xx without a Location; the detail
  starts with "HTTP <status>".
- `dns_error`, `connection_refused`, `connection_error`: the host does not
  resolve, refuses the connection, or the connection breaks (or the server
  breaks the protocol); the detail carries the underlying message.

A 304 to a conditional request (`etag` / `last_modified`) comes back as a Page
with status 304 and an empty body.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import time
import zlib
from dataclasses import dataclass

import httpcore
import httpx
from protego import Protego

from crawler.crawl.agent import ROBOTS_TOKEN, user_agent
from crawler.ingest.outcomes import FAILED
from crawler.ingest.records import Page, Rejected
from storage.utc import utc_now

# Operators should set contact_url to a page where site owners can reach them.
DEFAULT_CONTACT_URL = "https://wirecrawl.invalid/contact"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# RFC 9309 §2.5: a crawler must parse at least the first 500 KiB of robots.txt;
# like the big search engines we ignore what follows.
ROBOTS_PARSED_BYTES = 500 * 1024
# RFC 9309 §2.4: a cached robots.txt should not be used for more than 24 hours;
# a server error is retried sooner so a brief outage does not block a host all day.
ROBOTS_TTL = 24 * 3600.0
ROBOTS_ERROR_TTL = 600.0


@dataclass(frozen=True)
class FetchConfig:
    """How a page is fetched. Defaults are the polite, safe ones."""

    contact_url: str = DEFAULT_CONTACT_URL  # where a site owner can reach the operator
    user_agent: str | None = None  # None: wirecrawl's own, naming contact_url (crawler.crawl.agent)
    robots_agent: str = ROBOTS_TOKEN  # the product token matched against robots.txt User-agent lines
    timeout: float = 20.0  # seconds for the whole fetch, robots.txt and redirects included
    max_bytes: int = 10 * 1024 * 1024  # on the wire and again after decompression
    max_redirects: int = 10
    obey_robots: bool = True
    allow_private: bool = False  # ad-hoc URLs may come from anyone: no internal services

    def __post_init__(self):
        if self.user_agent is None:
            object.__setattr__(self, "user_agent", user_agent(self.contact_url))


def fetch(url: str, config: FetchConfig = FetchConfig(), *, etag: str | None = None,
          last_modified: str | None = None, source: str | None = None) -> Page:
    """GET `url` under `config`'s rules and return the final Page (2xx, or 304
    to a conditional request). Anything else raises `Rejected` with one of the
    module's reason codes and a detail naming the URL involved."""
    start = _parse_url(url, url)
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + config.timeout
    with _client(config) as client:
        page = _follow(client, start, config, deadline, conditional, config.max_bytes,
                       robots=config.obey_robots)
    if page.status >= 300 and page.status != 304:
        raise Rejected("http_status", _status_detail(page), status=page.status)
    return Page(url=url, status=page.status, headers=page.headers, body=page.body,
                fetched_at=page.fetched_at, final_url=page.final_url, source=source)


def check_address(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, provided every one is public.

    Raises Rejected("private_address") naming the first address that is
    private, loopback, link-local, reserved, multicast or unspecified, and
    Rejected("dns_error") if the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Rejected("dns_error", f"{host} does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        kind = _non_public_kind(ipaddress.ip_address(address))
        if kind:
            where = address if host == address else f"{host} resolves to {address}, which"
            raise Rejected("private_address", f"{where} is {kind}, not a public address")
    return addresses


def forget_robots() -> None:
    """Drop every cached robots.txt (they are otherwise kept per host for
    ROBOTS_TTL seconds in this process)."""
    _robots_cache.clear()


# --- addresses ---------------------------------------------------------------

def _non_public_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    # is_global also rules out shared (100.64/10), documentation and mapped ranges.
    return None if ip.is_global else "non-global"


class _PublicOnlyBackend(httpcore.SyncBackend):
    """Opens connections only to checked public addresses, and to exactly those:
    resolving again at connect time could answer differently (DNS rebinding)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error: Exception | None = None
        for address in check_address(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # next address, as socket.create_connection does
                error = exc
        raise error or httpcore.ConnectError(f"{host}: no address to connect to")


@functools.cache
def _ssl_context():
    return httpx.create_ssl_context(trust_env=False)


def _client(config: FetchConfig) -> httpx.Client:
    transport = httpx.HTTPTransport(verify=_ssl_context(), trust_env=False)
    if not config.allow_private:
        # httpx has no public switch for the network backend; its connection
        # pool (httpcore) does, so the transport gets a pool that uses ours.
        transport._pool = httpcore.ConnectionPool(ssl_context=_ssl_context(),
                                                  network_backend=_PublicOnlyBackend())
    # trust_env=False: no proxy or .netrc from the environment, so every
    # connection is the one checked above and no credentials leak to sites.
    return httpx.Client(transport=transport, trust_env=False, follow_redirects=False, headers={
        "User-Agent": config.user_agent,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding": "gzip, deflate",  # only what _Inflater can bound
    })


# --- one request, then the redirect chain ------------------------------------

def _parse_url(url: str, context: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise Rejected("bad_url", f"{context}: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Rejected("bad_url", f"{context}: only absolute http and https URLs are fetched, not {url!r}")
    return parsed.copy_with(fragment=None)


def _follow(client: httpx.Client, url: httpx.URL, config: FetchConfig, deadline: float,
            headers: dict[str, str], max_bytes: int, *, robots: bool) -> Page:
    """Request `url`, following redirects by hand so every hop passes the
    address and robots checks. Returns the first non-redirect answer; its body
    is read only for 2xx."""
    seen = {str(url)}
    for _ in range(config.max_redirects + 1):
        if robots:
            _obey_robots(client, url, config, deadline)
        page, location = _request(client, url, deadline, headers, max_bytes)
        if location is None:
            return page
        target = _redirect_target(url, location)
        if str(target) in seen:
            raise Rejected("redirect_loop", f"{url} redirects back to {target}")
        seen.add(str(target))
        url = target
    raise Rejected("too_many_redirects", f"more than {config.max_redirects} redirects, last to {url}")


def _redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    context = f"{url} redirects to {location!r}"
    try:
        joined = url.join(location)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise Rejected("bad_url", f"{context}: {exc}") from exc
    return _parse_url(str(joined), context)


def _request(client: httpx.Client, url: httpx.URL, deadline: float, headers: dict[str, str],
             max_bytes: int) -> tuple[Page, str | None]:
    """One GET: (page, redirect Location or None)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Rejected("timeout", f"{url}: time ran out before the request")
    request = client.build_request("GET", url, headers=headers, timeout=httpx.Timeout(remaining))
    try:
        response = client.send(request, stream=True)
        try:
            page = Page(url=str(url), status=response.status_code, final_url=str(url), body=b"",
                        headers={k.lower(): v for k, v in response.headers.items()},
                        fetched_at=utc_now())
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                return page, location
            if 200 <= response.status_code < 300:
                page.body = _read_body(response, url, max_bytes, deadline)
            return page, None
        finally:
            response.close()
    except httpx.TimeoutException as exc:
        raise Rejected("timeout", f"{url}: {type(exc).__name__} {exc}") from exc
    except httpx.InvalidURL as exc:
        raise Rejected("bad_url", f"{url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise Rejected(_failure_reason(exc), f"{url}: {type(exc).__name__}: {exc}") from exc


def _failure_reason(exc: httpx.HTTPError) -> str:
    """The reason code of a transport failure: refused, or broken."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection_refused"
        cause = cause.__cause__ or cause.__context__
    return "connection_error" if isinstance(exc, httpx.TransportError) else "download_error"


def _status_detail(page: Page) -> str:
    if 300 <= page.status < 400:
        return f"HTTP {page.status} without a Location header from {page.final_url}"
    return f"HTTP {page.status} from {page.final_url}"


# --- the body, bounded --------------------------------------------------------

def _read_body(response: httpx.Response, url: httpx.URL, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Rejected("too_large", f"{url}: Content-Length {declared} is over the limit of {max_bytes} bytes")
    inflater = _Inflater(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    wire = 0
    for chunk in response.iter_raw():
        wire += len(chunk)
        if wire > max_bytes:
            raise Rejected("too_large", f"{url}: more than {max_bytes} bytes on the wire")
        inflater.feed(chunk, body, max_bytes)
        if time.monotonic() > deadline:  # a server dripping bytes must not outlive the budget
            raise Rejected("timeout", f"{url}: body still arriving when time ran out")
    inflater.finish(body, max_bytes)
    return bytes(body)


class _Inflater:
    """Decodes a Content-Encoding while never producing more than the limit
    (+1 byte) of output, whatever the compression ratio."""

    def __init__(self, encoding: str, url: httpx.URL):
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip().lower() not in ("", "identity")]
        if codings not in ([], ["gzip"], ["x-gzip"], ["deflate"]):
            raise Rejected("bad_encoding", f"{url}: unsupported Content-Encoding {encoding!r}")
        self.url = url
        self.encoding = codings[0] if codings else None
        # MAX_WBITS|32 reads a gzip or a zlib header; some servers send raw deflate.
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32) if codings else None
        self._started = False

    def feed(self, data: bytes, body: bytearray, limit: int) -> None:
        if self._zlib is None:
            body += data
            return
        try:
            self._inflate(data, body, limit)
        except zlib.error:
            if self._started or self.encoding != "deflate":
                raise Rejected("bad_encoding", f"{self.url}: body does not decompress as {self.encoding}")
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self.feed(data, body, limit)
        self._started = True

    def _inflate(self, data: bytes, body: bytearray, limit: int) -> None:
        while data:
            body += self._zlib.decompress(data, limit - len(body) + 1)
            if len(body) > limit:
                raise Rejected("too_large", f"{self.url}: more than {limit} bytes after decompression "
                                            f"({self.encoding})")
            data = self._zlib.unconsumed_tail

    def finish(self, body: bytearray, limit: int) -> None:
        if self._zlib is not None:
            body += self._zlib.flush()
            if len(body) > limit:
                raise Rejected("too_large", f"{self.url}: more than {limit} bytes after decompression")


# --- robots.txt ---------------------------------------------------------------

@dataclass
class _Robots:
    rules: Protego
    expires: float
    why: str  # what the rules came from, for the rejection detail


_robots_cache: dict[str, _Robots] = {}  # origin -> rules; races only cost a duplicate fetch
_DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def _obey_robots(client: httpx.Client, url: httpx.URL, config: FetchConfig, deadline: float) -> None:
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    robots = _robots_cache.get(origin)
    if robots is None or robots.expires < time.monotonic():
        robots = _robots_cache[origin] = _fetch_robots(client, origin, config, deadline)
    if not robots.rules.can_fetch(str(url), config.robots_agent):
        raise Rejected("robots_disallowed", f"{url}: {robots.why}")


def _fetch_robots(client: httpx.Client, origin: str, config: FetchConfig, deadline: float) -> _Robots:
    """RFC 9309 §2.3: 2xx is parsed; 4xx means no rules; 5xx means disallow
    all; redirects are followed. Failing to reach it (network, timeout, a
    refused address) is the fetch's failure."""
    robots_url = httpx.URL(origin + "/robots.txt")
    now = time.monotonic()
    try:
        page = _follow(client, robots_url, config, deadline, {}, config.max_bytes, robots=False)
    except Rejected as exc:
        # Not an answer about robots.txt but about reaching it: the page's own
        # fetch fails the same way, and nothing is cached.
        if exc.outcome == FAILED or exc.reason == "private_address":
            raise Rejected(exc.reason, f"robots.txt: {exc.detail}") from exc
        if exc.reason == "too_large":  # larger than any page we would take: not a robots.txt
            return _Robots(Protego.parse(_DISALLOW_ALL), now + ROBOTS_ERROR_TTL, f"{robots_url} is too large")
        # A robots.txt that redirects badly counts as unavailable (§2.3.1.2).
        return _Robots(Protego.parse(""), now + ROBOTS_TTL, "")
    if page.status >= 500:
        return _Robots(Protego.parse(_DISALLOW_ALL), now + ROBOTS_ERROR_TTL,
                       f"{robots_url} answered HTTP {page.status}: all paths disallowed")
    if page.status >= 300:
        return _Robots(Protego.parse(""), now + ROBOTS_TTL, "")
    text = page.body[:ROBOTS_PARSED_BYTES].decode("utf-8", errors="replace")
    return _Robots(Protego.parse(text), now + ROBOTS_TTL, f"disallowed by {robots_url}")
