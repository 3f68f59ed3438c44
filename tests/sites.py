"""Small web sites served on 127.0.0.1 for tests: a route table, a request log.

    with Site() as site:
        site.add("/a.html", html)                 # 200 text/html
        site.add("/b", Response(404, body=b"no"))
        site.add("/c", lambda req: Response(...)) # computed per request
        site.url("/a.html")                       # http://127.0.0.1:PORT/a.html
        Site("::1")                               # on IPv6 loopback: http://[::1]:PORT/
        site.requests                             # [Request(method, path, headers)]
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Union


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering: a slow server, not a sync
    # Seconds between the bytes of the status line and headers: a server
    # dripping its headers (pad them with a long header to make it last).
    drip: float = 0.0
    drip_body: float = 0.0  # seconds between the bytes of the body: a slow body
    # False: a dripped body goes without Content-Length, ended by closing the
    # connection (HTTP/1.0 style), so the client cannot tell it is cut short.
    length: bool = True

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


Route = Union[Response, str, bytes, Callable[[Request], Response]]


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def ipv6_loopback() -> str | None:
    """Why this machine cannot serve on [::1], or None when it can."""
    if not socket.has_ipv6:
        return "Python was built without IPv6"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError as exc:
        return f"no IPv6 loopback here ({exc})"
    return None


class Site:
    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self, head_only: bool = False):
                req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                with site._lock:
                    site.requests.append(req)
                route = site.routes.get(self.path)
                if route is None:
                    route = site.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    resp = Response(404, b"<html><body>not found</body></html>")
                elif callable(route):
                    resp = route(req)
                elif isinstance(route, Response):
                    resp = route
                else:
                    resp = Response(200, route)
                if resp.delay:
                    time.sleep(resp.delay)
                body = resp.encoded()
                if resp.drip or resp.drip_body:
                    self._drip(resp, body)
                    return
                try:
                    self.send_response(resp.status)
                    if resp.content_type and "content-type" not in {k.lower() for k in resp.headers}:
                        self.send_header("Content-Type", resp.content_type)
                    for k, v in resp.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if not head_only and resp.status not in (204, 304):
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _drip(self, resp: Response, body: bytes) -> None:
                lines = [f"HTTP/1.1 {resp.status} Dripping",
                         f"Content-Length: {len(body)}" if resp.length else "Connection: close"]
                if resp.content_type and "content-type" not in {k.lower() for k in resp.headers}:
                    lines.append(f"Content-Type: {resp.content_type}")
                lines += [f"{k}: {v}" for k, v in resp.headers.items()]
                head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
                try:
                    for data, pause in ((head, resp.drip), (body, resp.drip_body)):
                        if not pause:
                            self.wfile.write(data)
                            continue
                        for i in range(len(data)):
                            self.wfile.write(data[i:i + 1])
                            time.sleep(pause)
                except OSError:  # the client gave up: that is the point
                    pass
                self.close_connection = True

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away: nothing to answer

            def do_GET(self):
                self._serve()

            def do_HEAD(self):
                self._serve(head_only=True)

        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self.server = server_class((host, 0), Handler)
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> "Site":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Site":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]
