"""`wirecrawl ingest`, `clusters`, `show`, `reindex`: the store from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from crawler.ingest.outcomes import FAILED, REJECTED
from flows.app import app, settings

console = Console()


@app.command()
def ingest(
    ctx: typer.Context,
    urls: List[str] = typer.Argument(None, help="URLs to fetch and ingest."),
    html: Optional[Path] = typer.Option(None, "--html", exists=True, dir_okay=False,
                                        help="A saved HTML page to ingest instead of fetching."),
    url: Optional[str] = typer.Option(None, "--url", help="The URL the --html page was saved from."),
    allow_private: bool = typer.Option(False, "--allow-private",
                                       help="Allow loopback, private and link-local addresses."),
) -> None:
    """Ingest URLs (or one saved page) and print one line per URL:
    stored / stored as a copy / unchanged / rejected (reason).
    Exits 1 if any URL was rejected or failed."""
    cfg = settings(ctx)
    if html is not None:
        if not url:
            raise typer.BadParameter("--html needs --url (where the page came from)")
        from crawler.crawl.adhoc import ingest_html_file

        with cfg.open_store() as store:
            results = [ingest_html_file(html, url, store, archive=cfg.archive())]
    elif urls:
        from flows.runs import ingest_urls

        results = ingest_urls(list(urls), cfg, allow_private=allow_private)
    else:
        raise typer.BadParameter("give one or more URLs, or --html FILE --url URL")
    for result in results:
        console.print(result.line(), markup=False, highlight=False, soft_wrap=True)
    if any(r.outcome in (REJECTED, FAILED) for r in results):
        raise typer.Exit(1)


@app.command()
def clusters(
    ctx: typer.Context,
    limit: int = typer.Option(50, help="Show at most this many clusters."),
    members: bool = typer.Option(True, help="List the members of each cluster."),
) -> None:
    """Clusters with more than one member, biggest first."""
    with settings(ctx).open_store() as store:
        found = store.clusters(min_size=2, limit=limit)
        if not found:
            console.print("No cluster has more than one member yet.")
            return
        # Plain lines, not a table: URLs stay whole and greppable at any width.
        console.print(f"[bold]{len(found)} cluster(s) with copies[/bold], biggest first")
        for cid, size, canonical in found:
            console.print(f"\n[bold]cluster {cid}[/bold] · {size} members · {canonical.title or '(no title)'}",
                          soft_wrap=True)
            console.print(f"  canonical    {canonical.url}", markup=False, highlight=False, soft_wrap=True)
            if members:
                for d in store.members(cid):
                    if not d.is_canonical:
                        sim = f"{d.similarity:.2f}" if d.similarity is not None else "  - "
                        console.print(f"  copy  {sim}   {d.url}", markup=False, highlight=False,
                                      soft_wrap=True)


@app.command()
def show(ctx: typer.Context, url: str = typer.Argument(..., help="URL of a stored document.")) -> None:
    """One stored document: metadata, text, and its cluster."""
    with settings(ctx).open_store() as store:
        doc = store.find_document(url)
        if doc is None:
            console.print(f"No document stored for {url}")
            raise typer.Exit(1)
        meta = Table.grid(padding=(0, 2))
        for name in ("id", "url", "final_url", "canonical_url", "source", "title", "author", "published",
                     "language", "sitename", "tags", "attribution", "fetched_at", "version", "is_latest",
                     "cluster_id", "is_canonical", "duplicate_of", "similarity", "text_hash"):
            value = getattr(doc, name)
            meta.add_row(name, "" if value is None else str(value))
        console.print(meta)
        console.rule("text")
        console.print(doc.text, markup=False, highlight=False)
        console.rule(f"cluster {doc.cluster_id}")
        for member in store.members(doc.cluster_id):
            role = "canonical" if member.is_canonical else f"copy ({member.similarity or 0:.2f})"
            console.print(f"{role:>16}  {member.url}", markup=False, highlight=False)


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Recompute the near-duplicate index with the current dedup settings
    (needed after changing them; the store refuses to mix two settings)."""
    from crawler.ingest.config import dedup_config
    from crawler.ingest.reindex import reindex as run_reindex

    with settings(ctx).open_store() as store:
        n = run_reindex(store, dedup_config())
    console.print(f"Reindexed {n} documents.")
