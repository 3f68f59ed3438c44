"""Why a request produced no page: a Scrapy failure named by a reason code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import response_status_message
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError as TxTimeoutError

from crawler.crawl.meta import NOTE

if TYPE_CHECKING:
    from scrapy import Request
    from twisted.python.failure import Failure


@dataclass(frozen=True)
class Failed:
    """Why a request produced no page: `outcome` is "error" (the fetch failed)
    or "rejected" (we refused it), `reason` a short stable code."""

    outcome: str
    reason: str
    detail: str
    status: int | None = None


# Exception classes of download failures and the reason code recorded for them.
_ERRORS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, TxTimeoutError), "timeout"),
    ((CannotResolveHostError, DNSLookupError), "dns_error"),
    ((DownloadConnectionRefusedError,), "connection_refused"),
    ((ResponseDataLossError,), "data_loss"),
    ((ConnectError, ConnectionLost, DownloadFailedError), "connection_error"),
)


def classify(failure: Failure, request: Request, max_bytes: int | None = None) -> Failed:
    """Name the reason a request failed. Scrapy reports several of these only
    as an IgnoreRequest with a message, so the messages are matched here
    (pinned by tests/test_crawl.py)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        note = request.meta.get(NOTE)
        detail = note or f"HTTP {response_status_message(status)}"
        if request.meta.get("retry_times"):
            detail += f" after {request.meta['retry_times']} retries"
        return Failed("error", f"http_{status}", detail, status)
    message = str(exc)
    if isinstance(exc, DownloadCancelledError) or "exceeded DOWNLOAD_MAXSIZE" in message:
        limit = f" (limit {max_bytes} bytes, compressed or decompressed)" if max_bytes else ""
        return Failed("rejected", "too_large", message.split(" in request ")[0] + limit)
    if isinstance(exc, IgnoreRequest):
        if message == "Forbidden by robots.txt":
            return Failed("rejected", "robots", "disallowed by the site's robots.txt")
        if message == "max redirections reached":
            chain = [*request.meta.get("redirect_urls", []), request.url]
            looped = len(set(chain)) < len(chain)
            return Failed("rejected", "redirect_loop" if looped else "too_many_redirects",
                          f"{len(chain) - 1} redirects: " + " -> ".join(chain[:6]) + (" ..." if len(chain) > 6 else ""))
        if message.startswith("Filtered offsite request"):
            return Failed("rejected", "offsite", message)
        return Failed("rejected", "ignored", message or type(exc).__name__)
    for classes, reason in _ERRORS:
        if isinstance(exc, classes):
            return Failed("error", reason, message or type(exc).__name__)
    return Failed("error", "download_error", f"{type(exc).__name__}: {message}")

