"""`wirecrawl runs`: the run history of the store: what each crawl, ingest and
demo run did, newest first."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from flows.app import app, settings
from flows.jsonlines import print_line, timestamp

if TYPE_CHECKING:
    from storage.records import RunRecord

console = Console(soft_wrap=True)  # lines whole at any width: greppable when piped
err = Console(stderr=True, soft_wrap=True)  # one line per message, also when piped

# Counts worth a glance, in the order a reader wants them; the stats of a
# crawl (CrawlStats), an ingest (ingest_counts) and a demo use these names.
# "error" and "errors" are what runs recorded by earlier releases call "failed".
_COUNTS = ("urls", "fetched", "stored", "copies", "copy", "unchanged", "not_modified", "skipped_recent",
           "not asked for", "rejected", "failed", "error", "errors")
_LABELS = {"copy": "copies", "error": "failed", "errors": "failed", "not_modified": "not modified",
           "skipped_recent": "skipped (recent)"}


@app.command()
def runs(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", min=1, metavar="N", help="Show the newest N runs."),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines for scripts: one object per run."),
) -> None:
    """The last runs: what each crawl, ingest and demo did.

    Newest first: id, kind, source, start (UTC), duration, status and
    counts, as the runs recorded them. Status: running, finished, failed,
    interrupted (stopped by Ctrl-C; what it fetched is stored) or abandoned
    (its process is gone: runs of this host still `running` whose process
    ended are marked so first). Exits 2 with "no store at …" when the store
    does not exist (nothing is created)."""
    from storage.errors import cannot_write

    with settings(ctx).open_existing_store() as store:
        try:
            store.mark_abandoned_runs()
        except Exception as exc:
            why = cannot_write(exc)
            if why is None:
                raise
            # A read first of all: shown as recorded, and said why.
            err.print(f"wirecrawl runs: runs whose process is gone are not marked abandoned: cannot write to the "
                      f"store ({why})", markup=False, highlight=False)
        found = store.recent_runs(limit)
    if as_json:
        for run in found:
            print_line({"id": run.id, "kind": run.kind, "source": run.source,
                        "started_at": timestamp(run.started_at), "finished_at": timestamp(run.finished_at),
                        "duration_s": _duration(run), "status": run.status, "stats": run.stats})
        return
    if not found:
        console.print("No runs yet.")
        return
    # Two lines a run, not a table: the counts wrap whole at any width.
    width = max(40, console.width)
    for run in found:
        took = _duration(run)
        took_text = "no end" if took is None else f"took {took:.1f} s"
        console.print(f"run {run.id:<4} {run.kind:<6} {run.source or '-':<16} "
                      f"{run.started_at.strftime('%Y-%m-%d %H:%M')} UTC  {took_text}  {run.status}",
                      markup=False, highlight=False, soft_wrap=True)
        console.print(textwrap.fill(counts_text(run.stats), width=width, initial_indent="    ",
                                    subsequent_indent="    ", break_on_hyphens=False),
                      markup=False, highlight=False, soft_wrap=True)


def counts_text(stats: dict[str, Any]) -> str:
    """A run's counts in one phrase: "fetched 9, stored 7, copies 2, …,
    rejected 1 (no_article 1)". Counts by reason are summed with the reasons
    in brackets; a failed run's error is shown as recorded."""
    if "error" in stats and isinstance(stats["error"], str) and "fetched" not in stats:
        return f"error: {stats['error']}"
    merged = dict(stats)
    merged.update(stats.get("outcomes") or {})  # a demo's counts
    if "skipped_recent" in stats:  # a crawl's: `unchanged` as its live table and summary count it
        parts = {"same text": stats.get("unchanged", 0), "not modified (304)": stats.get("not_modified", 0),
                 "fetched recently": stats.get("skipped_recent", 0)}
        merged["unchanged"] = {k: v for k, v in parts.items() if isinstance(v, int)}
        merged.pop("not_modified", None)
        merged.pop("skipped_recent", None)
        skipped = {"rejected recently": stats.get("skipped_rejected"), "gone recently": stats.get("skipped_gone"),
                   "too old": stats.get("skipped_old")}
        if any(isinstance(v, int) and v for v in skipped.values()):
            merged["not asked for"] = {k: v for k, v in skipped.items() if isinstance(v, int)}
    for key in ("rejected", "failed", "error"):  # an ingest's counts by reason: "rejected: not_html"
        reasons = {k.split(": ", 1)[1]: v for k, v in stats.items() if k.startswith(f"{key}: ")}
        if reasons:
            merged[key] = reasons
    parts = []
    for key in _COUNTS:
        value = merged.get(key)
        if isinstance(value, dict):
            total = sum(v for v in value.values() if isinstance(v, int))
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(value.items(), key=lambda kv: -kv[1]) if v)
            parts.append(f"{_LABELS.get(key, key)} {total}" + (f" ({reasons})" if reasons else ""))
        elif isinstance(value, int) and not isinstance(value, bool):
            parts.append(f"{_LABELS.get(key, key)} {value}")
    text = ", ".join(parts) or "-"
    if isinstance(stats.get("unreachable"), str):
        text += f"; unreachable: {stats['unreachable']}"
    if isinstance(stats.get("error"), str) and "fetched" in stats:
        text += f"; error: {stats['error']}"
    return text


def _duration(run: "RunRecord") -> float | None:
    if run.finished_at is None:
        return None
    return round((run.finished_at - run.started_at).total_seconds(), 1)
