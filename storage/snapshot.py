"""Versioned dataset snapshots of the store, for downstream tools.

    out_dir/
      20261122T031500Z/            one version: never changed once written
        documents.parquet          pyarrow, zstd
        documents.jsonl.gz         the same rows, one JSON object a line
        manifest.json              version, created_at, previous version, row
                                   counts, schema, sha256 of each file, dedup
                                   configuration, incremental: since / null
      20261122T031500Z-001/        a second snapshot within the same second
      latest -> 20261122T031500Z-001   symlink to the newest version
      LATEST                       the newest version's name, as text (always
                                   written: for file systems without symlinks)

Versions are UTC timestamps, so they sort by time as plain strings.

Crash safety: a snapshot is written into `out_dir/.partial-<version>-<host>-<pid>/`
and renamed to its version name only when complete (a directory rename is
atomic), so a crash never leaves a half snapshot under a version name. Readers
ignore `.partial-*`; the next write removes those left by dead processes of
this host.

Incremental snapshots (`since=VERSION`) hold the rows whose `updated_at` is
past the high-water mark recorded in that version's manifest: new documents,
new versions (and the superseded rows, now `is_latest = false`), and cluster
changes (the store bumps `updated_at` on each). This relies on the store's
single writer lock: writers commit one at a time, each stamping its rows after
the previous commit, so no row can commit later with an older `updated_at`.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, func, select

from storage.schema import documents, meta
from storage.store import Store
from storage.utc import as_utc, utc_now

FORMAT = 1  # bumped when the layout or a column's meaning changes
PARQUET = "documents.parquet"
JSONL = "documents.jsonl.gz"
MANIFEST = "manifest.json"
PARTIAL_PREFIX = ".partial-"
BATCH_ROWS = 1000  # rows per Parquet row group and per read from the store

_VERSION = re.compile(r"^\d{8}T\d{6}Z(-\d{3})?$")

# (name, type, nullable, description): the documented schema of every snapshot.
COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    ("id", pa.int64(), False, "document id in the store; one row per stored document (version)"),
    ("url", pa.string(), False, "the URL that was fetched"),
    ("final_url", pa.string(), True, "the URL after redirects"),
    ("canonical_url", pa.string(), True, "rel=canonical / og:url named by the page"),
    ("source", pa.string(), True, "source name from sources.toml; null for ad-hoc ingests"),
    ("title", pa.string(), True, "headline"),
    ("author", pa.string(), True, "author(s) as the page names them"),
    ("published", pa.string(), True, "publication date or datetime, ISO 8601; null if unknown"),
    ("language", pa.string(), True, "language code"),
    ("sitename", pa.string(), True, "site name"),
    ("tags", pa.list_(pa.string()), True, "tags / categories named by the page"),
    ("attribution", pa.string(), True, "'Via X' / '(AFP)' line naming an original source, if any"),
    ("text", pa.string(), False, "the article text"),
    ("fetched_at", pa.timestamp("us", tz="UTC"), False, "when the page was fetched"),
    ("content_hash", pa.string(), False, "sha256 of the normalised text: equal for exact copies"),
    ("cluster_id", pa.int64(), False, "cluster of copies this document belongs to"),
    ("is_canonical", pa.bool_(), False, "the cluster's canonical member"),
    ("duplicate_of", pa.int64(), True, "for copies: id of the canonical member; else null"),
    ("similarity", pa.float64(), True, "for copies: similarity to the canonical member; else null"),
    ("version", pa.int32(), False, "1 for the first text seen at this URL, +1 for each change"),
    ("is_latest", pa.bool_(), False, "false for a version superseded by a newer one"),
    ("updated_at", pa.timestamp("us", tz="UTC"), False, "last change of the row or its cluster decision"),
]
SCHEMA = pa.schema([pa.field(n, t, nullable=nullable, metadata={"description": d})
                    for n, t, nullable, d in COLUMNS])


class SnapshotError(RuntimeError):
    """A snapshot that cannot be written as asked (e.g. an unknown `since` version)."""


@dataclass
class SnapshotInfo:
    """What one `write_snapshot` call produced."""

    version: str
    path: Path  # out_dir/<version>
    created_at: str  # ISO 8601, UTC
    previous_version: str | None
    since: str | None  # the version this one is incremental to, or None for a full snapshot
    canonical_only: bool
    rows: dict[str, int]  # all, latest, canonical, copies, superseded
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256


# -- reading what is there ----------------------------------------------------

def list_versions(out_dir: str | Path) -> list[str]:
    """The complete snapshot versions under `out_dir`, oldest first. Partial
    writes and anything not named like a version are ignored."""
    out = Path(out_dir)
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir()
                  if _VERSION.match(p.name) and (p / MANIFEST).is_file())


def latest_version(out_dir: str | Path) -> str | None:
    """The newest complete version under `out_dir`, or None if there is none."""
    versions = list_versions(out_dir)
    return versions[-1] if versions else None


def read_manifest(out_dir: str | Path, version: str) -> dict[str, Any]:
    """The manifest of one version; SnapshotError if there is no such version
    (`version` may be "latest")."""
    if version == "latest":
        version = latest_version(out_dir) or "latest"
    path = Path(out_dir) / version / MANIFEST
    if not _VERSION.match(version) or not path.is_file():
        known = ", ".join(list_versions(out_dir)[-5:]) or "none"
        raise SnapshotError(f"no snapshot {version!r} under {out_dir} (newest: {known})")
    return json.loads(path.read_text(encoding="utf-8"))


# -- writing ------------------------------------------------------------------

def write_snapshot(store: Store, out_dir: str | Path, *, canonical_only: bool = False,
                   since: str | None = None, dedup_config: dict | None = None) -> SnapshotInfo:
    """Write a new snapshot version of `store` under `out_dir` and point
    `latest` at it.

    One row per stored document (every version; superseded ones have
    `is_latest = false`). `canonical_only`: only the latest canonical member of
    each cluster, one row per cluster. `since`: only rows changed after that
    version was written ("latest" names the newest); SnapshotError if it does
    not exist. `dedup_config` goes into the manifest as the configuration the
    clusters were made with (default: the dedup entries of the store's meta).

    All-or-nothing: on any error (or a kill) no version directory appears."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_partials(out)
    since_manifest = read_manifest(out, since) if since else None
    previous = latest_version(out)
    now = utc_now()
    version = _next_version(previous, now)
    partial = out / f"{PARTIAL_PREFIX}{version}-{socket.gethostname()}-{os.getpid()}"
    partial.mkdir()
    try:
        since_mark = _parse_time(since_manifest["high_water_mark"]) if since_manifest else None
        rows, mark, store_meta = _export(store, partial, canonical_only=canonical_only, since_mark=since_mark)
        files = {name: _sha256(partial / name) for name in (PARQUET, JSONL)}
        manifest = _manifest(
            version=version, created_at=now, previous=previous, since=since_manifest,
            canonical_only=canonical_only, rows=rows, files=files, high_water_mark=mark or since_mark,
            dedup=dedup_config if dedup_config is not None else _dedup_entries(store_meta),
            store_meta=store_meta,
        )
        _write_durably(partial / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
        _fsync_dir(partial)
        _publish(partial, out / version)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _point_latest(out, version)
    return SnapshotInfo(version=version, path=out / version, created_at=manifest["created_at"],
                        previous_version=previous, since=since_manifest["version"] if since_manifest else None,
                        canonical_only=canonical_only, rows=rows, files=files)


def _next_version(newest: str | None, now: datetime) -> str:
    # A new version must sort after every existing one, even if two snapshots
    # fall in one second or the clock stepped back: then suffix the newest.
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if newest is None or stamp > newest:
        return stamp
    base, _, n = newest.partition("-")
    return f"{base}-{int(n or 0) + 1:03d}"


def _publish(partial: Path, final: Path) -> None:
    try:
        os.rename(partial, final)  # atomic; refuses an existing non-empty directory
    except OSError as exc:
        raise SnapshotError(f"cannot publish snapshot {final.name}: {exc} "
                            "(another snapshot written at the same moment?)") from exc
    _fsync_dir(final.parent)


def _point_latest(out: Path, version: str) -> None:
    """`LATEST` (a text file) always; `latest` (a symlink) where the file
    system allows. Both are replaced atomically."""
    tmp = out / f".LATEST-{os.getpid()}"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, out / "LATEST")
    link = out / f".latest-{os.getpid()}"
    try:
        if link.is_symlink():
            link.unlink()
        link.symlink_to(version, target_is_directory=True)
        os.replace(link, out / "latest")
    except (OSError, NotImplementedError):
        link.unlink(missing_ok=True)  # no symlinks here: LATEST names the newest


def _remove_abandoned_partials(out: Path) -> None:
    # Only this host's, and only those whose writer is gone: another process
    # may be writing a snapshot right now.
    host = socket.gethostname()
    for p in out.glob(f"{PARTIAL_PREFIX}*"):
        head, _, pid = p.name.rpartition("-")
        if head.endswith(f"-{host}") and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- rows ---------------------------------------------------------------------

def _export(store: Store, partial: Path, *, canonical_only: bool,
            since_mark: datetime | None) -> tuple[dict[str, int], datetime | None, dict[str, Any]]:
    """Stream the selected rows into both files; return the row counts, the
    high-water mark (newest updated_at in the store) and the store's meta."""
    counts = dict.fromkeys(("all", "latest", "canonical", "copies", "superseded"), 0)
    seen_clusters: set[int] = set()
    with _consistent_read(store) as conn:
        mark = as_utc(conn.execute(select(func.max(documents.c.updated_at))).scalar())
        store_meta = {k: _maybe_json(v) for k, v in conn.execute(select(meta.c.key, meta.c.value))}
        with pq.ParquetWriter(partial / PARQUET, SCHEMA, compression="zstd") as parquet, \
                _jsonl_writer(partial / JSONL) as jsonl:
            for batch in _batches(conn, canonical_only=canonical_only, since_mark=since_mark):
                if canonical_only:  # one row per cluster, even if the store held two canonicals
                    batch = [r for r in batch if r["cluster_id"] not in seen_clusters]
                    seen_clusters.update(r["cluster_id"] for r in batch)
                _write_batch(parquet, jsonl, batch)
                _count(counts, batch)
    for name in (PARQUET, JSONL):
        _fsync_file(partial / name)
    return counts, mark, store_meta


@contextmanager
def _consistent_read(store: Store) -> Iterator[Connection]:
    # One snapshot of the database for the whole export (the high-water mark
    # and the rows must agree): SQLite's read transaction is one already,
    # PostgreSQL needs REPEATABLE READ for that.
    if store.is_sqlite:
        with store.read() as conn:
            yield conn
        return
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _batches(conn: Connection, *, canonical_only: bool, since_mark: datetime | None) -> Iterator[list[dict]]:
    q = select(documents)
    if canonical_only:
        q = q.where(documents.c.is_latest.is_(True), documents.c.is_canonical.is_(True))
    if since_mark is not None:
        q = q.where(documents.c.updated_at > since_mark)
    result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(q.order_by(documents.c.id))
    for part in result.mappings().partitions(BATCH_ROWS):
        yield [_row(m) for m in part]


def _row(m) -> dict[str, Any]:
    return {
        "id": m["id"], "url": m["url"], "final_url": m["final_url"], "canonical_url": m["canonical_url"],
        "source": m["source"], "title": m["title"], "author": m["author"],
        "published": _iso_or_none(m["published"]), "language": m["language"], "sitename": m["sitename"],
        "tags": json.loads(m["tags"]) if m["tags"] else [], "attribution": m["attribution"],
        "text": m["text"], "fetched_at": as_utc(m["fetched_at"]), "content_hash": m["text_hash"],
        "cluster_id": m["cluster_id"], "is_canonical": bool(m["is_canonical"]),
        "duplicate_of": m["duplicate_of"], "similarity": m["similarity"],
        "version": m["version"], "is_latest": bool(m["is_latest"]), "updated_at": as_utc(m["updated_at"]),
    }


def _write_batch(parquet: pq.ParquetWriter, jsonl: io.TextIOBase, batch: list[dict]) -> None:
    if not batch:
        return
    parquet.write_batch(pa.RecordBatch.from_pylist(batch, schema=SCHEMA))
    for row in batch:
        jsonl.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")


def _count(counts: dict[str, int], batch: list[dict]) -> None:
    for r in batch:
        counts["all"] += 1
        if not r["is_latest"]:
            counts["superseded"] += 1
            continue
        counts["latest"] += 1
        counts["canonical" if r["is_canonical"] else "copies"] += 1


class _jsonl_writer:
    """gzip with a fixed header time, so equal rows give equal bytes."""

    def __init__(self, path: Path):
        self.raw = open(path, "wb")
        self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)
        self.text = io.TextIOWrapper(self.gz, encoding="utf-8", newline="\n")

    def __enter__(self) -> io.TextIOBase:
        return self.text

    def __exit__(self, *exc) -> None:
        self.text.close()  # closes the gzip stream, not the file it wraps
        self.raw.close()


