"""Dedup: exact and near-duplicate detection, and the cluster each stored
document joins.

Two halves, like ingest:

- `fingerprint(text, config)`: pure and picklable (runs in a worker process):
  the hash of the normalised text, and the LSH band keys of two MinHash
  signatures (whole text, and its lead).
- `store_document(conn, store, doc, fp, config)`: inside the store's write
  transaction: find candidates (same text hash, same canonical URL, shared
  LSH bands), verify each on the stored texts, join or merge clusters, insert
  the document and its bands, and name the cluster's canonical member.

An LSH hit is only ever a candidate: two documents are copies when their exact
shingle sets say so (`is_copy`), so the index may err on the side of recall.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np
from datasketch import MinHash

from crawler.ingest.canonical_links import NamedPage, deferring_members
from crawler.ingest.urls import canonicalize, document_key
from storage.records import Document
from storage.store import Store
from storage.utc import as_utc

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from crawler.ingest.records import Article


@dataclass(frozen=True)
class DedupConfig:
    """Every parameter of dedup, chosen on `bench/dedup_quality.py` (labelled
    copies of our sample articles and the seed pages). The store records
    `fingerprint_id()`: band keys made with other values cannot share its index.

    Shingles: `shingle_size` consecutive tokens of the normalised text. A token
    is a word, or, in scripts written without spaces (Chinese, Japanese, Thai,
    Lao, Khmer, Myanmar), an overlapping `char_gram`-character gram (a
    Chinese word is 1-2 characters, so a shingle spans two or three words, as
    in English). 3 words: 2 let unrelated texts share more, 4 and 5 lose
    copies with a few words changed (each changed word breaks k shingles).

    Candidates come from two MinHash signatures (datasketch, `scheme`), banded
    for LSH. A band of r rows collides when all r minima agree (probability
    J^r for Jaccard J), so

        P(candidate) = 1 - (1 - J^r)^b

    - whole text, 16 bands x 3 rows: J=0.7 -> 0.999, J=0.5 -> 0.88,
      J=0.4 -> 0.65, J=0.1 -> 0.016, J=0.01 -> 2e-5. Wire and trimmed
      copies measure J 0.45-0.95.
    - lead (the first `lead_shingles` shingles), 20 x 3: J=0.7 -> 0.9998,
      J=0.6 -> 0.99, J=0.5 -> 0.93. An excerpt's whole-text Jaccard is
      0.2-0.45, which no Jaccard threshold can take without taking unrelated
      texts too, but it keeps its original's start: lead Jaccard >= 0.65
      measured. Without the lead bands half the excerpts are missed. 60
      shingles: a longer lead is diluted by a one-paragraph excerpt of a
      short story, a shorter one by a share line leaked above the text.

    3 rows, not 2: a pair of unrelated texts sharing a few common trigrams
    (J ~ 0.01) becomes a candidate with probability ~4e-5 instead of ~4e-3,
    so chance candidates per lookup stay ~0 as the corpus grows.
    Index cost: `bands + lead_bands` + 3 (the opening keys, below) = 39 keys
    per document (`band_key_count`): 38 rows of `lsh_bands` in SQLite (one
    opening key is there twice; about 700 bytes), one `lsh_keys` row with a
    column a key and 39 B-tree entries in PostgreSQL (about 1.4 KB; see
    `storage.schema`).

    Verification (exact, on the stored texts), after leaving out each text's
    short lines that the other mostly lacks (page furniture that extraction
    let through: share lines, newsletter prompts, related headlines; see
    `furniture_tokens`). Two texts are copies when
    - their shingle Jaccard >= `jaccard_threshold`, or the shorter is
      contained in the longer (share of its shingles found there) >=
      `containment_threshold` AND its lead is found in the longer text's head
      (first two leads) >= `lead_threshold` AND it has at most
      `max_own_paragraphs` paragraphs that the longer mostly lacks: an
      excerpt starts where its original starts and adds no writing of its
      own, while a short article carrying the same statement as a longer one
      starts with its own words, and another outlet's story that opens with
      an agency's first paragraphs goes on with its own reporting;
    - and the numbers of two digits or more that the shorter text states (if
      it states `min_numbers`) are found in the longer >= `numbers_threshold`
      (with one or two numbers: all of them), or, when the longer is longer
      only by its furniture (a copy that dropped a paragraph and carries
      page furniture outgrew its original), its own numbers are found in
      the shorter or it states none: a copy repeats its original's
      facts, while briefs written from one template (markets, weather,
      results) share their wording and differ in their numbers. Single
      digits are left out: house styles spell them out ("five") and any two
      texts share some by chance.
    Measured (bench/dedup_quality.py, 1st percentile of copies, maximum of
    different articles): copies containment 0.77, lead 0.75, numbers 0.88;
    different articles on one event Jaccard 0.05, containment 0.11, lead
    0.15; briefs from one template Jaccard 0.57, containment 0.72 (numbers
    0.17 tell them apart); a story that opens with an agency's first two
    paragraphs and adds one of its own, containment 0.78, lead 1.0 (its own
    paragraph tells it apart).
    A text with fewer than `min_shingles` distinct shingles (a sentence or
    two: 20 shingles are about 22 words) is too short for the Jaccard and
    containment figures above to tell a copy from a shared phrase. It matches
    by exact hash, or, with at least `min_excerpt_shingles`, as an excerpt
    only: all of it (`excerpt_containment`) found in the other
    text, in the other's head, and the numbers rule above. Such a
    text is stored only when it names its source ("Continue reading at …":
    the extraction keeps attributed texts down to 80 characters), so it is a
    republished lede: a whole sentence found at the head of another story is
    that story's, while the sentence of a wire lede that two stories share
    joins one of them and merges none (`_clusters_to_join`, as for any
    excerpt). Measured on one-paragraph excerpts of real pages
    (`bench/realcopies.py`): a lede of 80-150 characters is 10-19 shingles.

    Opening key: one more bucket, the hash of the first `opening_shingles`
    shingles (about a dozen words). A one-paragraph excerpt of a short story
    keeps under half of the story's lead shingles (lead Jaccard ~0.4, caught
    by the lead bands only ~80 % of the time); it almost always keeps its
    opening words exactly, and so do wire copies whose first sentence was
    not edited. Stories that open with the same wire sentence share the key
    too: it makes a candidate, verification decides.
    """

    shingle_size: int = 3
    char_gram: int = 2
    bands: int = 16
    rows: int = 3
    lead_shingles: int = 60
    lead_bands: int = 20
    lead_rows: int = 3
    jaccard_threshold: float = 0.5
    containment_threshold: float = 0.7
    lead_threshold: float = 0.4
    max_own_paragraphs: int = 0
    numbers_threshold: float = 0.6
    min_numbers: int = 1
    # Lines shorter than this many tokens may be page furniture (a share line
    # is ~10 words, a related headline ~9); article paragraphs run longer.
    furniture_tokens: int = 25
    min_shingles: int = 20
    min_excerpt_shingles: int = 10
    # All of it: a sentence from a template ("Police are appealing for
    # witnesses after … in Bradford") differs from another town's in a word
    # or two, three shingles out of fifteen.
    excerpt_containment: float = 1.0
    opening_shingles: int = 10  # 0: no opening key
    # Two more keys: the opening of the text's first line after its start
    # that is long enough to have one (`_second_opening`), stored at one
    # position and looked up at the other, so that an excerpt of a story's
    # first body paragraph finds a story whose text opens with a standfirst
    # or a short line, whichever arrives first. See `Fingerprint`.
    line_openings: bool = True
    # A member is an excerpt when its text is at most this share of the
    # longest member's length and is contained in it (the canonical rule).
    # Excerpts keep 30-45 % of the paragraphs; a copy that adds a dateline, a
    # "Via" line and a sentence to a short story must not make the story
    # look like its excerpt.
    excerpt_ratio: float = 0.6
    # Jaccard at which a new text counts as the same text as the fullest
    # member of a cluster it matched: enough to say that two clusters it
    # matches are one story, and merge them (`_clusters_to_join`). A text
    # that is only a part of a story (an excerpt) merges none.
    merge_jaccard: float = 0.8
    seed: int = 1
    scheme: str = "affine32"  # datasketch MinHash permutation scheme
    # Retention window of the near-duplicate index, in days (None: off, the
    # index keeps every latest document). A document fetched more than this
    # many days before a new one is not compared with it through the index
    # (an exact copy, or a page naming it by URL, still finds it), and
    # `forget_expired` takes such documents out of the index so that it stops
    # growing with the store. They stay in the store, their clusters and the
    # snapshots. Syndicated copies appear within days of their original.
    index_retention_days: int | None = None

    @property
    def num_perm(self) -> int:
        """Permutations of the whole-text MinHash: one per band row."""
        return self.bands * self.rows

    @property
    def band_key_count(self) -> int:
        """Band keys of a text long enough to have them (`fingerprint`)."""
        openings = (3 if self.line_openings else 1) if self.opening_shingles else 0
        return self.bands + self.lead_bands + openings

    @property
    def lead_perm(self) -> int:
        """Permutations of the lead MinHash: one per band row."""
        return self.lead_bands * self.lead_rows

    def fingerprint_id(self) -> str:
        """A stable name of every parameter that shapes the band keys, incl.
        the hashing scheme: the store's `dedup_config`. The verification
        thresholds are left out on purpose: they are applied to stored texts
        at lookup time, so changing them needs no reindex. So is
        `min_excerpt_shingles`: it gives keys to texts that had none and
        changes no key of any other text, so an index built without it is
        still right for every text it holds (its short texts are found by
        their hash only, as they were). And so is `line_openings`: its
        two keys come after every key earlier releases made, which keep
        their values and places, so a document indexed without them is
        found as it was, only not by a line opening."""
        return (
            f"v1;shingle={self.shingle_size};chargram={self.char_gram};ids=crc32-mix64;"
            f"full={self.bands}x{self.rows};lead={self.lead_shingles}:{self.lead_bands}x{self.lead_rows};"
            f"min={self.min_shingles};seed={self.seed};minhash=datasketch-{self.scheme};bandkey=blake2b64"
            + (f";opening={self.opening_shingles}" if self.opening_shingles else "")
        )


@dataclass
class Fingerprint:
    """What dedup needs of a text before touching the store.

    `band_keys` are stored in band order; on PostgreSQL a stored key is found
    only by a lookup holding it at the same position. The last three are
    openings (with `DedupConfig.line_openings`): the text's first shingles
    (O1, tagged "O"), then its next line's (O2) tagged "P", then O1 tagged
    "Q". A lookup (`lookup_keys`) asks O1 as "O", O1 as "P" and O2 as "Q":
    it finds a text that opens as this one does, one whose next line opens
    as this text does (this is an excerpt of its first body paragraph), and
    one that opens as this text's next line does (it is an excerpt of this
    one's). The tags make these the only pairs on SQLite too, where keys
    have no position; two texts whose next lines open alike never meet."""

    text_hash: str  # sha256 of normalise(text)
    band_keys: list[int]  # signed 64-bit LSH bucket keys, whole text then lead
    lookup: list[int] | None = None  # the keys in lookup order, when it differs

    @property
    def lookup_keys(self) -> list[int]:
        return self.band_keys if self.lookup is None else self.lookup


@dataclass
class Decision:
    """Where a stored document went."""

    cluster_id: int
    # For a copy: the cluster's canonical member and the copy's similarity to
    # it (containment of the shorter text in the longer, 0..1). None when the
    # document is itself canonical, whether its cluster is new or it outranks
    # copies that arrived before it (`is_canonical` True in both cases).
    matched_id: int | None
    matched_url: str | None
    similarity: float | None
    is_canonical: bool
    size: int = 1  # latest members of the cluster, this document included


# -- normalisation and shingles ------------------------------------------------

_PUNCT = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u0060": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2039": "'", "\u203a": "'", "\u300c": '"', "\u300d": '"', "\u300e": '"', "\u300f": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
}
# A regex finds the rare quote and dash characters faster than str.translate
# walks every character.
_PUNCT_RE = re.compile("[" + "".join(_PUNCT) + "]")

# Scripts written without spaces between words.
_NOSPACE = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\U00020000-\U0002fa1f"
)
_TOKEN = re.compile(rf"[{_NOSPACE}]+|[^\W{_NOSPACE}]+")
_NOSPACE_RUN = re.compile(rf"[{_NOSPACE}]")
_WORD = re.compile(r"\w+")
# A number of two digits or more, wherever it stands in a word ("250",
# "250er", "brasil247"): single digits are spelled out by some house styles
# ("five") and recur in any two texts by chance. Digits alone, so that a
# copy that spells a name apart ("Radio 21") or fixes a letter in it still
# states the same numbers.
_FACT = re.compile(r"\d{2,}")
# "5,000" and "5000" are the same number; so are "3.5" and "3,5".
# (A digit captured, not looked behind for: the search can then skip to digits.)
_DIGIT_GROUP = re.compile(r"(\d)[,.'\u00a0\u202f](?=\d)")


def normalise(text: str) -> str:
    """The text as exact dedup compares it: Unicode NFKC, case-folded, one
    quote style and one dash, runs of whitespace collapsed to one space.
    Never raises for a str; '' for an empty text."""
    text = _PUNCT_RE.sub(lambda m: _PUNCT[m.group()], unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.split())  # the same whitespace as \s, a third of a regex's time


def text_hash(text: str) -> str:
    """sha256 (hex) of the normalised text: equal for exact duplicates."""
    return _sha256(normalise(text))


def _sha256(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def tokens(text: str, char_gram: int = 2) -> list[str]:
    """Words of the normalised text; runs of a script without spaces become
    overlapping `char_gram`-character grams (a run shorter than that is one
    token). Punctuation is dropped; digit grouping marks are ignored."""
    return _tokens(normalise(text), char_gram)


def _tokens(normalised: str, char_gram: int) -> list[str]:
    text = _DIGIT_GROUP.sub(r"\1", normalised)
    if text.isascii() or not _NOSPACE_RUN.search(text):
        return _WORD.findall(text)
    out: list[str] = []
    for run in _TOKEN.findall(text):
        if len(run) > char_gram and _NOSPACE_RUN.match(run):
            out.extend(run[i:i + char_gram] for i in range(len(run) - char_gram + 1))
        else:
            out.append(run)
    return out


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class _TokenHashes(dict):
    """crc32 of each token, remembered: a process fingerprints page after
    page in one language, whose words recur, and hashing a word costs more
    than looking it up. Forgets everything past `_MAX_TOKEN_HASHES` words."""

    def __missing__(self, token: str) -> int:
        if len(self) >= _MAX_TOKEN_HASHES:
            self.clear()
        value = self[token] = zlib.crc32(token.encode("utf-8"))
        return value


_MAX_TOKEN_HASHES = 200_000  # about 25 MB
_TOKEN_HASHES = _TokenHashes()


def _shingle_ids(toks: list[str], k: int) -> np.ndarray:
    # Hash each token once (crc32, in C), then mix k consecutive token hashes
    # into one 32-bit shingle id with numpy: a fraction of the cost of hashing
    # every shingle string, and order-sensitive ("a b c" != "c b a").
    if not toks:
        return np.zeros(0, dtype=np.uint32)
    t = np.fromiter(map(_TOKEN_HASHES.__getitem__, toks), dtype=np.uint64, count=len(toks))
    n = max(1, len(t) - k + 1)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(min(k, len(t))):
        h = (h ^ t[j:j + n]) * _GOLDEN
        h ^= h >> np.uint64(29)
    return (h >> np.uint64(32)).astype(np.uint32)


# -- fingerprint -----------------------------------------------------------------

@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int, scheme: str):
    return MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations


def _identity(value: int) -> int:
    return value


# The MurmurHash3 32-bit finalizer, as datasketch's "affine32" scheme mixes
# each input hash before its permutations.
_FMIX32 = tuple(np.uint32(c) for c in (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16))


def _minhash_values(distinct: np.ndarray, num_perm: int, seed: int, scheme: str) -> np.ndarray:
    """The hash values datasketch's `MinHash(num_perm, seed, scheme)` holds
    after `update_batch` of the shingle ids `distinct` (uint32, at least
    one). For "affine32", computed here in one pass of numpy over the ids
    with datasketch's own permutations: the MinHash object calls a hash
    function on each id in Python, which cost as much as the rest of the
    fingerprint. Other schemes go through datasketch."""
    if scheme != "affine32":
        m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=_identity,
                    permutations=_permutations(num_perm, seed, scheme))
        m.update_batch(distinct.tolist())  # ints: cheaper to hand it than numpy scalars
        return m.hashvalues
    s1, m1, s2, m2, s3 = _FMIX32
    hv = distinct.astype(np.uint32)
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    hv = hv ^ (hv >> s3)
    a, b = _permutations(num_perm, seed, scheme)  # uint32: the products wrap modulo 2^32, as datasketch's do
    return (hv[:, np.newaxis] * a + b).min(axis=0)


def _band_keys(tag: bytes, hashvalues: np.ndarray, bands: int, rows: int) -> list[int]:
    keys = []
    for i in range(bands):
        band = hashvalues[i * rows:(i + 1) * rows].astype("<u8").tobytes()
        digest = hashlib.blake2b(tag + bytes([i]) + band, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def fingerprint(text: str, config: DedupConfig = DedupConfig()) -> Fingerprint:
    """Text hash and LSH band keys of `text`. Pure; never raises for a str.
    A text with fewer than `config.min_excerpt_shingles` distinct shingles
    gets no band keys (it can only match exactly)."""
    normalised = normalise(text)
    ids = _shingle_ids(_tokens(normalised, config.char_gram), config.shingle_size)
    keys: list[int] = []
    distinct = np.unique(ids)
    if len(distinct) >= min(config.min_shingles, config.min_excerpt_shingles or config.min_shingles):
        full = _minhash_values(distinct, config.num_perm, config.seed, config.scheme)
        keys = _band_keys(b"F", full, config.bands, config.rows)
        if config.lead_bands:
            lead = _minhash_values(np.unique(ids[:config.lead_shingles]), config.lead_perm, config.seed + 1,
                                   config.scheme)
            keys += _band_keys(b"L", lead, config.lead_bands, config.lead_rows)
        if config.opening_shingles and len(ids) >= config.opening_shingles:
            opening = ids[:config.opening_shingles]
            keys.append(_opening_key(b"O", opening))
            if config.line_openings:
                start = _second_opening(text, config)
                following = ids[start:start + config.opening_shingles] if start is not None else ids[:0]
                # A text without such a line: bytes no other text's opening has (its own hash).
                if len(following) < config.opening_shingles:
                    following = np.frombuffer(hashlib.blake2b(normalised.encode("utf-8")).digest(), dtype="<u4")
                # Each crosswise relation under a tag of its own: "P" pairs a stored next line
                # with a looked-up opening, "Q" a stored opening with a looked-up next line, and
                # never two next lines (a site's recurring second line would pair all its pages).
                lookup = keys + [_opening_key(b"P", opening), _opening_key(b"Q", following)]
                keys = keys + [_opening_key(b"P", following), _opening_key(b"Q", opening)]
                return Fingerprint(text_hash=_sha256(normalised), band_keys=keys, lookup=lookup)
    return Fingerprint(text_hash=_sha256(normalised), band_keys=keys)


def _opening_key(tag: bytes, ids: np.ndarray) -> int:
    digest = hashlib.blake2b(tag + ids.astype("<u4").tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _second_opening(text: str, config: DedupConfig) -> int | None:
    """Where (in shingles) the text's first line after its start that is
    long enough for an opening starts; None without one. Lines are
    tokenised as the whole text is (whitespace, a line break included, ends
    a token), so the offsets are the whole text's."""
    offset = 0
    need = config.opening_shingles + config.shingle_size - 1
    for line in text.splitlines():
        count = len(tokens(line, config.char_gram))
        if offset and count >= need:
            return offset
        offset += count
    return None


