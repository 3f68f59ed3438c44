"""`wirecrawl sources check`: is a sources file right, and what would its
sources give a crawl? Nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console

from flows.app import CommandError, WirecrawlGroup, app

if TYPE_CHECKING:
    from crawler.crawl.sources import Source
    from flows.sourceprobe import Found, Probe

console = Console(soft_wrap=True)  # lines whole at any width: greppable when piped

sources_app = typer.Typer(cls=WirecrawlGroup, rich_markup_mode=None, invoke_without_command=True,
                          help="Check a sources file, and what its sources list.")
app.add_typer(sources_app, name="sources")


@sources_app.callback()
def _sources(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:  # `wirecrawl sources` alone: its commands
        typer.echo(ctx.get_help())


@sources_app.command("check")
def check(
    path: Path = typer.Argument(..., metavar="FILE", help="The sources file (TOML)."),
    probe: bool = typer.Option(False, "--probe",
                               help="Also fetch each source's robots.txt, sitemaps, feeds and start pages "
                                    "once, and count the article URLs they list."),
    source: Optional[List[str]] = typer.Option(None, "--source", metavar="NAME",
                                               help="Probe only this source (repeatable)."),
) -> None:
    """Check a sources file; --probe also counts what its sources list.

    Every key, URL, pattern and schedule is read as a crawl would read it,
    then one line per source is printed. With --probe, fetch each
    source's lists once, politely (its User-Agent, robots.txt, delay), and
    print how many article URLs each gives and from where; nothing is
    stored. Exits 2 with one line for a wrong file, 1 when a probed source
    lists no article URL at all, 0 otherwise."""
    from crawler.crawl.sources import load_sources

    if source and not probe:
        raise CommandError("--source picks the sources to probe: give --probe with it")
    sources = load_sources(path)
    unknown = [n for n in source or [] if n not in sources]
    if unknown:
        raise CommandError(f"no source named {unknown[0]!r} in {path}; its sources are: {', '.join(sources)}")
    console.print(f"{path}: {len(sources)} source(s), no mistakes found.", markup=False, highlight=False,
                  soft_wrap=True)
    for src in sources.values():
        console.print(f"  {_summary(src)}", markup=False, highlight=False, soft_wrap=True)
    if not probe:
        return
    chosen = [sources[n] for n in dict.fromkeys(source)] if source else list(sources.values())
    from flows.sourceprobe import probe_source

    empty = []
    for src in chosen:
        result = probe_source(src)
        _print_probe(result)
        if not result.articles:
            empty.append(src.name)
    if empty:
        console.print(f"No article URL found for: {', '.join(empty)}.", markup=False, highlight=False,
                      soft_wrap=True)
        raise typer.Exit(1)


def _summary(src: "Source") -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    parts = [n(len(src.start_urls), "start URL"), n(len(src.feeds), "feed"), n(len(src.sitemaps), "sitemap")]
    found = [kind for kind, named in (("feeds", src.feeds), ("sitemaps", src.sitemaps)) if not named]
    if src.discover and found and src.start_urls:
        parts.append(f"{' and '.join(found)} found from the start pages")
    if src.max_age_hours is not None:
        parts.append(f"listed pages up to {src.max_age_hours:g} h old")
    parts.append(f"links followed{'' if src.max_depth is None else f' to depth {src.max_depth}'}"
                 if src.follow_links else "links not followed")
    parts.append(f"schedule {src.schedule!r}" if src.schedule else "no schedule (crawled when asked)")
    return f"{src.name}: {', '.join(parts)}; hosts {', '.join(src.allowed_domains)}"


def _print_probe(result: "Probe") -> None:
    console.print(f"\n{result.source}: {len(result.articles)} article URL(s) found", markup=False,
                  highlight=False, soft_wrap=True)
    for found in result.found:
        console.print(f"  {found.kind:<13} {found.url}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  {'':<13} {_found_text(found)}", markup=False, highlight=False, soft_wrap=True)


def _found_text(found: "Found") -> str:
    if found.kind == "robots.txt":
        if found.problem:
            return f"not read ({found.problem})"
        return f"names {found.sitemaps} sitemap(s)"
    if found.kind == "sitemap index":
        text = f"lists {found.sitemaps} sitemap(s)"
    elif found.problem and not found.articles:
        return f"nothing read ({found.problem})"
    elif found.kind == "start page":
        text = f"{found.articles} article URL(s) among its links"
    else:
        text = f"{found.articles} article URL(s)"
    if found.guessed:
        text += "; named nowhere, found at a usual path"
    return text + (f"; {found.problem}" if found.problem else "")
