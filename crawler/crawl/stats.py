"""What one crawl did for each of its sources: the counts, read from Scrapy's stats.

One crawl fetches for many sources, so the crawl's components count every
page under `stat_key(source, outcome, reason)`, in the vocabulary of
`crawler.ingest.outcomes`; `CrawlStats.from_scrapy` reads one source's
counts back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from crawler.ingest.outcomes import COPY, FAILED, REJECTED, SKIPPED, STORED, UNCHANGED


def stat_key(source: str, outcome: str, reason: str | None = None) -> str:
    """The Scrapy stats key that counts an outcome of one source, and its
    reason code when it has one: "source/wire/stored",
    "source/wire/rejected/too_short"; also "source/wire/fetched" and the
    like for counts that are no outcome."""
    return f"source/{source}/{outcome}/{reason}" if reason else f"source/{source}/{outcome}"


def by_source(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Scrapy's stats split by source, in one pass: {source: {key without
    the "source/<name>/" prefix: value}}. A crawl of 500 sources reads its
    counts this way every half second."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if key.startswith("source/"):
            source, _, rest = key[7:].partition("/")
            out.setdefault(source, {})[rest] = value
    return out


# Counted per source besides the outcomes.
FETCHED, EXTRACTED, RESPONSES = "fetched", "extracted", "responses"
# Links of a page past its source's max_links_per_page (counted by the spider).
LINKS_OVER_CAP = "discovery/links_over_cap"
# The first write that could not succeed (a full disk), crawl-wide: the crawl
# stopped there. "cannot write to <the store or a file>: <why>".
CANNOT_WRITE = "wirecrawl/cannot_write"
# The first failure of a source that got no response at all, kept as its
# reason to be unreachable.
NO_RESPONSE = "no_response"
# The crawl process's CPU and that of its extraction processes, for the whole crawl.
CPU_CRAWL, CPU_EXTRACT = "wirecrawl/seconds/crawl_process_cpu", "wirecrawl/seconds/extract_processes_cpu"


@dataclass
class CrawlStats:
    """What one crawl did for one source. `fetched` counts article pages that
    came back (304s included); `stored` new documents or versions; `copies`
    documents stored as copies in an existing cluster; `unchanged` pages whose
    body or text matched what is stored; `not_modified` 304 answers (also
    unchanged, counted apart); `skipped_recent` pages not requested because
    they were confirmed within the recrawl interval; `skipped_rejected`
    pages not requested because their body was rejected within it;
    `skipped_gone` pages not requested because they answered 404 or 410
    within it;
    `skipped_old` listed pages not requested because their sitemap or feed
    date is older than `max_age_hours`; `rejected` and `failed` count reason
    codes; `extracted` pages that went through extraction; `links_over_cap`
    links not followed because their page held more than the source's
    `max_links_per_page`.

    `unreachable` is set when the source got no HTTP response at all (every
    request failed to connect): the first such failure, "dns_error: …".
    `status` is the run's: "finished", "interrupted" when the crawl was
    stopped (Ctrl-C) before the source was done, or "failed" when the crawl
    process died first, or the store or the archive could not be written
    (`cannot_write` says which, and why: the crawl stopped there). `cpu_crawl_s` and `cpu_extract_s` are
    the CPU seconds of the crawl process and of its extraction processes,
    for the whole crawl this source was part of; `log_file` is that crawl's
    Scrapy log, the same for every source crawled together."""

    source: str
    fetched: int = 0
    stored: int = 0
    copies: int = 0
    unchanged: int = 0
    not_modified: int = 0
    skipped_recent: int = 0
    skipped_rejected: int = 0
    skipped_gone: int = 0
    skipped_old: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    pages_per_s: float = 0.0
    run_id: int | None = None
    extracted: int = 0
    links_over_cap: int = 0
    unreachable: str | None = None
    cannot_write: str | None = None
    status: str = "finished"
    cpu_crawl_s: float = 0.0
    cpu_extract_s: float = 0.0
    log_file: str | None = None

    @classmethod
    def from_scrapy(cls, stats: dict[str, Any], *, source: str, run_id: int | None,
                    duration_s: float) -> "CrawlStats":
        """Read the counters of `source` from a Scrapy stats dict."""
        return cls.from_counts(by_source(stats).get(source, {}), stats, source=source, run_id=run_id,
                               duration_s=duration_s)

    @classmethod
    def from_counts(cls, counts: dict[str, Any], stats: dict[str, Any], *, source: str, run_id: int | None,
                    duration_s: float) -> "CrawlStats":
        """A source's CrawlStats from its counters (`by_source(stats)[source]`:
        keys without the "source/<name>/" prefix) and the crawl's `stats`
        (for the CPU of the whole crawl)."""
        def count(key: str) -> int:
            return int(counts.get(key, 0))

        def reasons(outcome: str) -> dict[str, int]:
            prefix = outcome + "/"
            return {k[len(prefix):]: v for k, v in sorted(counts.items()) if k.startswith(prefix)}

        unchanged = reasons(UNCHANGED)
        out = cls(source=source, run_id=run_id, rejected=reasons(REJECTED), failed=reasons(FAILED),
                  not_modified=unchanged.pop("not_modified", 0), unchanged=sum(unchanged.values()))
        out.stored, out.copies = count(STORED), count(COPY)
        out.skipped_recent = count(f"{SKIPPED}/recently_fetched")
        out.skipped_rejected = count(f"{SKIPPED}/recently_rejected")
        out.skipped_gone = count(f"{SKIPPED}/recently_gone")
        out.skipped_old = count(f"{SKIPPED}/too_old")
        out.fetched, out.extracted = count(FETCHED), count(EXTRACTED)
        out.links_over_cap = count(LINKS_OVER_CAP)
        if not count(RESPONSES):
            out.unreachable = counts.get(NO_RESPONSE)
        out.cannot_write = stats.get(CANNOT_WRITE)
        out.cpu_crawl_s = float(stats.get(CPU_CRAWL, 0.0))
        out.cpu_extract_s = float(stats.get(CPU_EXTRACT, 0.0))
        out.timed(duration_s)
        return out

    def counts(self) -> tuple:
        """What the counts are, without the time: equal while nothing new was counted."""
        return (self.fetched, self.stored, self.copies, self.unchanged, self.not_modified, self.skipped_recent,
                self.skipped_rejected, self.skipped_gone, self.skipped_old, tuple(self.rejected.items()),
                tuple(self.failed.items()), self.extracted, self.links_over_cap, self.unreachable, self.cannot_write)

    def timed(self, duration_s: float) -> "CrawlStats":
        self.duration_s = round(duration_s, 3)
        self.pages_per_s = round(self.fetched / duration_s, 2) if duration_s > 0 else 0.0
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