# -- verification ------------------------------------------------------------------

@dataclass(frozen=True)
class Shingled:
    """A text's distinct shingles, its lead (the first `lead_shingles`), its
    head (the first two leads' worth: room for a dropped paragraph), its
    numbers of two digits or more (the facts a copy repeats) and its short lines
    (fewer than `furniture_tokens` tokens: where page furniture that
    extraction let through sits). Numbers and short lines carry their line
    number."""

    all: frozenset[int]
    lead: frozenset[int]
    head: frozenset[int]
    numbers: tuple[tuple[str, int], ...] = ()
    short_lines: tuple[tuple[int, frozenset[int]], ...] = ()
    paragraphs: tuple[frozenset[int], ...] = ()  # shingles of each longer line

    @classmethod
    def of(cls, text: str, config: DedupConfig) -> "Shingled":
        lines = [tokens(line, config.char_gram) for line in text.splitlines()]
        toks = [t for line in lines for t in line]
        ids = _shingle_ids(toks, config.shingle_size).tolist()
        numbers, short, paragraphs, start = [], [], [], 0
        for i, line in enumerate(lines):
            numbers += [(n, i) for t in line for n in _FACT.findall(t)]
            own = ids[start:start + len(line)]  # the shingles starting in the line
            if not own and line:  # a last line shorter than a shingle: the shingles ending in it
                own = ids[max(0, start - config.shingle_size + 1):start + len(line)]
            line_ids = frozenset(own)
            if 0 < len(line) < config.furniture_tokens:
                short.append((i, line_ids))
            elif line:
                paragraphs.append(line_ids)
            start += len(line)
        n = config.lead_shingles
        return cls(frozenset(ids), frozenset(ids[:n]), frozenset(ids[:2 * n]), tuple(numbers), tuple(short),
                   tuple(paragraphs))

    def own_paragraphs(self, other: "Shingled") -> int:
        """How many of this text's paragraphs (lines of `furniture_tokens` or
        more) `other` mostly lacks: writing of its own, not furniture."""
        return sum(1 for p in self.paragraphs if 2 * len(p & other.all) < len(p))

    def furniture(self, other: "Shingled") -> tuple[frozenset[int], frozenset[int]]:
        """Shingles and line numbers of this text's short lines that `other`
        mostly lacks (under half their shingles): a share line, a newsletter
        prompt, related headlines. They count neither for nor against a copy:
        the few shingles of such a line that `other` holds stay counted (the
        same words in a paragraph of this text, or a phrase the two share,
        are found in `other` whatever line they are in)."""
        ids: set[int] = set()
        lines: set[int] = set()
        for line, line_ids in self.short_lines:
            if line_ids and 2 * len(line_ids & other.all) < len(line_ids):
                ids |= line_ids - other.all
                lines.add(line)
        return frozenset(ids), frozenset(lines)

    def facts(self, skip_lines: frozenset[int]) -> frozenset[str]:
        """The numbers the text states outside `skip_lines`."""
        return frozenset(n for n, line in self.numbers if line not in skip_lines)


