"""`wirecrawl crawl`: crawl the sources of a sources file now, all together
in one crawl, with a live table of counts per source (plain lines when the
output is not a terminal) and a summary at the end.

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

from flows.app import EXIT_CANNOT_WRITE, CommandError, app, settings

if TYPE_CHECKING:
    from crawler.crawl.stats import CrawlStats
    from crawler.crawl.sources import Source

console = Console(soft_wrap=True)  # lines whole at any width: greppable when piped
err = Console(stderr=True, soft_wrap=True)  # one line per message, also when piped

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
        if state == "crawling" and self.state.get(stats.source) == "stopping":
            state = "stopping"  # counts that arrive while it stops: it is not crawling again
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


def summary_lines(results: list["CrawlStats"], busy: dict[str, str] | None = None) -> list[str]:
    """The end-of-crawl summary as plain lines, which wrap at any width: no
    count or reason is ever cut. Per source: the counts (as in the live
    table), what `unchanged` is made of, what was not asked for (rejected
    within the recrawl interval, too old), links not followed for their
    page's max_links_per_page, rejections and failures by reason, and "unreachable: <reason>" for a source that got no response
    at all; then the sources another process was crawling (`busy`)."""
    lines = ["Summary"]
    for s in results:
        lines.append(f"{s.source} (run {s.run_id}): {_counts_line(s)}"
                     + (" (interrupted)" if s.status == "interrupted" else ""))
        if s.unreachable:
            lines.append(f"  unreachable: {s.unreachable}")
        lines.append(f"  unchanged: {s.unchanged} same text, {s.not_modified} not modified (304), "
                     f"{s.skipped_recent} not refetched (fetched recently)")
        if s.skipped_rejected or s.skipped_gone or s.skipped_old:
            lines.append(f"  not asked for: {s.skipped_rejected} rejected within the recrawl interval, "
                         f"{s.skipped_gone} gone (404, 410) within it, "
                         f"{s.skipped_old} listed as older than max_age_hours")
        if s.links_over_cap:
            lines.append(f"  links not followed: {s.links_over_cap} over max_links_per_page")
        if s.rejected:
            lines.append(f"  rejected: {_reasons(s.rejected)}")
        if s.failed:
            lines.append(f"  failed: {_reasons(s.failed)}")
    for name, holder in (busy or {}).items():
        lines.append(f"{name}: busy: {holder}; not crawled")
    return lines


def _choose(all_sources: dict[str, "Source"], names: list[str], path: Path) -> list["Source"]:
    unknown = [n for n in names if n not in all_sources]
    if unknown:
        raise CommandError(f"no source named {unknown[0]!r} in {path}; its sources are: {', '.join(all_sources)}")
    return [all_sources[n] for n in dict.fromkeys(names)] if names else list(all_sources.values())


# Exit codes of `wirecrawl crawl`, named once for the code and its help
# (EXIT_CANNOT_WRITE is every command's: flows.app).
EXIT_DIED, EXIT_UNREACHABLE, EXIT_BUSY, EXIT_INTERRUPTED = 1, 3, 4, 130


@app.command()
def crawl(
    ctx: typer.Context,
    sources: Path = typer.Option(..., "--sources", metavar="FILE", help="The sources file (TOML)."),
    source: Optional[List[str]] = typer.Option(None, "--source", metavar="NAME",
                                               help="Crawl only this source (repeatable)."),
) -> None:
    """Crawl the sources of a sources file now.

    Every source (or only --source NAME ones), all together in one crawl:
    politeness per host, every core busy. A live table of counts on a
    terminal (plain lines otherwise), a summary at the end. Ctrl-C stops
    cleanly: the pages in flight are finished, the summary printed, the
    runs marked interrupted (a second Ctrl-C stops at once); the next crawl
    resumes. Exit codes: 0 the crawl ran (pages that failed are counted, not
    fatal); 1 the crawl process died; 2 the configuration is wrong (one
    line); 3 a source got no response at all (unreachable, with the reason);
    4 a source is being crawled by another process into the same store
    (busy, left out); 5 the store or the archive cannot be written (a full
    disk: the crawl stopped at the first such write, its runs failed, one
    line says which and why; the next crawl resumes); 130 stopped by Ctrl-C."""
    from crawler.crawl.run import crawl_sources
    from crawler.crawl.sources import load_sources

    cfg = settings(ctx)
    chosen = _choose(load_sources(sources), list(source or []), sources)
    with cfg.open_store():
        pass  # a store that cannot be opened is named now, in one line, before any crawl starts

    board = Board([s.name for s in chosen])

    def done(stats: "CrawlStats") -> None:
        state = stats.status if stats.status != "finished" else "unreachable" if stats.unreachable else "done"
        board.update(stats, state)

    def stopping() -> None:
        for name, state in board.state.items():
            if state in ("starting", "crawling"):
                board.set_state(name, "stopping")

    with shown(board, console):
        for src in chosen:
            board.set_state(src.name, "starting")
        result = crawl_sources(chosen, database_url=cfg.database_url, data_dir=cfg.data_dir,
                               on_progress=board.update, on_done=done, on_stopping=stopping)
        for name in result.busy:
            board.set_state(name, "busy")
    console.print()
    for line in summary_lines(result.stats, result.busy):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"Stored in {cfg.describe()}; raw pages in {cfg.data_dir / 'archive'}; "
                  f"crawl logs in {cfg.data_dir / 'logs'}.", markup=False, highlight=False)
    if result.interrupted:
        console.print("Interrupted: what was fetched is stored; the next crawl of these sources resumes.",
                      markup=False, highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.cannot_write:
        err.print(f"wirecrawl crawl: {result.cannot_write}; the crawl stopped (the next crawl resumes once it "
                  "can write)", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CANNOT_WRITE)
    if result.failure:
        err.print(f"wirecrawl crawl: {result.failure}", markup=False, highlight=False)
        raise typer.Exit(EXIT_DIED)
    unreachable = [s for s in result.stats if s.unreachable]
    for s in unreachable:
        err.print(f"wirecrawl crawl: {s.source}: unreachable: {s.unreachable}", markup=False, highlight=False)
    if unreachable:
        raise typer.Exit(EXIT_UNREACHABLE)
    if result.busy:
        raise typer.Exit(EXIT_BUSY)
