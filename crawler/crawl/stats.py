"""What one crawl of one source did: its counts, read from Scrapy's stats.

The crawl's components count every page under `stat_key(outcome, reason)`,
in the vocabulary of `crawler.ingest.outcomes`; `CrawlStats` reads them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from crawler.ingest.outcomes import COPY, FAILED, REJECTED, SKIPPED, STORED, UNCHANGED


def stat_key(outcome: str, reason: str | None = None) -> str:
    """The Scrapy stats key that counts an outcome, and its reason code when
    it has one: "wirecrawl/stored", "wirecrawl/rejected/too_short"."""
    return f"wirecrawl/{outcome}/{reason}" if reason else f"wirecrawl/{outcome}"


@dataclass
class CrawlStats:
    """What one crawl of one source did. `fetched` counts article pages that
    came back (304s included); `stored` new documents or versions; `copies`
    documents stored as copies in an existing cluster; `unchanged` pages whose
    body or text matched what is stored; `not_modified` 304 answers (also
    unchanged, counted apart); `skipped_recent` pages not requested because
    they were confirmed within the recrawl interval; `rejected` and `failed`
    count reason codes;
    `extracted` pages that went through extraction; `cpu_crawl_s` and
    `cpu_extract_s` the CPU seconds of the crawl process and of its
    extraction processes (where the time of a crawl went)."""

    source: str
    fetched: int = 0
    stored: int = 0
    copies: int = 0
    unchanged: int = 0
    not_modified: int = 0
    skipped_recent: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    pages_per_s: float = 0.0
    run_id: int | None = None
    extracted: int = 0
    cpu_crawl_s: float = 0.0
    cpu_extract_s: float = 0.0

    @classmethod
    def from_scrapy(cls, stats: dict[str, Any], *, source: str, run_id: int | None,
                    duration_s: float) -> "CrawlStats":
        """Read the `wirecrawl/…` counters of a Scrapy stats dict."""
        def reasons(outcome: str) -> dict[str, int]:
            prefix = stat_key(outcome) + "/"
            return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}

        unchanged = reasons(UNCHANGED)
        out = cls(source=source, run_id=run_id, rejected=reasons(REJECTED), failed=reasons(FAILED),
                  not_modified=unchanged.pop("not_modified", 0), unchanged=sum(unchanged.values()))
        out.stored, out.copies = int(stats.get(stat_key(STORED), 0)), int(stats.get(stat_key(COPY), 0))
        out.skipped_recent = int(stats.get(stat_key(SKIPPED, "recently_fetched"), 0))
        out.fetched = int(stats.get("wirecrawl/fetched", 0))
        out.extracted = int(stats.get("wirecrawl/extracted", 0))
        out.cpu_crawl_s = float(stats.get("wirecrawl/seconds/crawl_process_cpu", 0.0))
        out.cpu_extract_s = float(stats.get("wirecrawl/seconds/extract_processes_cpu", 0.0))
        out.timed(duration_s)
        return out

    def timed(self, duration_s: float) -> "CrawlStats":
        self.duration_s = round(duration_s, 3)
        self.pages_per_s = round(self.fetched / duration_s, 2) if duration_s > 0 else 0.0
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