@dataclass(frozen=True)
class Similarity:
    """Exact similarities of two shingled texts, page furniture left out."""

    jaccard: float
    containment: float  # share of the smaller set found in the larger
    lead: float  # share of the smaller text's lead found in the larger text's head
    # Share of the smaller text's numbers found in the larger (or, for a larger text that is larger
    # only by its furniture, the better of the two ways round); None: too few to compare.
    numbers: float | None
    own_paragraphs: int = 0  # paragraphs of the smaller text that the larger mostly lacks


def compare(a: Shingled, b: Shingled, min_numbers: int = 1) -> Similarity:
    """Exact Jaccard, containment, lead agreement and number agreement of two
    shingled texts, leaving out each text's unmatched short lines (0.0 when
    either text is empty). Numbers (of two digits or more) are compared when
    the smaller text states at least `min_numbers` distinct ones."""
    small, large = (a, b) if len(a.all) <= len(b.all) else (b, a)
    junk_small, junk_lines_small = _minority(small, small.furniture(large))
    junk_large, junk_lines_large = _minority(large, large.furniture(small))
    small_all, large_all = small.all - junk_small, large.all - junk_large
    small_lead = small.lead - junk_small
    if not small_all or not large_all or not small_lead:
        return Similarity(0.0, 0.0, 0.0, None)
    common = len(small_all & large_all)
    union = len(small_all) + len(large_all) - common
    lead = len(small_lead & large.head) / len(small_lead)
    numbers = None
    # The smaller text's facts outside its own furniture, looked for in all
    # the larger states: a number the larger holds in a line the smaller's
    # editor changed (a dateline, a caption) is still the larger's fact.
    facts_small = small.facts(junk_lines_small)
    if len(facts_small) >= min_numbers:
        numbers = len(facts_small & large.facts(frozenset())) / len(facts_small)
        if numbers < 1.0 and len(large_all) < len(small_all):
            # The larger only by its furniture: a copy that dropped a paragraph (and the facts in
            # it) and carries page furniture outgrew its original. Its own facts, looked for the
            # other way round; a copy that states none has none that could differ.
            facts_large = large.facts(junk_lines_large)
            numbers = (max(numbers, len(facts_large & small.facts(frozenset())) / len(facts_large))
                       if facts_large else None)
    return Similarity(common / union, common / len(small_all), lead, numbers, small.own_paragraphs(large))


