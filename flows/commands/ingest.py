"""`wirecrawl ingest`, `clusters`, `show`, `reindex`: the store from the shell."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler.ingest.outcomes import FAILED, REJECTED
from flows.app import CommandError, app, settings
from flows.jsonlines import print_line

console = Console(soft_wrap=True)  # lines whole at any width: greppable when piped
err = Console(stderr=True, soft_wrap=True)  # one line per message, also when piped


@app.command()
def ingest(
    ctx: typer.Context,
    urls: List[str] = typer.Argument(None, metavar="[URL]...", help="URLs to fetch and ingest.", show_default=False),
    html: Optional[List[Path]] = typer.Option(
        None, "--html", metavar="PATH",
        help="A saved HTML page, or a folder of them (.html, .htm, .xhtml, subfolders too), to ingest "
             "instead of fetching; repeatable."),
    url: Optional[str] = typer.Option(
        None, "--url", metavar="URL",
        help="Where the one --html page was published (default: the page's own rel=canonical or og:url)."),
    allow_private: bool = typer.Option(False, "--allow-private",
                                       help="Allow loopback, private and link-local addresses."),
) -> None:
    """Fetch URLs, or read saved pages, into the store.

    One line per URL: stored / stored as a copy / unchanged / rejected (reason).

    A saved page (--html) is stored under --url, else under the URL it names
    itself (rel=canonical, og:url); a page naming none is recorded as
    rejected (no_url) and the others go on. Exits 1 if any URL or page was
    rejected or failed, 2 for arguments that name nothing to ingest."""
    cfg = settings(ctx)
    if html:
        if urls:
            raise CommandError("give URLs to fetch or --html pages, not both")
        with _stopped_by_ctrl_c():
            results = _ingest_saved(cfg, list(html), url)
    elif url:
        raise CommandError("--url names where an --html page was published; to fetch a URL, give it "
                           "without --url")
    elif urls:
        from flows.runs import ingest_urls

        with _stopped_by_ctrl_c():
            results = ingest_urls(list(urls), cfg, allow_private=allow_private,
                                  on_result=lambda result: console.print(result.line(), markup=False,
                                                                         highlight=False, soft_wrap=True))
        if any(r.reason_code == "private_address" for r in results):
            err.print("Ad-hoc URLs may not reach loopback, private or link-local addresses; --allow-private "
                      "allows them (sources in a sources file need no such flag).", markup=False, highlight=False)
    else:
        raise CommandError("nothing to ingest: give one or more URLs, or --html PATH")
    if any(r.outcome in (REJECTED, FAILED) for r in results):
        raise typer.Exit(1)


EXIT_INTERRUPTED = 130


@contextmanager
def _stopped_by_ctrl_c() -> Iterator[None]:
    """Ctrl-C ends the command with one line and exit code 130; the pages
    done before it are stored and were printed, and the run is recorded as
    interrupted."""
    try:
        yield
    except KeyboardInterrupt:
        err.print("Interrupted: each page printed above is stored; the run is recorded as interrupted.",
                  markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _ingest_saved(cfg, paths: list[Path], url: str | None) -> list:
    """Ingest saved pages as one run, a line for each as it is done; each
    page extracted within WIRECRAWL_EXTRACT_TIMEOUT in another process."""
    from crawler.crawl.extract_limit import ExtractionProcess, extract_timeout_setting
    from flows.work import ingest_counts
    from flows.savedpages import SavedPagesError, ingest_saved_page, saved_page_files, saved_pages

    try:
        files = saved_page_files(paths)
    except SavedPagesError as exc:
        raise CommandError(str(exc)) from exc
    if url is not None and len(files) > 1:
        raise CommandError(f"--url names the address of one saved page, and --html names {len(files)}; "
                           "leave --url out to use each page's own canonical URL")
    archive = cfg.archive()
    results = []
    with cfg.open_store() as store, ExtractionProcess(extract_timeout_setting()) as extraction:
        run_id = store.start_run("ingest")
        status = "failed"
        try:
            for page in saved_pages(files, url):
                result = ingest_saved_page(page, store, archive=archive, run_id=run_id, extraction=extraction)
                results.append(result)
                console.print(f"{page.path} -> {result.line()}", markup=False, highlight=False, soft_wrap=True)
            status = "finished"
        except KeyboardInterrupt:
            status = "interrupted"  # Ctrl-C: what was done is stored
            raise
        finally:
            store.finish_run(run_id, ingest_counts(results), status=status)
    return results


@app.command()
def clusters(
    ctx: typer.Context,
    limit: int = typer.Option(50, "--limit", min=1, metavar="N", help="Show at most N clusters."),
    members: bool = typer.Option(True, "--members/--no-members", help="List the members of each cluster."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines for scripts: one object per cluster."),
) -> None:
    """Clusters with more than one member, biggest first.

    Says how many there are and how many are shown. Exits 2 with "no store at …" when the store
    does not exist (nothing is created)."""
    with settings(ctx).open_existing_store() as store:
        total = store.count_clusters(min_size=2)
        found = store.clusters(min_size=2, limit=limit)
        if as_json:
            for cid, size, canonical in found:
                copies = [m for m in store.members(cid) if not m.is_canonical] if members else None
                print_line(_cluster_json(cid, size, canonical, copies))
            if len(found) < total:
                err.print(f"{len(found)} of {total} clusters with copies shown (--limit {limit})",
                          markup=False, highlight=False)
            return
        if not found:
            console.print("No cluster has more than one member yet.")
            return
        # Plain lines, not a table: URLs stay whole and greppable at any width.
        shown = f"all {total} shown" if len(found) == total else f"the biggest {len(found)} shown (--limit)"
        console.print(f"[bold]{total} cluster(s) with copies[/bold], {shown}", highlight=False)
        for cid, size, canonical in found:
            console.print(f"\n[bold]cluster {cid}[/bold] · {size} members · "
                          f"{escape(canonical.title or '(no title)')}", soft_wrap=True, highlight=False)
            console.print(f"  canonical    {canonical.url}", markup=False, highlight=False, soft_wrap=True)
            if members:
                for d in store.members(cid):
                    if not d.is_canonical:
                        sim = f"{d.similarity:.2f}" if d.similarity is not None else "  - "
                        console.print(f"  copy  {sim}   {d.url}", markup=False, highlight=False,
                                      soft_wrap=True)


def _cluster_json(cid: int, size: int, canonical, copies) -> dict:
    out = {"cluster_id": cid, "size": size,
           "canonical": {"id": canonical.id, "url": canonical.url, "title": canonical.title}}
    if copies is not None:
        out["copies"] = [{"id": d.id, "url": d.url, "similarity": d.similarity} for d in copies]
    return out


_SHOWN = ("id", "url", "final_url", "canonical_url", "source", "title", "author", "published", "language",
          "sitename", "tags", "attribution", "fetched_at", "version", "is_latest", "cluster_id", "is_canonical",
          "duplicate_of", "similarity", "text_hash")


@app.command()
def show(
    ctx: typer.Context,
    url: str = typer.Argument(..., metavar="URL", help="URL of a stored document, as given or as crawled."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object: the document, its text and its cluster."),
) -> None:
    """One stored document: metadata, text, and its cluster.

    The URL is looked up as given, then canonicalised as the crawler does
    (tracking parameters such as utm_*, the fragment and a default port
    dropped; a bare host gets its "/"). Exits 1 when no document is stored under it, 2 for a URL
    that is not http(s) or a store that does not exist."""
    from crawler.ingest.urls import canonicalize

    with settings(ctx).open_existing_store() as store:
        doc = store.find_document(url)
        if doc is None:
            try:
                doc = store.find_document(canonicalize(url))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if doc is None:
            raise CommandError(f"no document stored for {url}", code=1)
        members = store.members(doc.cluster_id)
    if as_json:
        print_line({**{name: getattr(doc, name) for name in _SHOWN}, "text": doc.text,
                    "cluster": [{"id": m.id, "url": m.url, "is_canonical": m.is_canonical,
                                 "similarity": m.similarity} for m in members]})
        return
    meta = Table.grid(padding=(0, 2))
    meta.add_column(no_wrap=True)
    meta.add_column(overflow="fold")
    for name in _SHOWN:
        value = getattr(doc, name)
        meta.add_row(name, "" if value is None else Text(str(value)))
    console.print(meta)
    console.rule("text")
    console.print(doc.text, markup=False, highlight=False)
    console.rule(f"cluster {doc.cluster_id}")
    for member in members:
        role = "canonical" if member.is_canonical else f"copy ({member.similarity or 0:.2f})"
        console.print(f"{role:>16}  {member.url}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Rebuild the near-duplicate index for the current dedup settings.

    Needed after changing them: the store refuses to mix two settings.
    Exits 2 with "no store at …" when the store does not exist."""
    from crawler.ingest.config import dedup_config
    from crawler.ingest.reindex import reindex as run_reindex

    with settings(ctx).open_existing_store() as store:
        n = run_reindex(store, dedup_config())
    console.print(f"Reindexed {n} documents.")
