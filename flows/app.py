"""The `wirecrawl` command-line application object and its global options.
Commands live in flows/commands/, one module per area."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from flows.settings import Settings

app = typer.Typer(
    name="wirecrawl",
    help="Crawl news sites, keep article text, cluster syndicated copies, publish snapshots.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", envvar="WIRECRAWL_DATA_DIR", help="Data directory (default ./data)."
    ),
    database_url: Optional[str] = typer.Option(
        None,
        "--database-url",
        envvar="WIRECRAWL_DATABASE_URL",
        help="SQLAlchemy URL of the store (default: SQLite file in the data directory).",
    ),
) -> None:
    ctx.obj = Settings.resolve(data_dir, database_url)


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings.resolve()