# What must be left of a text made only of short lines once its furniture is
# left out: as many shingles as any text needs to match by similarity
# (`DedupConfig.min_shingles`); the note or dateline two such texts share
# holds fewer.
_MIN_LEFT = 20


def _minority(text: Shingled, junk: tuple[frozenset[int], frozenset[int]]) -> tuple[frozenset[int], frozenset[int]]:
    """`junk` (a text's furniture: its shingles, its lines) when the text
    has a paragraph, the furniture is at most half of it, or `_MIN_LEFT`
    shingles are left without it; else nothing. Furniture is what a page
    adds around its article: a text made only of short lines (a notice, a
    list of dates) is its short lines, not furniture around the one line it
    shares with another text (an editor's note, a dateline). Judged on the
    whole of those lines, the words they share with the other text included:
    two stories written in short lines that open with one lede and share
    stock phrases are their lines, not the lede and the phrases."""
    lines = junk[1]
    whole = frozenset().union(*(ids for line, ids in text.short_lines if line in lines)) if lines else frozenset()
    if text.paragraphs or 2 * len(whole) <= len(text.all) or len(text.all) - len(whole) >= _MIN_LEFT:
        return junk
    return frozenset(), frozenset()


def is_copy(a: Shingled, b: Shingled, config: DedupConfig) -> Similarity | None:
    """The similarity of `a` and `b` if they are copies of one article (see
    DedupConfig for the rule), else None."""
    smallest = min(len(a.all), len(b.all))
    if smallest < config.min_shingles:
        if not config.min_excerpt_shingles or smallest < config.min_excerpt_shingles:
            return None
        # A sentence or two: an excerpt of the other text, or nothing. Found in all the other
        # text states, its furniture too: a shingle the other repeats in a line this one lacks
        # (a list's item, a heading) is still found.
        sim = compare(a, b, config.min_numbers)
        if sim.numbers is not None and sim.numbers < config.numbers_threshold:
            return None
        small, large = (a, b) if len(a.all) <= len(b.all) else (b, a)
        junk, junk_lines = _minority(small, small.furniture(large))
        own = small.all - junk
        lead = small.lead & own
        # The shingles that run from a line into the furniture line after it are in no story.
        spill = (config.shingle_size - 1) * len(junk_lines)
        if own and lead and len(own - large.all) <= spill + (1 - config.excerpt_containment) * len(own) \
                and len(lead - large.head) <= spill + (1 - config.excerpt_containment) * len(lead):
            return sim
        return None
    sim = compare(a, b, config.min_numbers)
    if sim.numbers is not None and sim.numbers < config.numbers_threshold:
        return None  # same wording, other facts: articles made from one template
    if sim.jaccard >= config.jaccard_threshold:
        return sim
    if (sim.containment >= config.containment_threshold and sim.lead >= config.lead_threshold
            and sim.own_paragraphs <= config.max_own_paragraphs):
        return sim
    return None


