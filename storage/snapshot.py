"""Versioned dataset snapshots of the store, for downstream tools.

    out_dir/
      20261122T031500Z/            one version: never changed once written
        documents.parquet          pyarrow, zstd
        documents.jsonl.gz         the same rows, one JSON object a line
        manifest.json              version, kind, created_at, previous version,
                                   row counts, schema, sha256 of each file, dedup
                                   configuration, incremental: since / null
      20261122T031500Z-001/        a second snapshot within the same second
      latest -> 20261122T031500Z   the newest FULL snapshot (symlink)
      LATEST                       its name as text (always written: for file
                                   systems without symlinks)
      latest-canonical, LATEST-CANONICAL                 newest canonical-only snapshot
      latest-incremental, LATEST-INCREMENTAL             newest incremental snapshot
      latest-canonical-incremental, LATEST-CANONICAL-INCREMENTAL
                                                         newest canonical-only incremental

The pointer rule: each pointer names the newest version of its own kind, so
`latest` always holds every row of the store (as of its writing) and is never
an incremental or a canonical-only selection. A kind with no version yet has
no pointer. Pointers are recomputed from the manifests after every write, so
two writers at once, or pointers left by an older release, end up right.

Versions are UTC timestamps, so they sort by time as plain strings.

Crash safety: a snapshot is written into `out_dir/.partial-<version>-<host>-<pid>/`
and renamed to its version name only when complete (a directory rename is
atomic), so a crash never leaves a half snapshot under a version name. Readers
ignore `.partial-*`; the next write removes those left by dead processes of
this host.

Incremental snapshots (`since=VERSION`) hold the rows whose `updated_at` is
past the high-water mark recorded in that version's manifest: new documents,
new versions (and the superseded rows, now `is_latest = false`), and cluster
changes (the store bumps `updated_at` on each). No row is missed by every
later incremental. On SQLite writers commit one at a time, each stamping its
rows after the previous commit, so no row can commit later with an older
`updated_at`. On PostgreSQL keyed writers commit side by side: each stamps
its rows with its transaction's start time on the server (`Store.stamp`),
and the mark a snapshot records is held back to before the oldest
transaction open when it began to read; a row written while a snapshot was
read can then appear in that snapshot and again in the next incremental
(readers upsert on `id`), never in neither.

A snapshot with no rows (an empty store, or nothing changed since `since`)
is written like any other, with `"empty": true` in its manifest: `datasets`
cannot load a Parquet file without rows, so readers should check it first.
"""

from __future__ import annotations

import errno
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
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, func, select
from sqlalchemy import text as sql

from storage.schema import documents, meta
from storage.store import Store
from storage.utc import as_utc, utc_now

FORMAT = 2  # bumped when the layout or a column's meaning changes (2: typed `published`, pointers by kind)
PARQUET = "documents.parquet"
JSONL = "documents.jsonl.gz"
MANIFEST = "manifest.json"
PARTIAL_PREFIX = ".partial-"
BATCH_ROWS = 1000  # rows per Parquet row group and per read from the store
JSONL_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # every timestamp of the JSON lines, in UTC

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
    ("published", pa.timestamp("us", tz="UTC"), True,
     "publication time in UTC; a page that gives only a day gets midnight UTC of that day "
     "(published_precision 'date'); null if unknown or not ISO 8601"),
    ("published_precision", pa.string(), True,
     "'datetime' when the page gave a time of day, 'date' when only a day; null when published is null"),
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


def _pandas_metadata() -> bytes:
    # pandas reads an int64 column that holds nulls as float64 (ids become
    # 12.0) unless the file's pandas metadata names the nullable Int64 dtype:
    # with it, pd.read_parquet gives Int64 and <NA>. Other readers ignore it.
    columns = [{"name": n, "field_name": n, "pandas_type": "int64", "numpy_type": "Int64", "metadata": None}
               for n, t, nullable, _ in COLUMNS if nullable and pa.types.is_integer(t)]
    return json.dumps({"index_columns": [], "column_indexes": [], "columns": columns,
                       "creator": {"library": "wirecrawl", "version": str(FORMAT)},
                       "pandas_version": "2.0.0"}).encode()


SCHEMA = pa.schema([pa.field(n, t, nullable=nullable, metadata={"description": d})
                    for n, t, nullable, d in COLUMNS], metadata={b"pandas": _pandas_metadata()})

