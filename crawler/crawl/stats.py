"""What one crawl of one source did: its counts, read from Scrapy's stats."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CrawlStats:
    """What one crawl of one source did. `fetched` counts article pages that
    came back (304s included); `stored` new documents or versions; `copies`
    documents stored as copies in an existing cluster; `unchanged` pages whose
    body or text matched what is stored; `not_modified` 304 answers;
    `skipped_recent` pages not requested because they were confirmed within
    the recrawl interval; `rejected` and `errors` count reasons;
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
    errors: dict[str, int] = field(default_factory=dict)
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
        def reasons(prefix: str) -> dict[str, int]:
            return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}

        out = cls(source=source, run_id=run_id, rejected=reasons("wirecrawl/rejected/"),
                  errors=reasons("wirecrawl/errors/"))
        for name in ("fetched", "stored", "copies", "unchanged", "not_modified", "skipped_recent", "extracted"):
            setattr(out, name, int(stats.get(f"wirecrawl/{name}", 0)))
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