# -- the cluster decision, inside the store's write transaction -------------------

def ensure_compatible(store: Store, config: DedupConfig) -> None:
    """Record the dedup settings with the store, or raise StoreConfigError if
    its index was built with other settings (band keys cannot be mixed) or
    cannot hold as many keys a document as they make."""
    store.check_band_keys(config.band_key_count)
    store.ensure_meta("dedup_config", config.fingerprint_id())


def _published(doc: Document) -> datetime | None:
    """`published` as a UTC datetime; None when missing or unreadable (then
    the fetch time decides)."""
    if not doc.published:
        return None
    try:
        return as_utc(datetime.fromisoformat(doc.published.strip()))
    except ValueError:
        return None


class _Texts:
    """Shingled texts of the stored documents looked at in one decision, each
    computed once (by document id)."""

    def __init__(self, config: DedupConfig):
        self.config = config
        self.known: dict[int, Shingled] = {}

    def __call__(self, doc: Document) -> Shingled:
        if doc.id not in self.known:
            self.known[doc.id] = shingled(doc.text, self.config)
        return self.known[doc.id]


@lru_cache(maxsize=4096)
def shingled(text: str, config: DedupConfig) -> Shingled:
    """`Shingled.of`, remembered for the texts seen lately in this process:
    each insert re-reads its candidates and its cluster's members, and the
    same stored texts come back insert after insert (measured: shingling was
    the largest part of the store step)."""
    return Shingled.of(text, config)


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def choose_canonical(members: list[Document], texts: _Texts, config: DedupConfig) -> Document:
    """The member that stands for the cluster, by these rules in order:

    0. never a member that names another member as the page it stands in
       for: by its rel=canonical / og:url (`canonical_url`), or because its
       URL is an AMP form of the other's URL (`/amp/…`, `?amp=1`, `amp.`
       host…; see `crawler.ingest.canonical_links`). The page named wins
       whatever the rules below say of the two, since the publisher said
       which is the real one. (Members that name each other contradict
       each other: neither is ruled out on that account.)
    1. an original over a copy that names a source (`attribution` set);
    2. a full text over an excerpt (a text at most `excerpt_ratio` as long
       as the longest member, and contained in it);
    3. the page of a site the copies name as their source ("Via Harbour
       Post", "first published at harbourpost.example": `_Credits`) over
       one of a site none of them names: a copy that says nothing of where
       it comes from may have been fetched, and dated, before its source;
    4. the earliest `published`, then the earliest `fetched_at`, then the
       lowest id.

    The same members give the same canonical whatever order they arrived in."""
    longest = max(members, key=lambda m: (len(m.text), -m.id))
    credited = _Credits.of(m.attribution for m in members if m.attribution)
    deferring = deferring_members(NamedPage.of(m.id, m.url, m.final_url, m.canonical_url) for m in members)
    eligible = [m for m in members if m.id not in deferring] or members

    def is_excerpt(m: Document) -> bool:
        # Length first: most members are not clearly shorter, and need no shingles.
        if m.id == longest.id or len(m.text) > config.excerpt_ratio * len(longest.text):
            return False
        return compare(texts(m), texts(longest)).containment >= config.containment_threshold

    keys = {m.id: (m.attribution is not None, not credited.name(m), _published(m) or _NEVER,
                   as_utc(m.fetched_at), m.id) for m in eligible}
    ranked = sorted(eligible, key=lambda m: keys[m.id])
    # Among the members of the first rule's group, the first that is not an excerpt: a teaser of the
    # credited site does not stand for the story over a full text.
    first_group = [m for m in ranked if keys[m.id][0] == keys[ranked[0].id][0]]
    return next((m for m in first_group if not is_excerpt(m)), first_group[0])


