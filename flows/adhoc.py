"""Ad-hoc ingest from the command line, without paying for Prefect when no
Prefect server is configured (importing Prefect and starting its temporary
server costs seconds; a one-URL ingest should not)."""

from __future__ import annotations

from crawler.ingest import IngestResult
from flows.settings import Settings


def ingest_urls_direct(urls: list[str], settings: Settings, *, allow_private: bool = False) -> list[IngestResult]:
    """Fetch and ingest each URL in this process; one result per URL, in order."""
    from crawler.adhoc import ingest_url
    from crawler.fetch import FetchConfig

    fetch_config = FetchConfig(allow_private=allow_private)
    archive = settings.archive()
    with settings.open_store() as store:
        run_id = store.start_run("ingest")
        results = [ingest_url(u, store, archive=archive, fetch_config=fetch_config, run_id=run_id)
                   for u in urls]
        store.finish_run(run_id, {"urls": len(urls),
                                  "outcomes": {r.outcome: sum(x.outcome == r.outcome for x in results)
                                               for r in results}})
    return results


def ingest_urls(urls: list[str], settings: Settings, *, allow_private: bool = False) -> list[IngestResult]:
    """Ingest URLs; as a Prefect flow run when a Prefect API is configured (so
    the run shows in its UI), directly otherwise."""
    return ingest_urls_direct(urls, settings, allow_private=allow_private)
