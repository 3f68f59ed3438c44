"""How the command line runs the work, and what a configured Prefect server
sees of it.

- `ingest` always works in this process. When a Prefect server is configured
  and answers, the work is recorded there as a run of the `ingest-url` flow,
  through Prefect's REST API (`flows.prefect_report`): `wirecrawl ingest URL`
  must stay fast, and importing Prefect alone costs about 2 s.
- `snapshot` runs as a run of the `snapshot` flow when a Prefect server is
  configured and answers (the run shows in its UI), directly otherwise.

Prefect itself is imported only when a flow is run.
"""

from __future__ import annotations

import logging
import os
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from flows import work
from flows.settings import Settings

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
    return prefect_setting("PREFECT_API_URL")


def prefect_setting(name: str) -> str | None:
    """A Prefect setting as Prefect reads it: from the environment (where an
    empty value means unset), else from the active profile of the profiles
    file. None when neither sets it. Never imports Prefect; an unreadable
    profiles file counts as setting nothing (with a warning)."""
    if name in os.environ:
        return os.environ[name] or None
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
    value = profiles.get("profiles", {}).get(active, {}).get(name)
    return str(value) if value else None


def prefect_server_answers(api_url: str, timeout: float = 2.0) -> bool:
    """True if the Prefect API at `api_url` answers its health check."""
    import httpx

    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _report_to_prefect() -> str | None:
    """The configured Prefect API URL when its server answers, else None
    (with a warning when one is configured but silent)."""
    url = prefect_api_url()
    if url is None:
        return None
    if not prefect_server_answers(url):
        log.warning("the Prefect API at %s is not answering; running without it "
                    "(start it with `wirecrawl server` or `prefect server start`)", url)
        return None
    return url


# -- what the command line calls -------------------------------------------------

def ingest_urls(urls: list[str], settings: Settings, *, allow_private: bool = False,
                on_result: Callable[[IngestResult], None] | None = None) -> list[IngestResult]:
    """Fetch and ingest each URL; one IngestResult per URL, in order. A bad URL
    or page never raises: it comes back `rejected` or `failed` with its
    reason. Ad-hoc URLs on private, loopback or link-local addresses are
    refused unless `allow_private`. `on_result` hears of each URL as soon
    as it is done.

    Always in this process, without importing Prefect. When a Prefect API is
    configured and answering, the work is also recorded there as a run of
    the `ingest-url` flow (`flows.prefect_report`): Running while the URLs
    are fetched, then its log lines, its artifacts and its final state, as
    the flow's own runs leave them. A server that stops answering costs a
    warning, never the work."""
    urls = list(urls)
    api_url = _report_to_prefect()
    if api_url is None:
        return work.ingest(urls, settings, allow_private, on_result)
    from flows.prefect_report import ReportedRun, auth_headers

    parameters = {"urls": urls}
    headers = auth_headers(prefect_setting("PREFECT_API_KEY"), prefect_setting("PREFECT_API_AUTH_STRING"))
    with ReportedRun(api_url, "ingest-url", parameters, headers=headers) as run:
        results = work.ingest(urls, settings, allow_private, on_result)
        report = work.ingest_report(results)
        for line in report.log_lines:
            run.log(line)
        for key, (rows, description) in report.tables.items():
            run.table(key, rows, description)
        run.finish(report.failure, report.summary)
    return results


def take_snapshot(settings: Settings, out_dir: str | Path, *, canonical_only: bool = False,
                  since: str | None = None) -> SnapshotInfo:
    """Write a new snapshot version of the store under `out_dir` (see
    `storage.snapshot.write_snapshot`; SnapshotError for an unknown `since`).
    As a run of the `snapshot` flow when a Prefect API is configured and
    answering, directly otherwise."""
    if _report_to_prefect() is not None:
        from flows.prefect_flows import snapshot_flow

        with store_in_environment(settings, WIRECRAWL_SNAPSHOT_DIR=str(Path(out_dir).resolve())):
            return snapshot_flow(canonical_only=canonical_only, since=since)
    return work.snapshot(settings, str(out_dir), canonical_only, since)


@contextmanager
def store_in_environment(settings: Settings, **more: str) -> Iterator[None]:
    """While the block runs, this process's environment names the store of
    `settings` (WIRECRAWL_DATA_DIR, WIRECRAWL_DATABASE_URL), and the other
    variables of `more` (WIRECRAWL_SNAPSHOT_DIR), as a worker's does: flows
    take their store and where they write from there, never from a run's
    parameters. The environment is put back as it was afterwards."""
    values = {"WIRECRAWL_DATA_DIR": str(settings.data_dir), "WIRECRAWL_DATABASE_URL": settings.database_url, **more}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
