"""`wirecrawl crawl`: crawl the sources of a sources file now, with a live
table of counts per source and a summary at the end.

Scrapy and the crawl machinery are imported inside the command, never at
start-up: every command module is loaded for every `wirecrawl` call."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from flows.app import app, settings

if TYPE_CHECKING:
    from crawler.crawl.stats import CrawlStats
    from crawler.crawl.sources import Source

console = Console()
err = Console(stderr=True)

_COLUMNS = ("fetched", "stored", "copies", "unchanged", "rejected", "failed", "pages/s")


class Board:
    """The live table: one row per source, in the order they are crawled."""

    def __init__(self, names: list[str]):
        self.state = {name: "waiting" for name in names}
        self.stats: dict[str, CrawlStats] = {}

    def update(self, stats: "CrawlStats", state: str = "crawling") -> None:
        self.stats[stats.source] = stats
        self.state[stats.source] = state

    def table(self, title: str = "wirecrawl crawl") -> Table:
        table = Table(title=title)
        table.add_column("source")
        table.add_column("state")
        for name in _COLUMNS:
            table.add_column(name, justify="right")
        for name, state in self.state.items():
            s = self.stats.get(name)
            if s is None:
                table.add_row(name, state, *[""] * len(_COLUMNS))
                continue
            unchanged = s.unchanged + s.not_modified + s.skipped_recent
            table.add_row(name, state, str(s.fetched), str(s.stored), str(s.copies), str(unchanged),
                          str(sum(s.rejected.values())), str(sum(s.failed.values())), f"{s.pages_per_s:.1f}")
        return table


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "-"


def _summary(results: list["CrawlStats"]) -> Table:
    table = Table(title="Summary")
    for name in ("source", "run", "fetched", "stored", "copies", "unchanged", "not modified",
                 "skipped (recent)", "rejected (reason)", "failed (reason)", "seconds"):
        table.add_column(name, justify="left" if name in ("source", "rejected (reason)", "failed (reason)")
                         else "right")
    for s in results:
        table.add_row(s.source, str(s.run_id), str(s.fetched), str(s.stored), str(s.copies), str(s.unchanged),
                      str(s.not_modified), str(s.skipped_recent), _reasons(s.rejected), _reasons(s.failed),
                      f"{s.duration_s:.1f}")
    return table


def _choose(all_sources: dict[str, "Source"], names: list[str], path: Path) -> list["Source"]:
    unknown = [n for n in names if n not in all_sources]
    if unknown:
        raise _ConfigError(f"no source named {unknown[0]!r} in {path}; its sources are: "
                           f"{', '.join(all_sources)}")
    return [all_sources[n] for n in dict.fromkeys(names)] if names else list(all_sources.values())


class _ConfigError(Exception):
    pass


@app.command()
def crawl(
    ctx: typer.Context,
    sources: Path = typer.Option(..., "--sources", help="The sources file (TOML)."),
    source: Optional[List[str]] = typer.Option(None, "--source", help="Crawl only this source (repeatable)."),
) -> None:
    """Crawl every source of the sources file (or only --source NAME ones),
    one after the other. Exits 0 when the crawls ran (pages that failed are
    counted, not fatal), 2 with a one-line reason when the configuration is
    wrong, 1 when a crawl process died."""
    from crawler.crawl.run import CrawlFailed, crawl_source
    from crawler.crawl.sources import SourcesError, load_sources
    from storage.store import StoreConfigError

    cfg = settings(ctx)
    try:
        chosen = _choose(load_sources(sources), list(source or []), sources)
    except (SourcesError, _ConfigError) as exc:
        err.print(f"wirecrawl crawl: {exc}", markup=False, highlight=False)
        raise typer.Exit(2)

    board = Board([s.name for s in chosen])
    results, failures = [], []
    with Live(board.table(), console=console, refresh_per_second=4) as live:
        for src in chosen:
            def progress(stats: "CrawlStats") -> None:
                board.update(stats)
                live.update(board.table())

            board.state[src.name] = "starting"
            live.update(board.table())
            try:
                stats = crawl_source(src, database_url=cfg.database_url, data_dir=cfg.data_dir,
                                     on_progress=progress)
            except CrawlFailed as exc:
                failures.append(str(exc))
                board.state[src.name] = "failed"
            except StoreConfigError as exc:
                live.stop()
                err.print(f"wirecrawl crawl: {exc}", markup=False, highlight=False)
                raise typer.Exit(2)
            else:
                results.append(stats)
                board.update(stats, "done")
            live.update(board.table())

    console.print(_summary(results))
    console.print(f"Stored in {cfg.describe()}; raw pages in {cfg.data_dir / 'archive'}; "
                  f"crawl logs in {cfg.data_dir / 'logs'}.", markup=False, highlight=False)
    for failure in failures:
        err.print(f"wirecrawl crawl: {failure}", markup=False, highlight=False)
    if failures:
        raise typer.Exit(1)
