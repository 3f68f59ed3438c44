"""Scrapy's retries, with exponential backoff and `Retry-After` honoured."""

from __future__ import annotations

import asyncio
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message

from crawler.crawl.failures import DNS_ERRORS
from crawler.crawl.meta import NOTE
from storage.utc import as_utc, utc_now

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a `Retry-After` header (delta-seconds or an
    HTTP-date); None when absent or unreadable, 0 for a date in the past."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (as_utc(when) - (now or utc_now())).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (5xx, 408, 429, timeouts, connection errors;
    not a host name that does not resolve: that is no passing trouble), plus:
    the n-th retry waits WIRECRAWL_RETRY_BACKOFF_BASE * 2**(n-1) seconds
    (capped by WIRECRAWL_RETRY_BACKOFF_MAX), and a 429/503 carrying
    `Retry-After` waits what the server asked. A `Retry-After` beyond
    WIRECRAWL_RETRY_AFTER_MAX ends the retries; the response then fails as an
    HTTP error with that reason recorded. The wait holds only that request:
    the reactor and other requests go on."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("WIRECRAWL_RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("WIRECRAWL_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("WIRECRAWL_RETRY_AFTER_MAX", 300.0)

    def backoff(self, retry_times: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2 ** max(0, retry_times - 1))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After")) if response.status in (429, 503) else None
        if asked is not None and asked > self.retry_after_max:
            request.meta[NOTE] = (
                f"Retry-After {asked:.0f} s is longer than the {self.retry_after_max:.0f} s this crawl waits"
            )
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        wait = asked if asked is not None else self.backoff(retry.meta["retry_times"])
        if wait > 0:
            await asyncio.sleep(wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if (request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry)
                or isinstance(exception, DNS_ERRORS)):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            wait = self.backoff(retry.meta["retry_times"])
            if wait > 0:
                await asyncio.sleep(wait)
        return retry

