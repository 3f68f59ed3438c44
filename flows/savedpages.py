"""Saved HTML pages for `wirecrawl ingest --html`: which files a set of paths
names, and the address each page gives itself.

A saved page is stored under the URL it was published at, so that it is the
same document as the page fetched from the web later (one URL identity, one
cluster decision). That URL is `--url` when given, else the page's own
`<link rel="canonical">`, else its `og:url`. A page that names neither is not
stored under a made-up `file://` key: such a key would never match the page
on the web, and could not be canonicalised or looked up like a URL. It is
recorded instead, as rejected with the reason `no_url`, under its `file://`
address in the fetch history, and the other pages go on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:
    from crawler.crawl.extract_limit import ExtractionProcess
    from crawler.ingest.ingest import IngestResult
    from storage.archive import Archive
    from storage.store import Store

SUFFIXES = (".html", ".htm", ".xhtml")
# Enough for any <head>: the canonical link and og:url are read from here.
HEAD_BYTES = 512 * 1024
_HEAD_TAG = re.compile(rb"<(?:link|meta)\b[^>]*>", re.IGNORECASE)


class SavedPagesError(ValueError):
    """A path that names no saved page: missing, or a folder without any."""


@dataclass(frozen=True)
class SavedPage:
    path: Path
    url: str | None  # where it was published: --url, its canonical link or og:url; None if unknown


def saved_page_files(paths: Iterable[Path]) -> list[Path]:
    """The files the paths name, in order: a file as itself, a folder as the
    .html/.htm/.xhtml files in it and its subfolders (sorted by path). Each
    file once. SavedPagesError for a path that does not exist or a folder
    holding no such file."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            # Whatever is not a folder: a broken link or a FIFO is listed, and
            # its ingest records why it cannot be read.
            pages = sorted(p for p in path.rglob("*") if not p.is_dir() and p.suffix.lower() in SUFFIXES)
            if not pages:
                raise SavedPagesError(f"no {', '.join(SUFFIXES)} files in the folder {path}")
            found.update(dict.fromkeys(pages))
        elif path.exists():  # a file, or something else that ingest records as unreadable
            found[path] = None
        else:
            raise SavedPagesError(f"no such file or folder: {path}")
    return list(found)


def declared_url(body: bytes) -> str | None:
    """The absolute http(s) URL a page names as its own: `<link
    rel="canonical">`, else `<meta property="og:url">`. None when it names
    none, names only a relative one, or does not parse as HTML."""
    import lxml.etree
    import lxml.html

    from crawler.ingest.urls import canonicalize

    # Only the <link> and <meta> tags are parsed, not the page: a page is
    # extracted right after this, and a second parse of all of it cost as much
    # as a tenth of the extraction.
    tags = b"".join(_HEAD_TAG.findall(body[:HEAD_BYTES]))
    if not tags:
        return None
    try:
        tree = lxml.html.fromstring(b"<head>" + tags + b"</head>")
    except (lxml.etree.LxmlError, ValueError):
        return None
    candidates = [el.get("href") for el in tree.iter("link")
                  if "canonical" in (el.get("rel") or "").lower().split()]
    candidates += [el.get("content") for el in tree.iter("meta") if el.get("property") == "og:url"]
    for candidate in candidates:
        try:
            canonicalize((candidate or "").strip())
        except ValueError:
            continue
        return candidate.strip()
    return None


def saved_pages(files: list[Path], url: str | None = None) -> Iterator[SavedPage]:
    """Each file with the URL it will be stored under (`url` for all, else
    its own). A file that cannot be read comes back with url None; ingesting
    it records the reason."""
    from crawler.crawl.adhoc import read_page_file

    for path in files:
        if url is not None:
            yield SavedPage(path, url)
            continue
        try:
            head = read_page_file(path, HEAD_BYTES)
        except OSError:
            yield SavedPage(path, None)
            continue
        yield SavedPage(path, declared_url(head))


def ingest_saved_page(page: SavedPage, store: "Store", *, archive: "Archive | None",
                      run_id: int | None, extraction: "ExtractionProcess | None" = None) -> "IngestResult":
    """Ingest one saved page through the one ingest path, as if fetched from
    its URL now, extracting in `extraction` when given (within its time
    limit). Never raises for a bad page: a page without a URL, an
    unreadable file, a page that is no article or one whose extraction ran
    over the limit comes back rejected with its reason, recorded in the
    fetch history."""
    from crawler.crawl.adhoc import ingest_html_file, read_page_file
    from crawler.ingest.ingest import record_failure
    from crawler.ingest.records import Rejected

    if page.url is None:
        address = page.path.resolve().as_uri()
        try:
            empty = not read_page_file(page.path, 1)
        except OSError as exc:
            reason = Rejected("unreadable_file", f"cannot read {page.path}: {exc.strerror or exc}")
        else:
            reason = Rejected("empty_body", "the file is empty") if empty else Rejected(
                "no_url", "the page names no absolute canonical URL (<link rel=\"canonical\"> or og:url); "
                          "give it with --url")
        return record_failure(store, address, reason, fetched_at=datetime.now(timezone.utc), run_id=run_id)
    return ingest_html_file(page.path, page.url, store, archive=archive, run_id=run_id, extraction=extraction)
