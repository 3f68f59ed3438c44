"""`wirecrawl serve`, `server`, `snapshot`: scheduled runs and datasets.

Prefect is imported inside the commands that need it, never at start-up: every
command module is loaded for every `wirecrawl` call."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from flows.app import EXIT_CANNOT_WRITE, CommandError, app, settings
from flows.serve import DEFAULT_SNAPSHOT_CRON
from flows.settings import DEFAULT_SNAPSHOT_DIR

console = Console(soft_wrap=True)  # lines whole at any width: greppable when piped
err = Console(stderr=True, soft_wrap=True)  # one line per message, also when piped


@app.command()
def serve(
    ctx: typer.Context,
    sources: Path = typer.Option(..., "--sources", metavar="FILE", help="The sources file (TOML)."),
    snapshots: Path = typer.Option(Path(DEFAULT_SNAPSHOT_DIR), "--snapshots", envvar="WIRECRAWL_SNAPSHOT_DIR",
                                   metavar="DIR", help="Where the daily snapshot is written."),
    snapshot_cron: str = typer.Option(DEFAULT_SNAPSHOT_CRON, "--snapshot-cron", metavar="CRON",
                                      help="When the snapshot runs (cron, UTC)."),
) -> None:
    """Run every source on its schedule, until interrupted (Prefect).

    Registers with the Prefect server (PREFECT_API_URL) crawl-sources/scheduled,
    whose runs crawl the sources that fall due together in one crawl, one
    crawl-source deployment per source (to crawl it by hand),
    ingest-url/adhoc and snapshot/daily, and runs their flow runs. The
    sources file, the cron expression, the snapshot folder and the data
    directory are checked first: a wrong one exits 2 with one line, before
    any Prefect server is asked."""
    from crawler.crawl.sources import load_sources
    from flows.serve import ServePlan
    from flows.serve import serve as serve_deployments

    problem = _cron_problem(snapshot_cron)
    if problem:
        raise CommandError(f"--snapshot-cron {snapshot_cron!r}: {problem}")
    if snapshots.exists() and not snapshots.is_dir():
        raise CommandError(f"--snapshots {snapshots} is a file, not a folder")
    nearest = next((p for p in snapshots.absolute().parents if p.exists()), None)
    if nearest is not None and not nearest.is_dir():
        raise CommandError(f"--snapshots {snapshots} cannot be made a folder: {nearest} is a file")
    load_sources(sources)  # a wrong file: SourcesError, one line
    worker = settings(ctx)
    worker.ensure_data_dir()  # a data directory that cannot be one: one line now, not a failed run each hour
    plan = ServePlan(sources_path=sources, snapshot_dir=snapshots, snapshot_cron=snapshot_cron)
    serve_deployments(plan, worker)


def _cron_problem(value: str) -> str | None:
    """None for a cron expression Prefect will run, else why not. Prefect
    runs the schedule, so its parser is the judge, as for a source's
    `schedule` in the sources file."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=value)
    except ValueError:
        return 'expected a cron expression of five fields like "0 3 * * *" (03:00 UTC daily)'
    return None


@app.command()
def server(
    host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS", help="Address to listen on."),
    port: int = typer.Option(4200, "--port", min=1, max=65535, metavar="PORT", help="Port of the API and the UI."),
) -> None:
    """Start a Prefect server (API, scheduler, UI) in the foreground.

    The same as `prefect server start`. Its data lives in PREFECT_HOME (~/.prefect)."""
    prefect = Path(sys.executable).parent / "prefect"
    if not prefect.is_file():
        raise CommandError(f"no `prefect` command beside this Python ({prefect}); install wirecrawl with pip")
    console.print(f"Prefect UI at http://{host}:{port} . In other shells, before `wirecrawl serve` or "
                  f"`wirecrawl ingest`:\n  export PREFECT_API_URL=http://{host}:{port}/api", highlight=False)
    sys.stdout.flush()
    # exec: the server gets this terminal and its Ctrl-C directly.
    os.execv(prefect, [str(prefect), "server", "start", "--host", host, "--port", str(port)])


@app.command()
def snapshot(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", metavar="DIR", help="Snapshot folder: versions are written inside it."),
    canonical_only: bool = typer.Option(False, "--canonical-only", help="One row per cluster: its canonical member."),
    since: Optional[str] = typer.Option(
        None, "--since", metavar="VERSION",
        help="Only what changed since this version, or since the one a pointer names: latest (the newest "
             "full snapshot), latest-incremental, latest-canonical, latest-canonical-incremental."),
) -> None:
    """Write a versioned snapshot of the store for downstream tools.

    Parquet, JSON lines and a manifest, in a new version folder under --out. `latest` names the newest full snapshot;
    incremental and canonical-only ones have their own pointers
    (latest-incremental, latest-canonical). Says so when the snapshot has no
    rows. Exits 2 with one line for a missing store, an unknown --since or an
    --out that cannot be a folder, 5 for a snapshot that cannot be written
    (a full disk)."""
    from flows.runs import take_snapshot
    from storage.errors import as_cannot_write

    cfg = settings(ctx)
    cfg.require_store()
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file, not a folder: give a folder to write versions into")
    try:
        info = take_snapshot(cfg, out, canonical_only=canonical_only, since=since)
    except Exception as exc:  # a full disk: name the snapshot's folder (Parquet's errors name no file)
        full = as_cannot_write(exc, cfg.store_name(), files=f"the snapshot folder {out.resolve()}")
        if full is None:
            raise
        raise CommandError(str(full), code=EXIT_CANNOT_WRITE) from exc
    rows = info.rows
    kind = f"incremental since {info.since}" if info.since else "full"
    what = f"{kind}{', canonical only' if info.canonical_only else ''}"
    if info.empty:
        why = f"nothing changed since {info.since}" if info.since else \
            f"the store ({cfg.store_name()}) holds no documents"
        console.print(f"snapshot {info.version} ({what}) is empty: {why}. {info.pointer} -> {info.version} "
                      f"in {info.path.parent}", markup=False, highlight=False, soft_wrap=True)
        return
    console.print(f"snapshot {info.version} ({what}): {rows['all']} rows ({rows['canonical']} canonical, "
                  f"{rows['copies']} copies, {rows['superseded']} superseded versions) in {info.path}; "
                  f"{info.pointer} -> {info.version}", markup=False, highlight=False, soft_wrap=True)
    unreadable = info.published.get("unreadable", 0)
    if unreadable:
        examples = ", ".join(repr(v) for v in info.published.get("unreadable_examples", [])[:3])
        console.print(f"{unreadable} publication date(s) are not ISO 8601 and were left null (e.g. {examples}); "
                      "the manifest counts them under `published`", markup=False, highlight=False, soft_wrap=True)