# How each file encodes the columns; written into every manifest.
ENCODINGS = {
    "parquet": "Arrow types as in `schema[].type`; timestamps are timestamp[us, tz=UTC]; nullable integers "
               "are int64 with nulls, and the file's pandas metadata makes pd.read_parquet read them as "
               "Int64 (not float64)",
    "jsonl": "one JSON object a line, the same rows and columns; every timestamp is a string in one "
             "format, YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC), and null stays null",
}


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
    kind: str = "full"  # full, canonical, incremental, canonical-incremental (see POINTERS)
    # how the `published` values read: datetime, date, missing, unreadable (null in
    # the snapshot), unreadable_examples
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def empty(self) -> bool:
        """No rows: an empty store, or nothing changed since `since`."""
        return self.rows.get("all", 0) == 0

    @property
    def pointer(self) -> str:
        """The pointer (symlink) that names this version: `latest` for a full snapshot."""
        return POINTERS[self.kind][0]


# -- reading what is there ----------------------------------------------------

# kind -> (pointer symlink, its text twin, what the pointer names)
POINTERS: dict[str, tuple[str, str, str]] = {
    "full": ("latest", "LATEST", "the newest full snapshot: every row of the store"),
    "canonical": ("latest-canonical", "LATEST-CANONICAL",
                  "the newest canonical-only snapshot: one row per cluster"),
    "incremental": ("latest-incremental", "LATEST-INCREMENTAL",
                    "the newest incremental snapshot: the rows changed since an earlier version"),
    "canonical-incremental": ("latest-canonical-incremental", "LATEST-CANONICAL-INCREMENTAL",
                              "the newest canonical-only incremental snapshot"),
}
_KIND_OF_POINTER = {pointer: kind for kind, (pointer, _, _) in POINTERS.items()}


def snapshot_kind(*, canonical_only: bool, incremental: bool) -> str:
    """The kind of a snapshot, one of POINTERS: full, canonical, incremental,
    canonical-incremental."""
    if incremental:
        return "canonical-incremental" if canonical_only else "incremental"
    return "canonical" if canonical_only else "full"


def list_versions(out_dir: str | Path, kind: str | None = None) -> list[str]:
    """The complete snapshot versions under `out_dir`, oldest first; only
    those of `kind` (see POINTERS) when given. Partial writes and anything
    not named like a version are ignored."""
    out = Path(out_dir)
    if not out.is_dir():
        return []
    versions = sorted(p.name for p in out.iterdir()
                      if _VERSION.match(p.name) and (p / MANIFEST).is_file())
    if kind is None:
        return versions
    return [v for v in versions if _kind_of(out, v) == kind]


def latest_version(out_dir: str | Path, kind: str | None = None) -> str | None:
    """The newest complete version under `out_dir` (of `kind` when given),
    or None if there is none."""
    out = Path(out_dir)
    for version in reversed(list_versions(out)):
        if kind is None or _kind_of(out, version) == kind:
            return version
    return None


def resolve_version(out_dir: str | Path, name: str) -> str:
    """The version a name stands for: a version itself, or a pointer name
    ("latest", "latest-canonical", "latest-incremental",
    "latest-canonical-incremental") resolved by the pointer rule.
    SnapshotError naming what exists when there is no such version."""
    out = Path(out_dir)
    if name in _KIND_OF_POINTER:
        version = latest_version(out, _KIND_OF_POINTER[name])
        if version is None:
            raise SnapshotError(f"no {_KIND_OF_POINTER[name]} snapshot under {out} yet, so no {name!r} "
                                f"(versions: {_newest(out)})")
        return version
    if not _VERSION.match(name) or not (out / name / MANIFEST).is_file():
        raise SnapshotError(f"no snapshot {name!r} under {out} (newest: {_newest(out)}; "
                            f"or one of {', '.join(_KIND_OF_POINTER)})")
    return name


def read_manifest(out_dir: str | Path, version: str) -> dict[str, Any]:
    """The manifest of one version; `version` may be a pointer name (see
    `resolve_version`). SnapshotError if there is no such version."""
    version = resolve_version(out_dir, version)
    return json.loads((Path(out_dir) / version / MANIFEST).read_text(encoding="utf-8"))