# -- manifest -----------------------------------------------------------------

def _manifest(*, version: str, created_at: datetime, previous: str | None, since: dict | None,
              canonical_only: bool, rows: dict[str, int], files: dict[str, str],
              high_water_mark: datetime | None, dedup: Any, store_meta: dict) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": version,
        "created_at": created_at.isoformat(),
        "previous_version": previous,
        "incremental": None if since is None else {
            "since": since["version"],
            "since_high_water_mark": since["high_water_mark"],
        },
        "canonical_only": canonical_only,
        # newest documents.updated_at in the store when this was read: the next
        # `--since` this version selects rows past it
        "high_water_mark": high_water_mark.isoformat() if high_water_mark else None,
        "rows": rows,
        "files": {name: {"sha256": digest} for name, digest in files.items()},
        "schema": [{"name": n, "type": str(t), "nullable": nullable, "description": d}
                   for n, t, nullable, d in COLUMNS],
        "dedup": dedup,
        "store_meta": store_meta,
    }


def _dedup_entries(store_meta: dict) -> dict | None:
    found = {k: v for k, v in store_meta.items() if "dedup" in k.lower()}
    return found or None


# -- small conversions and file-system care -----------------------------------

def _parse_time(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def _iso_or_none(value: str | None) -> str | None:
    # The column promises ISO 8601 or null; a value that is not ISO 8601 is
    # dropped here rather than handed downstream as if it were.
    if not value:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    # Makes a rename or a new file survive a power cut; not possible everywhere.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