@dataclass(frozen=True)
class _Credits:
    """The sources the members' attribution lines name: the hosts they
    write ("first published at harbourpost.example") and the names they
    give ("Via Harbour Post": a run of capitalised words, less the words
    that introduce a credit), each squeezed to its letters and digits."""

    hosts: frozenset[str]
    names: frozenset[str]

    @classmethod
    def of(cls, lines) -> "_Credits":
        hosts, names = set(), set()
        for line in set(lines):
            hosts.update(h.casefold().removeprefix("www.") for h in _CREDITED_HOST.findall(line))
            for run in _CAPITALISED_RUN.findall(_HAT_TIP.sub(" ", _CREDITED_HOST.sub(" ", line))):
                words = run.split()
                while words and words[0].casefold() in _CREDIT_WORDS:
                    words.pop(0)
                # "The Valley Times" is also "Valley Times" to a site that calls itself so.
                for given in (words, words[1:] if words and words[0].casefold() == "the" else []):
                    if len(name := _squeeze(" ".join(given))) >= _MIN_SITE_NAME:
                        names.add(name)
        return cls(frozenset(hosts), frozenset(names))

    def name(self, m: Document) -> bool:
        """Whether a credit names the site of `m`: its host (without
        "www."), or its whole site name or the first label of its host
        ("harbourpost" of harbourpost.example) as the whole name given."""
        if not (self.hosts or self.names):
            return False
        host = (urlsplit(m.final_url or m.url).hostname or "").casefold().removeprefix("www.")
        if host in self.hosts:
            return True
        return bool({_squeeze(m.sitename or ""), _squeeze(host.split(".")[0])} & self.names)


