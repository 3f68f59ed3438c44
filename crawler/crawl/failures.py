"""Why a request produced no page: a Scrapy failure named by a reason code of
`crawler.ingest.outcomes`, the same the ad-hoc fetch gives. Used by the
spider and by the errback that records every failure, so both name it alike.
Also what is no failure at all: a request dropped on purpose (`NotRequested`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotSupported,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import response_status_message
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError as TxTimeoutError

from crawler.crawl.meta import NOTE
from crawler.ingest.records import Rejected

if TYPE_CHECKING:
    from scrapy import Request
    from twisted.python.failure import Failure


class NotRequested(IgnoreRequest):
    """A request dropped on purpose before it was sent (fetched within the
    recrawl interval, the source's max_pages reached): counted where it was
    decided, never recorded as a failure."""


# Reasons of a request that got no HTTP response at all: a source whose
# requests all end so is unreachable.
NO_RESPONSE_REASONS = frozenset({"dns_error", "connection_refused", "connection_error", "timeout"})
# Failures of the name lookup: a name that does not resolve now will not in
# a second, so they are not retried (and a host that failed its lookup once
# is not looked up again in the same crawl).
DNS_ERRORS: tuple[type[BaseException], ...] = (CannotResolveHostError, DNSLookupError)

# Exception classes of download failures and the reason code recorded for them.
_ERRORS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, TxTimeoutError), "timeout"),
    (DNS_ERRORS, "dns_error"),
    ((DownloadConnectionRefusedError,), "connection_refused"),
    ((ResponseDataLossError,), "data_loss"),
    ((ConnectError, ConnectionLost, DownloadFailedError), "connection_error"),
)


class Refused(IgnoreRequest):
    """A request one of our components refused, carrying the Rejected to
    record for it (Scrapy's own components only leave a message)."""

    def __init__(self, rejected: Rejected, message: str | None = None):
        super().__init__(message or str(rejected))
        self.rejected = rejected


def classify(failure: Failure, request: Request, max_bytes: int | None = None) -> Rejected:
    """Name the reason a request failed; never raises. Scrapy reports several
    of these only as an IgnoreRequest with a message, so the messages are
    matched here (pinned by tests/test_crawl.py); an exception nobody named
    is a download_error."""
    exc = failure.value
    if isinstance(exc, Refused):
        return exc.rejected
    if isinstance(exc, HttpError):
        status = exc.response.status
        note = request.meta.get(NOTE)
        detail = note or f"HTTP {response_status_message(status)}"
        if request.meta.get("retry_times"):
            detail += f" after {request.meta['retry_times']} retries"
        return Rejected("http_status", detail, status)
    message = str(exc)
    if isinstance(exc, DownloadCancelledError) or "exceeded DOWNLOAD_MAXSIZE" in message:
        limit = f" (limit {max_bytes} bytes, compressed or decompressed)" if max_bytes else ""
        return Rejected("too_large", message.split(" in request ")[0] + limit)
    if isinstance(exc, IgnoreRequest):
        if message == "Forbidden by robots.txt":
            return Rejected("robots_disallowed", "disallowed by the site's robots.txt")
        if message == "max redirections reached":
            chain = [*request.meta.get("redirect_urls", []), request.url]
            looped = len(set(chain)) < len(chain)
            return Rejected("redirect_loop" if looped else "too_many_redirects",
                            f"{len(chain) - 1} redirects: " + " -> ".join(chain[:6])
                            + (" ..." if len(chain) > 6 else ""))
        if message.startswith("Filtered offsite request"):
            return Rejected("offsite", message)
        return Rejected("ignored", message or type(exc).__name__)
    for classes, reason in _ERRORS:
        if isinstance(exc, classes):
            return Rejected(reason, message or type(exc).__name__)
    if isinstance(exc, NotSupported) or (isinstance(exc, ValueError) and "scheme" in message.lower()):
        # A redirect to mailto:, javascript:, ftp:… (Scrapy cannot even build the request).
        return Rejected("bad_url", f"not an http(s) URL: {message}")
    return Rejected("download_error", f"{type(exc).__name__}: {message}")

