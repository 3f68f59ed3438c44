"""Furniture learned from a site's own pages: the lines its pages repeat.

Share lines, support pitches ("Liked it? Take a second to support … on
Patreon!"), author boxes and related-headline rails come back, word for
word, on page after page of one site, while an article's own sentences do
not. So every stored document leaves the keys of its shorter lines with the
store (`Store.learn_site_lines`, in the document's transaction), and a line
that documents of `clusters_needed` different clusters of the site have
shown is that site's furniture: it is taken out of the text of the site's
pages from then on.

Counting clusters, not documents, is what keeps a story syndicated onto one
site twice (or its AMP twin, or its second version) from being taken for
furniture: copies of one story share a cluster, so its lines count once.

The rule, measured with `bench/site_furniture.py`, and why:
- a line is a candidate when it is 15 to 250 characters long: pitches,
  bylines, share lines and headlines are, most article paragraphs are
  longer (and a candidate that is never furniture costs only a row);
- four distinct clusters make a line furniture. Different stories of one
  site do share sentences (the advice line of a run of weather warnings,
  an editor's correction note, a quote repeated in follow-ups), and on
  the held-out corpus (two unknown site lines on each of 645 pages, 12
  sites) two clusters took 74 such lines of articles' own text, three 32,
  four 8, five 4, while the share of documents still holding a site line
  went 5 %, 6 %, 7 %, 9 % (58 % without learning); four is where the
  lines taken stop falling fast, and a template's lines are on every page
  anyway;
- the site is the host, without "www.": a source may span hosts with
  different templates, and an ad-hoc page of a crawled site gets what the
  crawl learned;
- as the rest of the cleaning, learned furniture must prove itself: when
  it would take more than half of a page's text, the page keeps its text
  (a site that republishes the same long boilerplate on every page is not
  a site of one-line furniture).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.ingest.lines import normalize_line

if TYPE_CHECKING:
    from storage.store import Store

MIN_LINE = 15
MAX_LINE = 250
CLUSTERS_NEEDED = 4
# Learned furniture may take at most this share of a page's text.
MAX_SHARE = 0.5
# How long a process trusts what it read of a site's furniture before asking
# the store again (what this process learns itself it knows at once).
REFRESH_SECONDS = 30.0


def site_of(url: str) -> str:
    """The site a page belongs to: its host, lower-cased, without "www."."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def line_key(line: str) -> int:
    """A line's key: a signed 64-bit hash of its normalised text (case,
    quotes and spacing do not matter)."""
    digest = hashlib.blake2b(normalize_line(line).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def candidate_keys(lines: list[str]) -> tuple[int, ...]:
    """The keys of the lines that could be furniture, in text order."""
    return tuple(line_key(line) for line in lines if MIN_LINE <= len(line) <= MAX_LINE)


@dataclass
class Removed:
    """The lines kept, and those taken out as the site's furniture."""

    kept: list[str]
    dropped: list[str] = field(default_factory=list)


def drop_site_furniture(lines: list[str], furniture: frozenset[int] | set[int]) -> Removed:
    """Take the site's known furniture lines out of `lines`, unless they are
    most of the text (then nothing is taken). Never raises."""
    if not furniture:
        return Removed(list(lines))
    out = Removed([])
    for line in lines:
        if MIN_LINE <= len(line) <= MAX_LINE and line_key(line) in furniture:
            out.dropped.append(line)
        else:
            out.kept.append(line)
    total = sum(map(len, lines))
    if out.dropped and sum(map(len, out.dropped)) > MAX_SHARE * total:
        return Removed(list(lines))
    return out


class KnownFurniture:
    """What this process knows of each site's furniture: read from the store
    at most every REFRESH_SECONDS, and added to at once from this process's
    own commits. Thread-safe."""

    def __init__(self, refresh_seconds: float = REFRESH_SECONDS):
        self.refresh_seconds = refresh_seconds
        self._sites: dict[tuple[int, str], tuple[float, frozenset[int]]] = {}
        self._lock = threading.Lock()

    def of(self, store: "Store", site: str) -> frozenset[int]:
        key = (id(store), site)
        now = time.monotonic()
        with self._lock:
            cached = self._sites.get(key)
        if cached is not None and now - cached[0] < self.refresh_seconds:
            return cached[1]
        known = frozenset(store.site_furniture(site))
        with self._lock:
            self._sites[key] = (now, known)
        return known

    def learned(self, store: "Store", site: str, keys: set[int]) -> None:
        if not keys:
            return
        key = (id(store), site)
        with self._lock:
            loaded_at, known = self._sites.get(key, (time.monotonic(), frozenset()))
            self._sites[key] = (loaded_at, known | keys)


KNOWN = KnownFurniture()