def _squeeze(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


# A host as a credit writes it (a bare name or in a URL): two labels or more.
_CREDITED_HOST = re.compile(r"(?<![\w.@-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?![\w-]|\.\w)",
                            re.IGNORECASE)
_HAT_TIP = re.compile(r"\bH/T\b", re.IGNORECASE)
# A run of capitalised words (and the small words inside a name: "Gazette of the Valley").
_CAPITALISED_RUN = re.compile(r"(?:[A-Z0-9][\w'&-]*)(?:\s+(?:(?:of|the|and|de|du|la|le|der|die|das)\s+)*"
                              r"[A-Z0-9][\w'&-]*)*")
# Words that introduce a credit, left off the front of a name.
_CREDIT_WORDS = frozenset({"via", "from", "by", "source", "sources", "courtesy", "credit", "credits",
                           "originally", "first", "published", "republished", "reprinted", "read", "more", "continue",
                           "reading", "at", "on", "in", "this", "article", "story", "post", "appeared", "editor's",
                           "note", "syndicated", "reproduced", "with", "permission", "copyright", "©"})
# A site name shorter than this is not looked for in the copies' credits.
_MIN_SITE_NAME = 4


def _previous_version(conn: Connection, store: Store, doc: Document) -> Document | None:
    # The version this document supersedes (ingest marks it not-latest first).
    if doc.version <= 1:
        return None
    return store.previous_version(conn, doc.url_key)


def names_of(url: str, url_key: str, final_url: str | None, canonical_url: str | None) -> set[str]:
    """The URLs a page is known by: a stored document whose canonical URL or
    URL identity is one of them is a candidate copy (the page it names as
    canonical, or an AMP page stored before its regular page)."""
    names: set[str] = {u for u in (url, url_key, final_url) if u}
    if canonical_url:
        names.add(canonical_url)
        try:
            names.add(canonicalize(canonical_url))
        except ValueError:
            pass  # a non-http canonical link: only the literal value can match
    return names


def _lock_key(kind: str, value: str) -> int:
    digest = hashlib.blake2b(f"{kind}\0{value}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def lock_keys(url: str, final_url: str | None, article: Article, fp: Fingerprint, site: str) -> list[int]:
    """The keys a commit of this page locks (`Store.write(keys=...)`), each a
    signed 64-bit int: its LSH band keys, its text hash, its URL names, and
    the (site, line) pairs whose counts it updates. Any stored document the
    page can be compared with shares one of them with it (a candidate is
    found through one of these, and a document always holds its own), so
    two copies committed at the same instant wait for each other, the
    second then sees the first, and they end in one cluster; unrelated
    pages share none and do not wait. Another version of the same URL
    shares its URL identity."""
    keys = set(fp.band_keys) | set(fp.lookup_keys)  # what it is found by, and what it finds
    keys.add(_lock_key("text", fp.text_hash))
    keys.update(_lock_key("name", n)
                for n in names_of(url, document_key(url, final_url), final_url, article.canonical_url)
                | {canonicalize(url)})
    keys.update(_lock_key("line", f"{site} {k}") for k in article.line_keys)
    return sorted(keys)


def _candidates(conn: Connection, store: Store, doc: Document, fp: Fingerprint,
                config: DedupConfig) -> list[Document]:
    names = names_of(doc.url, doc.url_key, doc.final_url, doc.canonical_url)
    ids = store.candidate_ids(conn, fp.text_hash, names, fp.lookup_keys)
    # Same URL identity means an older version of this very page, not a copy.
    found = [d for d in store.get_documents(ids, conn) if d.url_key != doc.url_key]
    if config.index_retention_days is None:
        return found
    # Past the retention window a document is found by its text hash or its
    # URLs only, whether or not `forget_expired` has taken it out of the index yet.
    horizon = as_utc(doc.fetched_at) - timedelta(days=config.index_retention_days)
    return [d for d in found if as_utc(d.fetched_at) >= horizon or d.text_hash == fp.text_hash
            or d.canonical_url in names or d.url_key in names]


def forget_expired(store: Store, config: DedupConfig, now: datetime | None = None) -> int:
    """With a retention window (`config.index_retention_days`), take the
    documents fetched more than that many days before `now` (default: now)
    out of the near-duplicate index; they stay in the store, their clusters
    and snapshots. Returns how many left it; 0, touching nothing, without a
    window."""
    if config.index_retention_days is None:
        return 0
    now = as_utc(now) if now is not None else datetime.now(timezone.utc)
    return store.lsh_forget_before(now - timedelta(days=config.index_retention_days))


def _with_clusters_locked(conn: Connection, store: Store, doc: Document, fp: Fingerprint, config: DedupConfig,
                          candidates: list[Document], previous: Document | None
                          ) -> tuple[list[Document], Document | None]:
    """Lock the clusters the candidates (and the previous version) sit in,
    then read them again: a commit holding none of this page's keys may have
    merged one of those clusters into another meanwhile. Repeated until every
    cluster read is held. Returns the candidates and previous version as
    read under the locks. On SQLite the transaction holds the whole store
    already: nothing to do."""
    if store.is_sqlite:
        return candidates, previous
    held: set[int] = set()
    while True:
        wanted = {c.cluster_id for c in candidates} | ({previous.cluster_id} if previous is not None else set())
        if held and wanted <= held:
            return candidates, previous
        store.lock_clusters(conn, wanted - held)
        held |= wanted
        candidates, previous = _candidates(conn, store, doc, fp, config), _previous_version(conn, store, doc)


def _verified(new: Shingled, fp: Fingerprint, candidates: list[Document], texts: _Texts,
              config: DedupConfig) -> list[tuple[Document, Similarity | None]]:
    """The first verified match in each candidate cluster, with its similarity
    (None for an exact duplicate). One match is enough to join a cluster, so
    once a member verifies its cluster mates are not compared (a wire story
    on a hundred sites costs one comparison, not a hundred). Exact duplicates
    and canonical members are tried first."""
    by_cluster: dict[int, list[Document]] = defaultdict(list)
    for cand in candidates:
        by_cluster[cand.cluster_id].append(cand)
    matches = []
    for members in by_cluster.values():
        members.sort(key=lambda d: (d.text_hash != fp.text_hash, not d.is_canonical, d.id))
        for cand in members:
            if cand.text_hash == fp.text_hash:
                matches.append((cand, None))
                break
            sim = is_copy(new, texts(cand), config)
            if sim is not None:
                matches.append((cand, sim))
                break
    return matches


def _headline_overlap(a: str | None, b: str | None) -> tuple[float, float]:
    """How much two headlines share, to compare with other pairs: the
    Jaccard of their longer words (four letters or more, and any word of a
    script without spaces), then, on a tie, of all their words (0.0 where
    either has none). Short words ("so", "far", "we", "in", "2") are most
    of what a desk's headline formulas add ("…: what we know so far",
    "UPDATE 2-…"), which copies of two different stories may share; a
    headline of short words only ("Oil up 9% in May") is still compared
    on them."""
    return _jaccard(_headline_words(a, long_only=True), _headline_words(b, long_only=True)), \
        _jaccard(_headline_words(a), _headline_words(b))


def _headline_words(title: str | None, long_only: bool = False) -> set[str]:
    return {t for t in tokens(title or "") if not long_only or len(t) >= 4 or not t.isascii()}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _clusters_to_join(conn: Connection, store: Store, new: Shingled, title: str | None,
                      matches: list[tuple[Document, Similarity | None]], texts: _Texts,
                      config: DedupConfig, elsewhere: dict[int, Document] | None = None) -> set[int]:
    """Which clusters a new document joins, judged against each matched
    cluster's fullest member, not only the member it matched:

    - A cluster whose fullest member the new text mostly differs from (the
      smaller of the two has under `containment_threshold` of its shingles
      in the other) is not joined, even though a shorter member matched: that
      member is a part (a one-paragraph excerpt of a wire lead) that this
      text shares with a different story. Two stories that open with the
      same agency paragraphs stay apart whichever of them, or of the
      excerpts, arrives first.
    - Of the others, every cluster whose fullest member the new text covers
      (it is as long or longer, or the same text) is joined: the whole story
      arriving after parts of it were clustered apart merges them.
    - A text that is only a part of the fullest members of several clusters
      (an excerpt of a lead that two stories share) joins the one it is most
      contained in, and merges none. On a tie (the same paragraph is in
      both), the story with a headline closer to this text's wins (an
      excerpt usually keeps its story's headline, lightly rewritten; each
      story by the closest of its own and its copies' headlines:
      `_story_headlines`), then the fuller story.

    `elsewhere`, when given, receives the clusters of the first kind (cluster
    id -> its fullest member): parts there may belong with this text
    (`_rehome_parts`)."""
    covers: set[int] = set()
    parts: list[tuple[float, Document, int, int]] = []  # (containment, fullest member, its length, cluster id)
    for d, sim in matches:
        cid = d.cluster_id
        fullest = store.fullest_member(conn, cid)  # the fullest text of its story
        if fullest is None or fullest.id == d.id:
            rel, fuller = sim, texts(d)
        else:
            fuller = texts(fullest)
            rel = compare(new, fuller, config.min_numbers)
            if rel.containment < config.containment_threshold:
                if elsewhere is not None:
                    elsewhere[cid] = fullest
                continue  # matched a part of another story
        if rel is None or rel.jaccard >= config.merge_jaccard or len(fuller.all) <= len(new.all):
            covers.add(cid)
        else:
            parts.append((round(rel.containment, 1), fullest or d, len(fuller.all), cid))

    def rank(part: tuple[float, Document, int, int]) -> tuple:
        containment, story, length, cid = part
        # Inside several stories: the one whose headlines come closest to its own.
        headline = _closest(title, _story_headlines(conn, store, cid, story, config)) if len(parts) > 1 else ()
        return containment, headline, length, -cid

    if parts:
        covers.add(max(parts, key=rank)[3])
    return covers


def _story_headlines(conn: Connection, store: Store, cluster_id: int, fullest: Document,
                     config: DedupConfig) -> set[str | None]:
    """A story's headlines: its fullest member's and its full copies' (not
    its parts': an excerpt with it may belong elsewhere), read without the
    texts. Copies rewrite a headline; the closest of them to an excerpt's
    says whose story it is, whatever order they came in."""
    return store.titles_of_members_longer_than(conn, cluster_id, config.excerpt_ratio * len(fullest.text)) \
        | {fullest.title}


def _closest(title: str | None, headlines: set[str | None]) -> tuple[float, float]:
    return max((_headline_overlap(title, h) for h in headlines), default=(0.0, 0.0))


def _rehome_parts(conn: Connection, store: Store, doc: Document, new: Shingled, elsewhere: dict[int, Document],
                  texts: _Texts, config: DedupConfig) -> set[int]:
    """The parts (excerpts) of other stories' clusters that belong with the
    new document `doc` rather than where they are, moved into its cluster;
    returns the clusters they left. A part joins the story it is most
    contained in, the closest of each story's headlines breaking a tie, then
    the fuller story (`_clusters_to_join`, `_story_headlines`), whatever
    arrived first: an excerpt of a story's first paragraphs that came before
    the story, when another outlet's article opening with those paragraphs
    was already stored, went with that article; when the story it shares
    its headline with arrives, it moves there."""
    left: set[int] = set()
    # The new document's story, judged as `_clusters_to_join` judges a story: by its fullest
    # member (the new document may be only a part of it) and the headlines of its full copies.
    home = store.fullest_member(conn, doc.cluster_id) or doc
    home_text = texts(home)
    headlines: dict[int, set[str | None]] = {}
    for cid, fullest in elsewhere.items():
        story = texts(fullest)
        for member in store.cluster_members(conn, cid):
            # Only a part of its story (an excerpt, by its length) and shorter than the new text
            # can belong with it: full copies of the story, hundreds for a wire story, are not read.
            if member.id == fullest.id or len(member.text) > config.excerpt_ratio * len(fullest.text) \
                    or len(member.text) >= len(doc.text):
                continue
            part = texts(member)
            if len(part.all) >= len(new.all) or is_copy(part, new, config) is None:
                continue
            # The order `_clusters_to_join` picks by, each story judged by the closest of its
            # headlines: the part ends with the same story whatever order they all came in.
            if doc.cluster_id not in headlines:
                headlines[doc.cluster_id] = _story_headlines(conn, store, doc.cluster_id, home, config)
            if cid not in headlines:
                headlines[cid] = _story_headlines(conn, store, cid, fullest, config)
            here = (round(compare(part, home_text, config.min_numbers).containment, 1),
                    _closest(member.title, headlines[doc.cluster_id]), len(home_text.all))
            there = (round(compare(part, story, config.min_numbers).containment, 1),
                     _closest(member.title, headlines[cid]), len(story.all))
            if here > there:
                store.move_document(conn, member.id, doc.cluster_id)
                left.add(cid)
    return left


def decide_cluster(conn: Connection, store: Store, cluster_id: int, texts: _Texts,
                   config: DedupConfig) -> tuple[Document | None, dict[int, float | None], int]:
    """Name the canonical latest member of `cluster_id` and record each copy's
    similarity to it (containment of the shorter text in the longer). Only
    similarities whose canonical changed are recomputed. Returns the
    canonical member (None for a cluster without latest members), the
    similarities by document id and the cluster's size."""
    members = store.cluster_members(conn, cluster_id)
    if not members:
        store.empty_cluster(conn, cluster_id)
        return None, {}, 0
    canonical = choose_canonical(members, texts, config)
    similarities: dict[int, float | None] = {}
    for m in members:
        if m.id == canonical.id:
            similarities[m.id] = None
        elif m.duplicate_of == canonical.id and m.similarity is not None:
            similarities[m.id] = m.similarity
        else:
            similarities[m.id] = round(compare(texts(m), texts(canonical)).containment, 4)
    size = store.set_cluster_decision(conn, cluster_id, canonical.id, similarities)
    return canonical, similarities, size


def store_document(conn: Connection, store: Store, doc: Document, fp: Fingerprint,
                   config: DedupConfig) -> Decision:
    """Store `doc` in the cluster of the copies it has, inside the caller's
    `store.write()` transaction, which holds the store-wide lock or the
    page's `lock_keys` (either makes the decision and the insert one step
    against every commit the page could be compared with); the clusters it
    reads are locked here (`Store.lock_clusters`).

    Candidates: latest documents with the same text hash, those naming the
    same canonical URL or this page, the page `doc` names, and those
    sharing an LSH band; never documents of the same URL identity (its
    older versions). Each is verified on the stored texts (`is_copy`).
    `doc` joins the cluster of its matches; when they sit in several
    clusters, those clusters merge into the oldest. A new version also stays
    in its previous version's cluster when the two texts are still copies.
    Then `doc` is inserted (setting `doc.id`) with its band keys, and
    the cluster's canonical member is chosen again (`choose_canonical`, which
    does not depend on arrival order). A document without matches gets a new
    cluster. Database errors propagate (the transaction rolls back)."""
    candidates = _candidates(conn, store, doc, fp, config)
    previous = _previous_version(conn, store, doc)
    if not candidates and previous is None:
        # Most documents: nothing like them stored yet. A new cluster, with
        # the document as its canonical member.
        store.insert_document_in_new_cluster(conn, doc, fp.band_keys)
        return Decision(doc.cluster_id, None, None, None, True, size=1)
    candidates, previous = _with_clusters_locked(conn, store, doc, fp, config, candidates, previous)
    texts = _Texts(config)
    new = shingled(doc.text, config)
    matches = _verified(new, fp, candidates, texts, config)
    elsewhere: dict[int, Document] = {}
    clusters = _clusters_to_join(conn, store, new, doc.title, matches, texts, config, elsewhere)
    if previous is not None and (previous.text_hash == fp.text_hash
                                 or is_copy(new, texts(previous), config) is not None):
        clusters.add(previous.cluster_id)
    cluster_id = min(clusters) if clusters else store.new_cluster(conn)
    for other in sorted(clusters - {cluster_id}):
        store.move_members(conn, other, cluster_id)
    doc.cluster_id = cluster_id
    store.insert_document(conn, doc)
    texts.known[doc.id] = new
    store.lsh_add(conn, doc.id, fp.band_keys)
    left = _rehome_parts(conn, store, doc, new, elsewhere, texts, config) if elsewhere else set()
    canonical, similarities, size = decide_cluster(conn, store, cluster_id, texts, config)
    for other in sorted(left - {cluster_id}):
        decide_cluster(conn, store, other, texts, config)
    assert canonical is not None  # doc itself is a latest member
    if previous is not None and previous.cluster_id not in clusters:
        decide_cluster(conn, store, previous.cluster_id, texts, config)
    doc.is_canonical = canonical.id == doc.id
    doc.duplicate_of = None if doc.is_canonical else canonical.id
    doc.similarity = similarities[doc.id]
    return _decision(doc, canonical, size)


def _decision(doc: Document, canonical: Document, size: int) -> Decision:
    assert doc.cluster_id is not None
    if canonical.id != doc.id:
        return Decision(doc.cluster_id, canonical.id, canonical.url, doc.similarity, False, size)
    # The document stands for its cluster (new, or it outranks the copies it
    # joined): it is nobody's copy.
    return Decision(doc.cluster_id, None, None, None, True, size)
