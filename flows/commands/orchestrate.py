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

from flows.app import app, settings
from flows.serve import DEFAULT_SNAPSHOT_CRON

console = Console()
err = Console(stderr=True)


@app.command()
def serve(
    ctx: typer.Context,
    sources: Path = typer.Option(..., "--sources", help="The sources file (TOML)."),
    snapshots: Path = typer.Option(Path("snapshots"), "--snapshots", help="Where the daily snapshot is written."),
    snapshot_cron: str = typer.Option(DEFAULT_SNAPSHOT_CRON, "--snapshot-cron",
                                      help="When the snapshot runs (cron, UTC)."),
) -> None:
    """Register one crawl-source deployment per source (on its cron schedule),
    ingest-url/adhoc and a daily snapshot with the Prefect server, and run
    them until interrupted. Needs a running Prefect server (PREFECT_API_URL)."""
    from crawler.crawl.sources import SourcesError
    from flows.serve import NoPrefectServer, ServePlan
    from flows.serve import serve as serve_deployments

    plan = ServePlan(sources_path=sources, snapshot_dir=snapshots, snapshot_cron=snapshot_cron)
    try:
        serve_deployments(plan, settings(ctx))
    except (NoPrefectServer, SourcesError) as exc:
        err.print(f"wirecrawl serve: {exc}", markup=False, highlight=False)
        raise typer.Exit(2)


@app.command()
def server(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(4200, help="Port of the API and the UI."),
) -> None:
    """Start a Prefect server (API, scheduler and UI) in the foreground:
    `prefect server start`. Its data lives in PREFECT_HOME (~/.prefect)."""
    prefect = Path(sys.executable).parent / "prefect"
    console.print(f"Prefect UI at http://{host}:{port} . In other shells, before `wirecrawl serve` or "
                  f"`wirecrawl ingest`:\n  export PREFECT_API_URL=http://{host}:{port}/api", highlight=False)
    sys.stdout.flush()
    # exec: the server gets this terminal and its Ctrl-C directly.
    os.execv(prefect, [str(prefect), "server", "start", "--host", host, "--port", str(port)])


@app.command()
def snapshot(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="Snapshot folder: versions are written inside it."),
    canonical_only: bool = typer.Option(False, "--canonical-only", help="One row per cluster: its canonical member."),
    since: Optional[str] = typer.Option(None, "--since", help="Only what changed since this version ('latest' for the newest)."),
) -> None:
    """Write a new versioned snapshot (Parquet + JSON lines + manifest) of the
    store under --out, and point --out/latest at it."""
    from flows.runs import take_snapshot
    from storage.snapshot import SnapshotError

    try:
        info = take_snapshot(settings(ctx), out, canonical_only=canonical_only, since=since)
    except SnapshotError as exc:
        err.print(f"wirecrawl snapshot: {exc}", markup=False, highlight=False)
        raise typer.Exit(2)
    rows = info.rows
    kind = f"incremental since {info.since}" if info.since else "full"
    console.print(f"snapshot {info.version} ({kind}{', canonical only' if info.canonical_only else ''}): "
                  f"{rows['all']} rows ({rows['canonical']} canonical, {rows['copies']} copies, "
                  f"{rows['superseded']} superseded versions) in {info.path}", markup=False, highlight=False)
