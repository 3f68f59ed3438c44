"""`wirecrawl extract`: the extraction alone, as a dry run that stores nothing.

Like trafilatura's command line: give it saved pages or URLs, get one JSON
object per input on standard output (JSON Lines). With `--explain` each
object also says what the cleaning took out of trafilatura's text and by
which rule, so a user can see why a page lost text. Many inputs are
extracted in this one process, with no start-up per file."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from flows.app import CommandError, app
from flows.jsonlines import print_line

if TYPE_CHECKING:
    from crawler.crawl.extract_limit import ExtractionProcess
    from crawler.ingest.extract import ExtractConfig, Trace
    from crawler.ingest.records import Article, Page, Rejected

_FIELDS = ("title", "author", "published", "language", "sitename", "canonical_url", "attribution", "text")


@app.command()
def extract(
    inputs: List[str] = typer.Argument(..., metavar="PATH_OR_URL...",
                                       help="Saved pages (files, or folders of .html/.htm/.xhtml files) or "
                                            "http(s) URLs to fetch."),
    url: Optional[str] = typer.Option(None, "--url", metavar="URL",
                                      help="Where the one saved page was published (default: its own "
                                           "rel=canonical or og:url, else its file address)."),
    explain: bool = typer.Option(False, "--explain",
                                 help="Add what each cleaning step took out of trafilatura's text, and why."),
    allow_private: bool = typer.Option(False, "--allow-private",
                                       help="Allow URLs on loopback, private and link-local addresses."),
) -> None:
    """Extract articles without storing them: one JSON object per input.

    Each line holds `input`, `url`, `title`, `author`, `published`,
    `language`, `sitename`, `canonical_url`, `attribution` and `text`, or
    `rejected: {reason, detail}` for an input that gives no article (a file
    that cannot be read, a URL that cannot be fetched, a page that is no
    article, a page whose extraction ran over WIRECRAWL_EXTRACT_TIMEOUT
    seconds: extract_timeout). Exits 1 when any input was rejected, 2 for
    arguments that name nothing to extract."""
    from crawler.crawl.extract_limit import ExtractionProcess, extract_timeout_setting
    from crawler.ingest.extract import ExtractConfig

    # The extraction's own configuration, without the dedup's (numpy and
    # datasketch take a second to import, and nothing is fingerprinted here).
    config = ExtractConfig()
    items = _inputs(inputs, url)
    rejected = 0
    with ExtractionProcess(extract_timeout_setting()) as extraction:
        for name, get_page in items:
            out = _extracted(name, get_page, allow_private, config, explain, extraction)
            rejected += "rejected" in out
            print_line(out)
    if rejected:
        raise typer.Exit(1)


def _extracted(name: str, get_page, allow_private: bool, config: "ExtractConfig", explain: bool,
               extraction: "ExtractionProcess") -> dict[str, Any]:
    """The JSON object of one input: read or fetched here, extracted in
    `extraction` (within its time limit)."""
    from crawler.crawl.extract_limit import ExtractionProcessDied, ExtractionTimedOut
    from crawler.ingest.extract import Trace
    from crawler.ingest.records import Rejected

    out: dict[str, Any] = {"input": name}
    trace = Trace() if explain else None  # what an input that was not extracted explains: nothing
    try:
        page = get_page(allow_private)
        out["url"] = page.final_url or page.url
        article, trace = extraction.call(_extract_page, page, config, explain)
    except Rejected as exc:
        article = exc
    except ExtractionTimedOut as exc:
        article = Rejected("extract_timeout", str(exc))
    except ExtractionProcessDied as exc:
        article = Rejected("extract_crashed", str(exc))
    if isinstance(article, Rejected):
        out["rejected"] = {"reason": article.reason, "detail": article.detail}
    else:
        out.update({name: getattr(article, name) for name in _FIELDS})
    if trace is not None:
        out["explain"] = explanation(trace)
    return out


def _extract_page(page: "Page", config: "ExtractConfig", explain: bool) -> tuple["Article | Rejected", "Trace | None"]:
    """The article of a page, or why it has none, and with `explain` what
    the cleaning took out: in the extraction process, so returned, not raised."""
    from crawler.ingest.extract import Trace, extract as extract_page
    from crawler.ingest.records import Rejected

    trace = Trace() if explain else None
    try:
        return extract_page(page, config, trace), trace
    except Rejected as exc:
        return exc, trace


def explanation(trace: "Trace") -> dict[str, Any]:
    """What `--explain` adds: the length of trafilatura's own text, each rule
    that took lines out of it (characters, lines, and the lines
    themselves), the page steps the floor overruled because they would have
    taken most of the text, and what each page step removed from the whole
    page."""
    taken: dict[str, dict[str, Any]] = {}
    for rule, line in trace.removed:
        entry = taken.setdefault(rule, {"rule": rule, "characters": 0, "lines": []})
        entry["characters"] += len(line)
        entry["lines"].append(line)
    return {
        "trafilatura_characters": trace.trafilatura_chars,
        "removed": sorted(taken.values(), key=lambda e: -e["characters"]),
        "overruled": [{"rule": rule, "share_of_text": share} for rule, share in trace.overruled.items()],
        "page_steps": [{"rule": rule, "characters": chars} for rule, chars in trace.page_steps.items()],
    }


def _inputs(inputs: list[str], url: str | None) -> list[tuple[str, Any]]:
    """(name, a function returning the input's Page) for each input, in the
    order given, a folder's pages in path order. CommandError for a path
    that names no saved page, or a --url that is not for exactly one file."""
    from flows.savedpages import SavedPagesError, saved_page_files

    items: list[tuple[str, Any]] = []
    files = 0
    for given in inputs:
        if given.lower().startswith(("http://", "https://")):
            items.append((given, _fetched(given)))
            continue
        try:
            paths = saved_page_files([Path(given)])
        except SavedPagesError as exc:
            raise CommandError(str(exc)) from exc
        files += len(paths)
        items += [(str(path), _saved(path, url)) for path in paths]
    if url is not None and (files != 1 or len(items) != 1):
        raise CommandError("--url names where one saved page was published; give exactly one file with it")
    return items


def _fetched(address: str):
    def get(allow_private: bool) -> "Page":
        from crawler.crawl.fetch import FetchConfig, fetch
        from crawler.ingest.records import Rejected
        from crawler.ingest.urls import canonicalize

        try:
            key = canonicalize(address)
        except ValueError as exc:
            raise Rejected("bad_url", str(exc)) from exc
        return fetch(key, FetchConfig(allow_private=allow_private))
    return get


def _saved(path: Path, url: str | None):
    def get(allow_private: bool) -> "Page":
        from crawler.ingest.records import Page, Rejected
        from crawler.crawl.adhoc import read_page_file
        from flows.savedpages import declared_url

        try:
            body = read_page_file(path)
        except OSError as exc:
            raise Rejected("unreadable_file", f"cannot read {path}: {exc.strerror or exc}") from exc
        address = url or declared_url(body) or path.resolve().as_uri()
        return Page(url=address, status=200, headers={"content-type": "text/html"}, body=body,
                    fetched_at=datetime.now(timezone.utc), final_url=address)
    return get
