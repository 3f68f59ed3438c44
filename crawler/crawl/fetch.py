"""Fetch one URL politely and safely: the rules a crawl and an ad-hoc ingest share.

`fetch(url, config)` returns a `Page` (headers lower-cased, body decompressed,
`final_url` after redirects, `fetched_at` in UTC) or raises
`Rejected(reason, detail)`; it raises nothing else, whatever the input. The
reasons are codes of `crawler.ingest.outcomes`, the same a crawl records:

- `bad_url`: not an absolute http/https URL (the input, or a redirect target),
  or one whose host or port cannot be used (`crawler.ingest.urls.canonicalize`
  says which); IPv6 hosts are written in brackets, `http://[2001:db8::1]/`.
- `private_address`: the host resolves to a private, loopback, link-local,
  reserved, multicast or unspecified address (IPv4 or IPv6), checked on every
  connection, so at every redirect hop; allowed only with `allow_private`.
  The connection goes to the very address that was checked, so a second DNS
  answer cannot swap in an internal one. The detail names the URL asked for.
- `robots_disallowed`: robots.txt (RFC 9309, parsed by protego from its first
  500 KiB, fetched with the same User-Agent, cached per origin) forbids the
  URL or a redirect hop; the forbidden URL is never requested. robots.txt
  answering 4xx allows everything.
- `robots_unavailable`: robots.txt answered 5xx, or its body could not be
  read: everything is forbidden until it is asked for again, after
  ROBOTS_ERROR_TTL (RFC 9309 §2.3.1.4). Not reaching the host at all is the
  page's own failure (`dns_error`, `connection_refused`…), and robots.txt
  taking too long is the fetch's `timeout`.
- `timeout`: the whole fetch (robots.txt and every hop included, connecting,
  waiting for headers and reading the body alike) took longer than `timeout`
  seconds. One wall-clock deadline is enforced on every read of the socket,
  so a server dripping its headers a byte at a time is cut off on time.
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
import threading
import time
import zlib
from dataclasses import dataclass

import httpcore
import httpx

from crawler.crawl.agent import ROBOTS_TOKEN, user_agent
from crawler.crawl.robots_rules import (ROBOTS_ERROR_TTL, ROBOTS_PARSED_BYTES, ROBOTS_TTL, RobotsRules,
                                        robots_rules, robots_unreadable)
from crawler.ingest.outcomes import FAILED
from crawler.ingest.records import Page, Rejected
from crawler.ingest.urls import check_host
from storage.utc import utc_now

# Operators should set contact_url to a page where site owners can reach them.
DEFAULT_CONTACT_URL = "https://wirecrawl.invalid/contact"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


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
    with _client(config, deadline) as client:
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


class _Deadline(httpcore.NetworkBackend):
    """The network under one wall-clock deadline: connecting, every read and
    every write waits at most until the deadline (httpx's own timeouts count
    per operation, so a server answering a byte at a time would never trip
    them), and at the deadline a watchdog shuts every socket still open, which
    also ends a TLS handshake dripped a byte at a time."""

    def __init__(self, network: httpcore.NetworkBackend, deadline: float):
        self.network = network
        self.deadline = deadline
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = False
        self._watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def remaining(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("the time for the whole fetch ran out")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self.network.connect_tcp(host, port, self.remaining(timeout, httpcore.ConnectTimeout),
                                          local_address, socket_options)
        return _DeadlineStream(stream, self)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # not used: no proxies
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def watch(self, stream: httpcore.NetworkStream) -> None:
        sock = stream.get_extra_info("socket")
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self._expired
        if expired:
            self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it; close() would not
        except OSError:
            pass  # closed already

    def close(self) -> None:
        self._watchdog.cancel()
        # Gone before the fetch returns: a command forks its extraction
        # process next, which it only does while it has a single thread.
        self._watchdog.join()


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline):
        self.stream = stream
        self.deadline = deadline
        deadline.watch(stream)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, self.deadline.remaining(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self.deadline.remaining(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        tls = self.stream.start_tls(ssl_context, server_hostname,
                                    self.deadline.remaining(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls, self.deadline)

    def get_extra_info(self, info: str):
        return self.stream.get_extra_info(info)


@functools.cache
def _ssl_context():
    return httpx.create_ssl_context(trust_env=False)


class _Client(httpx.Client):
    """httpx's client over a `_Deadline` network; closing it stops the watchdog."""

    def __init__(self, deadline: _Deadline, **kw):
        super().__init__(**kw)
        self.deadline = deadline

    def close(self) -> None:
        self.deadline.close()
        super().close()

    def __exit__(self, *exc) -> None:
        self.deadline.close()
        super().__exit__(*exc)


