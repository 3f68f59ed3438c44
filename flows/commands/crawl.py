"""`wirecrawl crawl`: crawl the sources of a sources file now, with a live
table of counts per source (plain lines when the output is not a terminal)
and a summary at the end.

Scrapy and the crawl machinery are imported inside the command, never at
start-up: every command module is loaded for every `wirecrawl` call."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional

import typer
from rich import box
from rich.console import Console
from rich.live import Live
from rich.table import Table

from flows.app import CommandError, app, settings

if TYPE_CHECKING:
    from crawler.crawl.stats import CrawlStats
    from crawler.crawl.sources import Source

console = Console()
err = Console(stderr=True)

_COLUMNS = ("fetched", "stored", "copies", "unchanged", "rejected", "failed", "pages/s")


class Board:
    """The state and counts of each source of a crawl, in the order they are
    crawled: drawn as a live table on a terminal, as lines elsewhere (see
    `shown`). Updated from crawl threads; each update is one assignment."""

    def __init__(self, names: list[str], title: str = "wirecrawl crawl"):
        self.title = title
        self.state = {name: "waiting" for name in names}
        self.stats: dict[str, CrawlStats] = {}
        self.on_state: Callable[[str], None] | None = None  # called with a source's name when its state changes

    def set_state(self, name: str, state: str) -> None:
        if self.state.get(name) != state:
            self.state[name] = state
            if self.on_state is not None:
                self.on_state(name)

    def update(self, stats: "CrawlStats", state: str = "crawling") -> None:
        self.stats[stats.source] = stats
        self.set_state(stats.source, state)

    def table(self) -> Table:
        """The live table. Headers are never cut: every count column is as
        wide as its header, and the source column folds long names, so the
        table fits 80 columns."""
        table = Table(title=self.title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0))
        table.add_column("source", overflow="fold", ratio=1, min_width=6)
        table.add_column("state", no_wrap=True)
        for name in _COLUMNS:
            table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
        for name, state in self.state.items():
            s = self.stats.get(name)
            if s is None:
                table.add_row(name, state, *[""] * len(_COLUMNS))
                continue
            table.add_row(name, state, str(s.fetched), str(s.stored), str(s.copies), str(unchanged_total(s)),
                          str(sum(s.rejected.values())), str(sum(s.failed.values())), f"{s.pages_per_s:.1f}")
        return table

    def line(self, name: str) -> str:
        """One source's state as a plain line, for output that is not a terminal."""
        state, s = self.state[name], self.stats.get(name)
        if state == "done" and s is not None:
            return f"{name}: done: {_counts_line(s)}"
        return f"{name}: {state}"


@contextmanager
def shown(board: Board, out: Console) -> Iterator[None]:
    """Show the board while the block runs: a live table redrawn in place on
    a terminal; otherwise (a pipe, a log file) one plain line each time a
    source changes state, so nothing is redrawn and nothing is lost."""
    if out.is_terminal:
        with Live(console=out, refresh_per_second=4, get_renderable=board.table):
            yield
        return
    board.on_state = lambda name: out.print(board.line(name), markup=False, highlight=False, soft_wrap=True)
    try:
        yield
    finally:
        board.on_state = None


def unchanged_total(s: "CrawlStats") -> int:
    """Pages that brought nothing new, however that was known: the same text,
    a 304, or not asked for because fetched within the recrawl interval. The
    live table and the summary both show this number."""
    return s.unchanged + s.not_modified + s.skipped_recent


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _counts_line(s: "CrawlStats") -> str:
    return (f"fetched {s.fetched}, stored {s.stored}, copies {s.copies}, unchanged {unchanged_total(s)}, "
            f"rejected {sum(s.rejected.values())}, failed {sum(s.failed.values())}, {s.duration_s:.1f} s")


def summary_lines(results: list["CrawlStats"]) -> list[str]:
    """The end-of-crawl summary as plain lines, which wrap at any width: no
    count or reason is ever cut. Per source: the counts (as in the live
    table), what `unchanged` is made of, and rejections and failures by reason."""
    lines = ["Summary"]
    for s in results:
        lines.append(f"{s.source} (run {s.run_id}): {_counts_line(s)}")
        lines.append(f"  unchanged: {s.unchanged} same text, {s.not_modified} not modified (304), "
                     f"{s.skipped_recent} not refetched (fetched recently)")
        if s.rejected:
            lines.append(f"  rejected: {_reasons(s.rejected)}")
        if s.failed:
            lines.append(f"  failed: {_reasons(s.failed)}")
    return lines


def _choose(all_sources: dict[str, "Source"], names: list[str], path: Path) -> list["Source"]:
    unknown = [n for n in names if n not in all_sources]
    if unknown:
        raise CommandError(f"no source named {unknown[0]!r} in {path}; its sources are: {', '.join(all_sources)}")
    return [all_sources[n] for n in dict.fromkeys(names)] if names else list(all_sources.values())


@app.command()
def crawl(
    ctx: typer.Context,
    sources: Path = typer.Option(..., "--sources", metavar="FILE", help="The sources file (TOML)."),
    source: Optional[List[str]] = typer.Option(None, "--source", metavar="NAME",
                                               help="Crawl only this source (repeatable)."),
) -> None:
    """Crawl the sources of a sources file now.

    Every source (or only --source NAME ones), one after the other, with a live table of counts on a terminal (plain
    lines otherwise) and a summary at the end. Exits 0 when the crawls ran
    (pages that failed are counted, not fatal), 2 with a one-line reason
    when the configuration is wrong, 1 when a crawl process died."""
    from crawler.crawl.run import CrawlFailed, crawl_source
    from crawler.crawl.sources import load_sources

    cfg = settings(ctx)
    chosen = _choose(load_sources(sources), list(source or []), sources)
    with cfg.open_store():
        pass  # a store that cannot be opened is named now, in one line, before any crawl starts

    board = Board([s.name for s in chosen])
    results, failures = [], []
    with shown(board, console):
        for src in chosen:
            board.set_state(src.name, "starting")
            try:
                stats = crawl_source(src, database_url=cfg.database_url, data_dir=cfg.data_dir,
                                     on_progress=board.update)
            except CrawlFailed as exc:
                failures.append(str(exc))
                board.set_state(src.name, "failed")
            else:
                results.append(stats)
                board.update(stats, "done")

    console.print()
    for line in summary_lines(results):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"Stored in {cfg.describe()}; raw pages in {cfg.data_dir / 'archive'}; "
                  f"crawl logs in {cfg.data_dir / 'logs'}.", markup=False, highlight=False)
    for failure in failures:
        err.print(f"wirecrawl crawl: {failure}", markup=False, highlight=False)
    if failures:
        raise typer.Exit(1)
