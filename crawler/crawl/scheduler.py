"""The scheduler of a crawl of many sources: Scrapy's, counting what each source has queued."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from scrapy.core.scheduler import Scheduler

from crawler.crawl.meta import source_of

if TYPE_CHECKING:
    from scrapy import Request


class SourceScheduler(Scheduler):
    """Scrapy's scheduler (SCHEDULER), which also counts the requests each
    source has waiting, so a crawl can tell when one of its sources is done
    while the others go on (`sources_at_work`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queued: Counter[str] = Counter()

    def enqueue_request(self, request: Request) -> bool:
        if not super().enqueue_request(request):
            return False
        source = source_of(request)
        if source is not None:
            self.queued[source] += 1
        return True

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None:
            source = source_of(request)
            if source is not None:
                self.queued[source] -= 1
                if not self.queued[source]:
                    del self.queued[source]
        return request

    def sources_at_work(self) -> set[str] | None:
        """The sources with a request queued, being downloaded, or whose
        response (or failure) is still being processed (callbacks, item
        pipelines): whatever a source will still do comes from one of these.
        None when the engine does not say what it has in progress (then no
        source can be said done before the crawl ends)."""
        engine = self.crawler.engine if self.crawler is not None else None
        # Scrapy's engine keeps the requests it downloads and processes in
        # its slot's `inprogress` (each leaves it once its callback's output,
        # items included, went through). Not public: looked up with care.
        inprogress = getattr(getattr(engine, "_slot", None), "inprogress", None)
        if inprogress is None:
            return None
        busy = set(self.queued)
        busy.update(s for s in (source_of(r) for r in list(inprogress)) if s is not None)
        return busy