def _client(config: FetchConfig, deadline: float) -> httpx.Client:
    network = _Deadline(httpcore.SyncBackend() if config.allow_private else _PublicOnlyBackend(), deadline)
    transport = httpx.HTTPTransport(verify=_ssl_context(), trust_env=False)
    # httpx has no public switch for the network backend; its connection
    # pool (httpcore) does, so the transport gets a pool that uses ours.
    transport._pool = httpcore.ConnectionPool(ssl_context=_ssl_context(), network_backend=network)
    # trust_env=False: no proxy or .netrc from the environment, so every
    # connection is the one checked above and no credentials leak to sites.
    return _Client(network, transport=transport, trust_env=False, follow_redirects=False, headers={
        "User-Agent": config.user_agent,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding": "gzip, deflate",  # only what _Inflater can bound
    })


# --- one request, then the redirect chain ------------------------------------

def _parse_url(url: str, context: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
        host, port = parsed.host, parsed.port  # reading the host decodes an IDNA name, which may fail
        if parsed.scheme in ("http", "https") and host:
            check_host(parsed.raw_host.decode("ascii").lower())
            if port is not None and not 0 < port < 65536:
                raise ValueError(f"port {port} is not from 1 to 65535")
    except (httpx.InvalidURL, TypeError, ValueError) as exc:  # IDNA errors are ValueErrors
        raise Rejected("bad_url", f"{context}: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not host:
        raise Rejected("bad_url", f"{context}: only absolute http and https URLs are fetched, not {url!r}")
    return parsed.copy_with(fragment=None)


def _follow(client: httpx.Client, url: httpx.URL, config: FetchConfig, deadline: float,
            headers: dict[str, str], max_bytes: int, *, robots: bool, truncate: bool = False) -> Page:
    """Request `url`, following redirects by hand so every hop passes the
    address and robots checks. Returns the first non-redirect answer; its body
    is read only for 2xx (and cut at `max_bytes` when `truncate`, instead of
    refused)."""
    seen = {str(url)}
    for _ in range(config.max_redirects + 1):
        if robots:
            _obey_robots(client, url, config, deadline)
        page, location = _request(client, url, deadline, headers, max_bytes, truncate)
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
             max_bytes: int, truncate: bool = False) -> tuple[Page, str | None]:
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
                page.body = _read_body(response, url, max_bytes, deadline, truncate)
            return page, None
        finally:
            response.close()
    except Rejected as exc:
        if exc.reason == "private_address":  # the address check names the host; name the URL too
            raise Rejected(exc.reason, f"{url}: {exc.detail}") from exc
        raise
    except httpx.TimeoutException as exc:
        raise Rejected("timeout", f"{url}: no complete answer within the time limit "
                                  f"({type(exc).__name__}: {exc})") from exc
    except httpx.InvalidURL as exc:
        raise Rejected("bad_url", f"{url}: {exc}") from exc
    except ValueError as exc:  # httpx reads every Location before we do: an IDNA error, say
        raise Rejected("bad_url", f"{url} redirects to an unusable URL: {type(exc).__name__}: {exc}") from exc
    except httpx.HTTPError as exc:
        if time.monotonic() >= deadline:  # the watchdog shut the socket
            raise Rejected("timeout", f"{url}: no complete answer within the time limit") from exc
        if isinstance(exc, httpx.RemoteProtocolError) and "location header" in str(exc).lower():
            raise Rejected("bad_url", f"{url} redirects to an unusable URL: {exc}") from exc
        raise Rejected(_failure_reason(exc), f"{url}: {type(exc).__name__}: {exc}") from exc


def _failure_reason(exc: httpx.HTTPError) -> str:
    """The reason code of a transport failure: a name that does not
    resolve, refused, or broken."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection_refused"
        if isinstance(cause, socket.gaierror):  # resolved by the connection itself (private addresses allowed)
            return "dns_error"
        cause = cause.__cause__ or cause.__context__
    return "connection_error" if isinstance(exc, httpx.TransportError) else "download_error"


def _status_detail(page: Page) -> str:
    if 300 <= page.status < 400:
        return f"HTTP {page.status} without a Location header from {page.final_url}"
    return f"HTTP {page.status} from {page.final_url}"


# --- the body, bounded --------------------------------------------------------

def _read_body(response: httpx.Response, url: httpx.URL, max_bytes: int, deadline: float,
               truncate: bool = False) -> bytes:
    """The body, decompressed: `too_large` past `max_bytes` on the wire or
    decompressed, or, with `truncate`, its first `max_bytes` bytes."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise Rejected("too_large", f"{url}: Content-Length {declared} is over the limit of {max_bytes} bytes")
    inflater = _Inflater(response.headers.get("content-encoding", ""), url)
    body = bytearray()
    wire = 0
    try:
        for chunk in response.iter_raw():
            wire += len(chunk)
            if wire > max_bytes:
                raise Rejected("too_large", f"{url}: more than {max_bytes} bytes on the wire")
            inflater.feed(chunk, body, max_bytes)
            if time.monotonic() > deadline:  # a server dripping bytes must not outlive the budget
                raise Rejected("timeout", f"{url}: body still arriving when time ran out")
        if time.monotonic() >= deadline:
            # The watchdog shut the socket at the deadline, and the read it woke
            # saw the stream end: for a body without a length, the page's end.
            raise Rejected("timeout", f"{url}: body still arriving when time ran out")
        inflater.finish(body, max_bytes)
    except Rejected as exc:
        if not (truncate and exc.reason == "too_large"):
            raise
        del body[max_bytes:]
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
            if self._started and not self._zlib.eof:
                # The connection ended (a Content-Length that matched what was sent) before the
                # compressed stream did: a cut-off page, not a shorter one.
                raise Rejected("bad_encoding", f"{self.url}: the {self.encoding} body ends before its compressed "
                                               "stream does: cut off in transit")


# --- robots.txt, by the rules the crawl shares (crawler.crawl.robots_rules) -------

@dataclass
class _Robots:
    rules: RobotsRules
    expires: float


_robots_cache: dict[str, _Robots] = {}  # origin -> rules; races only cost a duplicate fetch


def _obey_robots(client: httpx.Client, url: httpx.URL, config: FetchConfig, deadline: float) -> None:
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    robots = _robots_cache.get(origin)
    if robots is None or robots.expires < time.monotonic():
        robots = _robots_cache[origin] = _fetch_robots(client, origin, url, config, deadline)
    refusal = robots.rules.refusal(str(url), config.robots_agent)
    if refusal is not None:
        raise refusal


def _fetch_robots(client: httpx.Client, origin: str, page_url: httpx.URL, config: FetchConfig,
                  deadline: float) -> _Robots:
    """RFC 9309 §2.3 by `robots_rules`, redirects followed, the first
    ROBOTS_PARSED_BYTES kept of a longer file. Failing to reach it (network,
    timeout, a refused address) is the failure of `page_url`, named so, and
    nothing is cached."""
    robots_url = httpx.URL(origin + "/robots.txt")
    now = time.monotonic()
    try:
        page = _follow(client, robots_url, config, deadline, {}, ROBOTS_PARSED_BYTES, robots=False,
                       truncate=True)
    except Rejected as exc:
        if exc.reason == "private_address":  # the page's own address: say so of the page
            cause = exc.__cause__ if isinstance(exc.__cause__, Rejected) else exc
            raise Rejected(exc.reason, f"{page_url}: {cause.detail}") from exc
        if exc.outcome == FAILED:
            raise Rejected(exc.reason, f"{page_url}: not requested, asking for its robots.txt first failed: "
                                       f"{exc.detail}") from exc
        if exc.reason == "bad_encoding":
            rules = robots_unreadable(str(robots_url), f"could not be read ({exc.detail})")
            return _Robots(rules, now + ROBOTS_ERROR_TTL)
        # A robots.txt that redirects badly counts as unavailable (§2.3.1.2).
        return _Robots(robots_rules(str(robots_url), 404, b""), now + ROBOTS_TTL)
    rules = robots_rules(str(robots_url), page.status, page.body)
    return _Robots(rules, now + (ROBOTS_ERROR_TTL if rules.temporary else ROBOTS_TTL))
