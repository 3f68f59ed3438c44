"""How the command line runs the work: as a run of a Prefect flow when a
Prefect server is configured and answers (the run shows in its UI), directly
in this process otherwise.

Prefect is imported only when a flow is run: importing it costs about 2 s,
and `wirecrawl ingest URL` must stay fast when no Prefect server is
configured.
"""

from __future__ import annotations

import logging
import os
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from flows import work
from flows.settings import Settings
from storage.store import default_database_url

if TYPE_CHECKING:
    from crawler.ingest.ingest import IngestResult
    from storage.snapshot import SnapshotInfo

log = logging.getLogger(__name__)


def prefect_api_url() -> str | None:
    """The Prefect API this process would report to: PREFECT_API_URL from the
    environment, else from the active Prefect profile (`prefect config set
    PREFECT_API_URL=…`). None when neither names one: Prefect would then start
    a temporary server, which costs seconds and cannot run schedules. Read
    without importing Prefect; an unreadable profile file counts as none."""
    if "PREFECT_API_URL" in os.environ:
        return os.environ["PREFECT_API_URL"] or None
    home = Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("cannot read the Prefect profiles file %s (%s); assuming no Prefect server", path, exc)
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    return profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL") or None


def prefect_server_answers(api_url: str, timeout: float = 2.0) -> bool:
    """True if the Prefect API at `api_url` answers its health check."""
    import httpx

    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _report_to_prefect() -> bool:
    url = prefect_api_url()
    if url is None:
        return False
    if not prefect_server_answers(url):
        log.warning("the Prefect API at %s is not answering; running without it "
                    "(start it with `wirecrawl server` or `prefect server start`)", url)
        return False
    return True


# -- what the command line calls -------------------------------------------------

def ingest_urls(urls: list[str], settings: Settings, *, allow_private: bool = False) -> list[IngestResult]:
    """Fetch and ingest each URL; one IngestResult per URL, in order. A bad URL
    or page never raises: it comes back `rejected` or `error` with its reason.
    Ad-hoc URLs on private, loopback or link-local addresses are refused
    unless `allow_private`.

    As a run of the `ingest-url` flow when a Prefect API is configured and
    answering (the run shows in its UI, run in this process, which is its
    worker: `settings` and `allow_private` reach it through this process's
    environment for the while); directly in this process otherwise, without
    importing Prefect."""
    urls = list(urls)
    if _report_to_prefect():
        from flows.prefect_flows import ingest_url_flow

        # The flow takes its store and the private-address switch from the
        # environment of the process it runs in (never from its parameters):
        # here, this one.
        with _worker_environment(settings, allow_private):
            return ingest_url_flow(urls=urls)
    return work.ingest(urls, settings, allow_private)


@contextmanager
def _worker_environment(settings: Settings, allow_private: bool) -> Iterator[None]:
    wanted = {"WIRECRAWL_DATA_DIR": str(settings.data_dir), "WIRECRAWL_DATABASE_URL": settings.database_url,
              "WIRECRAWL_ALLOW_PRIVATE": "1" if allow_private else None}
    saved = {name: os.environ.get(name) for name in wanted}

    def put(values: dict[str, str | None]) -> None:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    put(wanted)
    try:
        yield
    finally:
        put(saved)


def take_snapshot(settings: Settings, out_dir: str | Path, *, canonical_only: bool = False,
                  since: str | None = None) -> SnapshotInfo:
    """Write a new snapshot version of the store under `out_dir` (see
    `storage.snapshot.write_snapshot`; SnapshotError for an unknown `since`).
    As a run of the `snapshot` flow when a Prefect API is configured and
    answering, directly otherwise."""
    if _report_to_prefect():
        from flows.prefect_flows import snapshot_flow

        return snapshot_flow(out_dir=str(Path(out_dir).resolve()), canonical_only=canonical_only, since=since,
                             **_store_parameters(settings))
    return work.snapshot(settings, str(out_dir), canonical_only, since)


def _store_parameters(settings: Settings) -> dict[str, str | None]:
    # Flow parameters are shown in the Prefect UI: name the database only when
    # it is not the default SQLite file of the data directory.
    url = settings.database_url
    return {"data_dir": str(settings.data_dir),
            "database_url": None if url == default_database_url(settings.data_dir) else url}