def _kind_of(out: Path, version: str) -> str | None:
    """A version's kind, from its manifest (derived for manifests written
    before `kind` was recorded); None if the manifest cannot be read."""
    try:
        manifest = json.loads((out / version / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("kind") or snapshot_kind(canonical_only=bool(manifest.get("canonical_only")),
                                                 incremental=manifest.get("incremental") is not None)


def _newest(out: Path) -> str:
    return ", ".join(list_versions(out)[-5:]) or "none"


# -- writing ------------------------------------------------------------------

def write_snapshot(store: Store, out_dir: str | Path, *, canonical_only: bool = False,
                   since: str | None = None, dedup_config: dict | None = None) -> SnapshotInfo:
    """Write a new snapshot version of `store` under `out_dir` and point the
    pointer of its kind at it (`latest` for a full snapshot; see POINTERS).

    One row per stored document (every version; superseded ones have
    `is_latest = false`). `canonical_only`: only the latest canonical member of
    each cluster, one row per cluster. `since`: only rows changed after that
    version was written (a version, or a pointer name: "latest" is the newest
    full snapshot). `dedup_config` goes into the manifest as the configuration
    the clusters were made with (default: the dedup entries of the store's meta).

    SnapshotError, before anything is written, for an unknown `since` or an
    `out_dir` that is not a folder and cannot be made one. A `published`
    value that is not ISO 8601 becomes null and is counted in the manifest.
    All-or-nothing: on any error (or a kill) no version directory appears."""
    out = Path(out_dir)
    since_manifest = read_manifest(out, since) if since else None  # before the folder is made: a failure leaves none
    _make_folder(out)
    _remove_abandoned_partials(out)
    previous = latest_version(out)
    now = utc_now()
    version = _next_version(previous, now)
    kind = snapshot_kind(canonical_only=canonical_only, incremental=since_manifest is not None)
    partial = out / f"{PARTIAL_PREFIX}{version}-{socket.gethostname()}-{os.getpid()}"
    try:
        partial.mkdir()
    except OSError as exc:
        raise SnapshotError(f"cannot write into the snapshot folder {out}: {exc.strerror or exc}") from exc
    try:
        since_mark = _parse_time(since_manifest["high_water_mark"]) if since_manifest else None
        export = _export(store, partial, canonical_only=canonical_only, since_mark=since_mark)
        files = {name: _sha256(partial / name) for name in (PARQUET, JSONL)}
        for _ in range(_PUBLISH_ATTEMPTS):
            manifest = _manifest(
                version=version, kind=kind, created_at=now, previous=previous, since=since_manifest,
                canonical_only=canonical_only, export=export, files=files,
                high_water_mark=export.high_water_mark or since_mark,
                dedup=dedup_config if dedup_config is not None else _dedup_entries(export.store_meta),
            )
            _write_durably(partial / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
            _fsync_dir(partial)
            if _publish(partial, out / version):
                break
            # Another snapshot took this name since it was chosen (two started
            # within one second): the next name after the newest, and publish again.
            previous = latest_version(out)
            version = _next_version(previous, now)
        else:
            raise SnapshotError(f"cannot publish a snapshot in {out}: {_PUBLISH_ATTEMPTS} other snapshots took "
                                "each name it chose")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    _update_pointers(out)
    return SnapshotInfo(version=version, path=out / version, created_at=manifest["created_at"],
                        previous_version=previous, since=since_manifest["version"] if since_manifest else None,
                        canonical_only=canonical_only, rows=export.rows, files=files, kind=kind,
                        published=export.published)


def _make_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise SnapshotError(f"{out} is a file, not a folder: give --out a folder to write versions into")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SnapshotError(f"cannot create the snapshot folder {out}: {exc.strerror or exc}") from exc


def _next_version(newest: str | None, now: datetime) -> str:
    # A new version must sort after every existing one, even if two snapshots
    # fall in one second or the clock stepped back: then suffix the newest.
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if newest is None or stamp > newest:
        return stamp
    base, _, n = newest.partition("-")
    return f"{base}-{int(n or 0) + 1:03d}"


# How many names a snapshot tries before it gives up: each failed try means
# another snapshot was published into the folder meanwhile.
_PUBLISH_ATTEMPTS = 100


def _publish(partial: Path, final: Path) -> bool:
    """Rename the finished `partial` to `final`, atomically; False when
    another snapshot holds that name already."""
    try:
        os.rename(partial, final)  # atomic; refuses an existing non-empty directory
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return False
        raise SnapshotError(f"cannot publish snapshot {final.name}: {exc}") from exc
    _fsync_dir(final.parent)
    return True


def _update_pointers(out: Path) -> None:
    """Point each kind's pointer at the newest version of that kind, as read
    from the manifests; remove the pointers of kinds that have no version
    (e.g. a `latest` an older release aimed at an incremental). The text
    twin (`LATEST`…) always; the symlink where the file system allows. Each
    is replaced atomically."""
    newest: dict[str, str] = {}
    for version in reversed(list_versions(out)):
        kind = _kind_of(out, version)
        if kind in POINTERS and kind not in newest:
            newest[kind] = version
        if len(newest) == len(POINTERS):
            break
    for kind, (pointer, text_twin, _) in POINTERS.items():
        version = newest.get(kind)
        if version is None:
            for name in (pointer, text_twin):
                if (out / name).is_symlink() or (out / name).is_file():
                    (out / name).unlink(missing_ok=True)
            continue
        _point(out, pointer, text_twin, version)


def _point(out: Path, pointer: str, text_twin: str, version: str) -> None:
    tmp = out / f".{text_twin}-{os.getpid()}"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, out / text_twin)
    link = out / f".{pointer}-{os.getpid()}"
    try:
        if link.is_symlink():
            link.unlink()
        link.symlink_to(version, target_is_directory=True)
        os.replace(link, out / pointer)
    except (OSError, NotImplementedError):
        link.unlink(missing_ok=True)  # no symlinks here: the text twin names the version


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

@dataclass
class _Export:
    rows: dict[str, int]  # all, latest, canonical, copies, superseded
    published: dict[str, Any]  # how the `published` values read: see _PublishedDates
    high_water_mark: datetime | None  # newest updated_at in the store
    store_meta: dict[str, Any]


def _export(store: Store, partial: Path, *, canonical_only: bool, since_mark: datetime | None) -> _Export:
    """Stream the selected rows into both files; return what was written."""
    counts = dict.fromkeys(("all", "latest", "canonical", "copies", "superseded"), 0)
    dates = _PublishedDates()
    seen_clusters: set[int] = set()
    oldest_open = _oldest_open_transaction(store)  # before the read's snapshot is taken
    with _consistent_read(store) as conn:
        mark = as_utc(conn.execute(select(func.max(documents.c.updated_at))).scalar())
        if mark is not None and oldest_open is not None:
            # A transaction open before this read's snapshot commits after it; its rows carry
            # its start time (`Store.stamp`): the mark stays before it, so the next incremental
            # takes them (and may take again a row this one holds).
            mark = min(mark, oldest_open - timedelta(microseconds=1))
        store_meta = {k: _maybe_json(v) for k, v in conn.execute(select(meta.c.key, meta.c.value))}
        with pq.ParquetWriter(partial / PARQUET, SCHEMA, compression="zstd") as parquet, \
                _jsonl_writer(partial / JSONL) as jsonl:
            for batch in _batches(conn, dates, canonical_only=canonical_only, since_mark=since_mark):
                if canonical_only:  # one row per cluster, even if the store held two canonicals
                    batch = [r for r in batch if r["cluster_id"] not in seen_clusters]
                    seen_clusters.update(r["cluster_id"] for r in batch)
                _write_batch(parquet, jsonl, batch)
                _count(counts, batch)
    for name in (PARQUET, JSONL):
        _fsync_file(partial / name)
    return _Export(rows=counts, published=dates.summary(), high_water_mark=mark, store_meta=store_meta)


class _PublishedDates:
    """Reads the stored `published` strings into UTC timestamps and counts
    how they read: `datetime` (a time of day given), `date` (day precision:
    midnight UTC of that day), `missing`, and `unreadable` (not ISO 8601:
    null in the snapshot; the first few values kept as examples)."""

    EXAMPLES = 5

    def __init__(self):
        self.counts = dict.fromkeys(("datetime", "date", "missing", "unreadable"), 0)
        self.examples: list[str] = []

    def read(self, value: str | None) -> tuple[datetime | None, str | None]:
        """(timestamp in UTC, precision "date" or "datetime"), or (None, None)."""
        stamp, precision = _published(value)
        if precision is not None:
            self.counts[precision] += 1
        elif value and value.strip():
            self.counts["unreadable"] += 1
            if len(self.examples) < self.EXAMPLES:
                self.examples.append(value)
        else:
            self.counts["missing"] += 1
        return stamp, precision

    def summary(self) -> dict[str, Any]:
        return {**self.counts, "unreadable_examples": self.examples}


def _published(value: str | None) -> tuple[datetime | None, str | None]:
    # ISO 8601 as the extraction stores it: a date ("2026-10-30") becomes
    # midnight UTC of that day; a datetime without an offset is taken as UTC;
    # one with an offset is converted to UTC.
    text = (value or "").strip()
    if not text:
        return None, None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc), "date"
    if text[-1:] in ("Z", "z"):  # Python before 3.11 does not read the Z suffix
        text = text[:-1] + "+00:00"
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None, None
    return as_utc(stamp).astimezone(timezone.utc), "datetime"


_OLDEST_OPEN = sql(
    "SELECT least(clock_timestamp(), min(xact_start)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
)


def _oldest_open_transaction(store: Store) -> datetime | None:
    """On PostgreSQL, the start of the oldest transaction open in the
    store's database now (another session's), or the server's time now when
    none is: asked before the export's snapshot is taken, so that every
    transaction the export cannot see began no earlier. None on SQLite,
    where writers take turns and none is open while a snapshot reads."""
    if store.is_sqlite:
        return None
    with store.engine.connect() as conn:
        return as_utc(conn.execute(_OLDEST_OPEN).scalar_one())


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


def _batches(conn: Connection, dates: _PublishedDates, *, canonical_only: bool,
             since_mark: datetime | None) -> Iterator[list[dict]]:
    q = select(documents)
    if canonical_only:
        q = q.where(documents.c.is_latest.is_(True), documents.c.is_canonical.is_(True))
    if since_mark is not None:
        q = q.where(documents.c.updated_at > since_mark)
    result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(q.order_by(documents.c.id))
    for part in result.mappings().partitions(BATCH_ROWS):
        yield [_row(m, dates) for m in part]


def _row(m, dates: _PublishedDates) -> dict[str, Any]:
    published, precision = dates.read(m["published"])
    return {
        "id": m["id"], "url": m["url"], "final_url": m["final_url"], "canonical_url": m["canonical_url"],
        "source": m["source"], "title": m["title"], "author": m["author"],
        "published": published, "published_precision": precision,
        "language": m["language"], "sitename": m["sitename"],
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

def _manifest(*, version: str, kind: str, created_at: datetime, previous: str | None, since: dict | None,
              canonical_only: bool, export: _Export, files: dict[str, str],
              high_water_mark: datetime | None, dedup: Any) -> dict[str, Any]:
    pointer, text_twin, _ = POINTERS[kind]
    return {
        "format": FORMAT,
        "version": version,
        "kind": kind,
        # the pointer that names this version until a newer one of its kind is written
        "pointer": {"symlink": pointer, "text_file": text_twin},
        "pointer_rule": {name: what for name, _, what in POINTERS.values()},
        "created_at": created_at.isoformat(),
        "previous_version": previous,
        "incremental": None if since is None else {
            "since": since["version"],
            "since_high_water_mark": since["high_water_mark"],
        },
        "canonical_only": canonical_only,
        # no rows: an empty store, or nothing changed since `since`
        "empty": export.rows["all"] == 0,
        # newest documents.updated_at in the store when this was read (on PostgreSQL, held
        # before the oldest transaction then open): the next
        # `--since` this version selects rows past it
        "high_water_mark": high_water_mark.isoformat() if high_water_mark else None,
        "rows": export.rows,
        "published": export.published,
        "files": {name: {"sha256": digest} for name, digest in files.items()},
        "encodings": ENCODINGS,
        "schema": [{"name": n, "type": str(t), "jsonl": _jsonl_encoding(t, nullable), "nullable": nullable,
                    "description": d} for n, t, nullable, d in COLUMNS],
        "dedup": dedup,
        "store_meta": export.store_meta,
    }


def _jsonl_encoding(arrow_type: pa.DataType, nullable: bool) -> str:
    if pa.types.is_timestamp(arrow_type):
        encoding = "string, ISO 8601 in UTC: YYYY-MM-DDTHH:MM:SS.ffffffZ"
    elif pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type):
        encoding = "number"
    elif pa.types.is_boolean(arrow_type):
        encoding = "true / false"
    elif pa.types.is_list(arrow_type):
        encoding = "array of strings"
    else:
        encoding = "string"
    return f"{encoding}, or null" if nullable else encoding


def _dedup_entries(store_meta: dict) -> dict | None:
    found = {k: v for k, v in store_meta.items() if "dedup" in k.lower()}
    return found or None


# -- small conversions and file-system care -----------------------------------

def _parse_time(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _json_default(value: Any) -> str:
    # One format for every timestamp, always with microseconds: a JSON reader
    # that guesses types (pyarrow's, so `datasets`') then guesses the same
    # for every timestamp column, instead of one way for values with a
    # fraction of a second and another for those without.
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime(JSONL_TIMESTAMP)
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
