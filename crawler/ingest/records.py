"""The records that travel between stages: Page (fetched), Article
(extracted), and why a URL made no document (Rejected, Skipped). Document,
the stored record, lives in storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from crawler.ingest.outcomes import outcome_of

if TYPE_CHECKING:
    from storage.records import FetchRecord


@dataclass
class Page:
    """A fetched HTTP response, before any parsing."""

    url: str  # the URL as requested (after canonicalisation)
    status: int
    headers: dict[str, str]  # response headers, names lower-cased
    body: bytes  # decompressed body
    fetched_at: datetime
    final_url: str | None = None  # after redirects
    source: str | None = None  # name of the sources.toml entry, None for ad-hoc
    # The crawl knew, from the store's whole fetch history, that this URL had
    # never been fetched: there is no earlier body to compare this one with.
    first_fetch: bool = False
    # The fetch whose validators (If-None-Match, If-Modified-Since) the
    # request sent, when the crawl knew it: a 304 answers that one, with no
    # lookup in the fetch history.
    validated: FetchRecord | None = None


@dataclass
class Article:
    """The main text of one page and its metadata."""

    url: str
    text: str
    final_url: str | None = None
    canonical_url: str | None = None  # rel=canonical / og:url, absolute
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601
    language: str | None = None
    sitename: str | None = None
    tags: list[str] = field(default_factory=list)
    # The line by which a republished copy names where it came from ("Via X",
    # "(AFP) —", "Read more at …"), removed from `text`; None for originals.
    attribution: str | None = None
    # The keys of the text's shorter lines before the site's known furniture
    # was taken out (crawler.ingest.sitelines): what the site's pages repeat.
    line_keys: tuple[int, ...] = ()


class Rejected(Exception):
    """A URL or a page that will not become a document. `reason` is a code of
    `crawler.ingest.outcomes` (counted per run; it says whether the URL was
    rejected or failed), `detail` a human sentence; both are recorded with
    the URL, as "reason: detail"."""

    def __init__(self, reason: str, detail: str = "", status: int | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.status = status  # the HTTP status, when one was received

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason

    def __reduce__(self):
        # Rebuilt from its fields when it crosses to another process.
        return type(self), (self.reason, self.detail, self.status)

    @property
    def outcome(self) -> str:
        """`rejected` or `failed`: the outcome of the reason code."""
        return outcome_of(self.reason)


@dataclass
class Skipped:
    """A URL a spider or middleware gave up on before it became a Page
    (malformed sitemap, trap, robots, timeout…): recorded with its reason,
    whose outcome (rejected or failed) is the code's."""

    url: str
    reason: str  # a code of crawler.ingest.outcomes, as in Rejected.reason
    detail: str = ""
    status: int | None = None
    source: str | None = None
