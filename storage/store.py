"""The document store: documents, clusters, fetch history, runs and the LSH band
index, on SQLAlchemy Core. SQLite by default, PostgreSQL by URL.

Concurrency: every write that depends on what is already stored (the dedup
decision and the insert that follows it) runs inside `Store.write()`. On
SQLite that is one writer at a time (BEGIN IMMEDIATE). On PostgreSQL a
transaction either holds the store-wide advisory lock for its length (schema
changes, reindex, settings) or, given the keys it can collide on (a
document's LSH band buckets, text hash, URL names), takes the store-wide lock
shared and those keys exclusively, then the clusters it joins
(`lock_clusters`): commits of unrelated documents go on side by side, and
two copies of one article committed at once still wait for each other, since
they share a key. Either way the second of two colliding transactions sees
the first's rows, and a kill at any moment rolls the open transaction back:
no half-written document.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    text,
    bindparam,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url

from storage.locks import SourceLock, source_lock
from storage.migrate import migrate
from storage.processes import process_gone, this_process
from storage.records import Document, FetchRecord, RunRecord, SourceHistory
from storage.schema import (LSH_POSITIONS, clusters, documents, fetches, lsh_bands, lsh_docs, lsh_keys, meta,
                            metadata, runs, site_lines, tables_for)
from storage.utc import as_utc, utc_now

# Any constant works; it names the wirecrawl writer lock among advisory locks.
_PG_WRITER_LOCK = 0x77637261776C
_LOCK_STORE = select(func.pg_advisory_xact_lock(_PG_WRITER_LOCK))
_LOCK_STORE_SHARED = select(func.pg_advisory_xact_lock_shared(_PG_WRITER_LOCK))
# Where a PostgreSQL connection keeps its transaction's stamp (`Store.stamp`).
_STAMP_KEY = "wirecrawl_stamp"
# Keys are locked in ascending order, all in one statement: the sorted
# subquery feeds the aggregate row by row. Keys live in PostgreSQL's 64-bit
# advisory key space; clusters in the (int, int) space under their own tag,
# so neither can be mistaken for the other.
# A keyed transaction takes the store-wide lock shared and then its keys in
# one statement (a round trip less a commit): the store-wide lock sorts
# first (o = 0), whatever its key.
_LOCK_STORE_SHARED_AND_KEYS = text(
    "SELECT count(CASE WHEN o = 0 THEN pg_advisory_xact_lock_shared(k) ELSE pg_advisory_xact_lock(k) END) "
    "FROM (SELECT 0 AS o, CAST(:store AS bigint) AS k "
    "UNION ALL SELECT 1, unnest(CAST(:keys AS bigint[])) ORDER BY o, k) AS sorted_keys")
_CLUSTER_LOCK_TAG = 0x7763
_LOCK_CLUSTERS = text("SELECT count(pg_advisory_xact_lock(:tag, c)) FROM "
                      "(SELECT unnest(CAST(:ids AS integer[])) AS c ORDER BY c) AS sorted_ids")

# Statements on the ingest hot path, built once: SQLAlchemy memoises a
# statement's cache key on the object, so rebuilding them per page cost more
# than the SQL itself (measured ~6 ms of ~13 statements per page).
_INSERT_DOCUMENT = insert(documents)
_INSERT_FETCH = insert(fetches)
_INSERT_BAND = insert(lsh_bands)
_INSERT_POSITIONS = insert(lsh_keys)
_KEYS_PARAM = bindparam("keys", type_=ARRAY(BigInteger))
_LATEST_FOR_URL = (
    select(documents)
    .where(documents.c.url_key == bindparam("key"), documents.c.is_latest.is_(True))
    .order_by(documents.c.id.desc())
    .limit(1)
)
_DOCUMENTS_BY_ID = select(documents).where(documents.c.id.in_(bindparam("ids", expanding=True))).order_by(
    documents.c.id
)
_DOCUMENT_BY_ID = select(documents).where(documents.c.id == bindparam("id"))
# Documents sharing one of the band keys `keys`, in each engine's layout.
# SQLite: any key, wherever it sits.
_SQLITE_CANDIDATES = select(lsh_bands.c.doc_id).where(
    lsh_bands.c.key.in_(bindparam("keys", expanding=True))).distinct()
# Documents indexed by an earlier release, their keys in a sorted array
# (storage.schema): any of the 64-bit keys.
_LEGACY_CANDIDATES = select(lsh_docs.c.doc_id).where(lsh_docs.c.band_keys.overlap(_KEYS_PARAM))


def _position_param(i: int) -> str:
    return f"k{i}"


def _by_position(count: int):
    """PostgreSQL: documents whose key at some position i < `count` is the
    looked-up key i (bound as k0, k1, ...): an OR that the planner answers
    with a bitmap OR of the positions' index scans."""
    return select(lsh_keys.c.doc_id).where(or_(*(
        lsh_keys.c[f"k{i}"] == bindparam(_position_param(i)) for i in range(count))))


# The statements below are built once per key count (a store's settings make
# one) and whether the earlier releases' table still holds documents
# (`legacy`: then also any of the 64-bit `keys` there).
@lru_cache(maxsize=None)
def _positions_candidates(count: int, legacy: bool):
    return union(_by_position(count), _LEGACY_CANDIDATES) if legacy else _by_position(count)


def _same_text_or_names():
    # Latest documents with the same text hash, or named by one of `names`.
    return (
        select(documents.c.id).where(documents.c.text_hash == bindparam("h"), documents.c.is_latest.is_(True)),
        select(documents.c.id).where(
            documents.c.is_latest.is_(True),
            documents.c.canonical_url.in_(bindparam("names", expanding=True))
            | documents.c.url_key.in_(bindparam("keys_of_names", expanding=True)),
        ),
    )


# Every latest document that could be a copy of a new text, in one query:
# same text hash, same canonical URL (or named by it), or a shared LSH band.
_SQLITE_CANDIDATE_IDS = union(*_same_text_or_names(), _SQLITE_CANDIDATES)


@lru_cache(maxsize=None)
def _positions_candidate_ids(count: int, legacy: bool):
    by_band = [_by_position(count)] if count else []
    return union(*_same_text_or_names(), *by_band, *([_LEGACY_CANDIDATES] if legacy else []))


_NEW_DOCUMENT_COLUMNS = [f.name for f in fields(Document) if f.name not in ("id", "cluster_id")] + ["updated_at"]


@lru_cache(maxsize=None)
def _new_document_in_new_cluster(count: int):
    """PostgreSQL: a new cluster whose canonical member is a new document
    (its id drawn from the documents' sequence first), the document, and its
    `count` band keys, in one statement; returns (document id, cluster id).
    The foreign key of documents on clusters is checked at the end of the
    statement, when both rows are there."""
    new_cluster = insert(clusters).values(
        canonical_id=func.nextval(func.pg_get_serial_sequence(documents.name, documents.c.id.name)),
        size=1, created_at=bindparam("c_now"), updated_at=bindparam("c_now"),
    ).returning(clusters.c.id, clusters.c.canonical_id).cte("new_cluster")
    new_document = insert(documents).from_select(
        [documents.c.id, documents.c.cluster_id, *(documents.c[name] for name in _NEW_DOCUMENT_COLUMNS)],
        select(new_cluster.c.canonical_id, new_cluster.c.id,
               *(bindparam(f"d_{name}", type_=documents.c[name].type) for name in _NEW_DOCUMENT_COLUMNS)),
    ).returning(documents.c.id, documents.c.cluster_id).cte("new_document")
    out = select(new_document.c.id, new_document.c.cluster_id)
    if count:
        # The keys come as one array, spread over the columns here: a
        # parameter each would take the statement past the parameter count
        # up to which the driver keeps its conversion of the SQL text, and
        # it would be converted again at every commit.
        given = select(bindparam("position_keys", type_=ARRAY(Integer)).label("keys")).cte("given_keys")
        keys = insert(lsh_keys).from_select(
            [lsh_keys.c.doc_id, *(lsh_keys.c[f"k{i}"] for i in range(count))],
            select(new_document.c.id, *(given.c["keys"][literal_column(str(i + 1))] for i in range(count)))
            .select_from(new_document.join(given, true())),
        ).cte("new_keys")
        out = out.add_cte(keys)
    return out


def int32_key(key: int) -> int:
    """A 64-bit band key as PostgreSQL's index holds it: its low 32 bits, as
    a signed 32-bit int."""
    key &= 0xFFFFFFFF
    return key - (1 << 32) if key >= 1 << 31 else key


def _position_values(keys: list[int]) -> dict[str, int]:
    return {_position_param(i): int32_key(k) for i, k in enumerate(keys)}


_LAST_FETCH = (
    select(fetches).where(fetches.c.url == bindparam("url"))
    .order_by(fetches.c.fetched_at.desc(), fetches.c.id.desc()).limit(1)
)
_LAST_FETCH_WITH_DOCUMENT = (
    select(fetches).where(fetches.c.url == bindparam("url"), fetches.c.document_id.is_not(None))
    .order_by(fetches.c.fetched_at.desc(), fetches.c.id.desc()).limit(1)
)
# A fetch that received the page and judged it: it made or confirmed a
# document, or it rejected the body it got (not an article, too short, not
# HTML…: a rejection with a content hash), or the server said the page is
# gone (404, 410). Its validators are worth re-sending, and within the
# recrawl interval its URL is not asked again.
GONE_STATUSES = (404, 410)
_JUDGED_PAGE = fetches.c.document_id.is_not(None) | (
    (fetches.c.outcome == "rejected") & fetches.c.content_hash.is_not(None)) | (
    (fetches.c.outcome == "failed") & fetches.c.status.in_(GONE_STATUSES))
_LAST_FETCH_WITH_PAGE = (
    select(fetches).where(fetches.c.url == bindparam("url"), _JUDGED_PAGE)
    .order_by(fetches.c.fetched_at.desc(), fetches.c.id.desc()).limit(1)
)
_PREVIOUS_VERSION = (
    select(documents)
    .where(documents.c.url_key == bindparam("key"), documents.c.is_latest.is_(False))
    .order_by(documents.c.id.desc())
    .limit(1)
)
_LINK_FETCH = update(documents).where(documents.c.id == bindparam("doc_id")).values(fetch_id=bindparam("fid"))
_FETCH_COLUMNS = [f.name for f in fields(FetchRecord) if f.name != "id"]
# PostgreSQL: a document's fetch record and the document's link to it, in
# one statement (a round trip less a commit).
_FETCH_OF_DOCUMENT = insert(fetches).values(
    {name: bindparam(f"f_{name}", type_=fetches.c[name].type) for name in _FETCH_COLUMNS}
).returning(fetches.c.id).cte("f")
_RECORD_AND_LINK_FETCH = (
    update(documents).where(documents.c.id == bindparam("f_document_id"))
    .values(fetch_id=select(_FETCH_OF_DOCUMENT.c.id).scalar_subquery()).returning(documents.c.fetch_id)
)
_MEMBERS_LATEST = (
    select(documents)
    .where(documents.c.cluster_id == bindparam("cid"), documents.c.is_latest.is_(True))
    .order_by(documents.c.id)
)
_FULLEST_MEMBER = (
    select(documents)
    .where(documents.c.cluster_id == bindparam("cid"), documents.c.is_latest.is_(True))
    .order_by(func.length(documents.c.text).desc(), documents.c.id)
    .limit(1)
)
_MEMBERS_ALL = select(documents).where(documents.c.cluster_id == bindparam("cid")).order_by(documents.c.id)
_LONGER_MEMBERS_TITLES = (
    select(documents.c.title).distinct()
    .where(documents.c.cluster_id == bindparam("cid"), documents.c.is_latest.is_(True),
           func.length(documents.c.text) > bindparam("chars"))
)
_DECISION_ROWS = select(
    documents.c.id, documents.c.is_canonical, documents.c.duplicate_of, documents.c.similarity,
    documents.c.cluster_id,
).where(documents.c.id.in_(bindparam("ids", expanding=True)))
_SET_DECISION = (
    update(documents)
    .where(documents.c.id == bindparam("doc_id"))
    .values(
        cluster_id=bindparam("cid"),
        is_canonical=bindparam("canon"),
        duplicate_of=bindparam("dup"),
        similarity=bindparam("sim"),
        updated_at=bindparam("now"),
    )
)
_CLUSTER_SIZE = (
    select(func.count())
    .select_from(documents)
    .where(documents.c.cluster_id == bindparam("cid"), documents.c.is_latest.is_(True))
)
_SET_CLUSTER = (
    update(clusters)
    .where(clusters.c.id == bindparam("cid"))
    .values(canonical_id=bindparam("canonical"), size=bindparam("size"), updated_at=bindparam("now"))
)
_NEW_CLUSTER = insert(clusters)


class _OnDriver:
    """A statement of a page's commit on SQLite, compiled once by SQLAlchemy
    and then run on the driver's own connection, inside the transaction
    SQLAlchemy began: the same SQL, its parameters converted by their
    types' bind processors and its rows by their result processors, as
    SQLAlchemy would. Without SQLAlchemy's work on every call (cache key,
    parameter dictionary, execution context, result object: 20 to 100 µs
    a statement), a page's commit took 0.6 ms instead of 0.9, and the read
    of its last fetch 0.08 ms instead of 0.17 (`bench/crawl.py`'s pages,
    one process). PostgreSQL keeps SQLAlchemy's path: its statements are
    fewer and its round trips dwarf that work. `keys` names an INSERT's
    columns; an expanding parameter (an IN list) takes as many placeholders
    as it has values, and an empty one is refused (SQLAlchemy renders it
    as a condition of its own)."""

    def __init__(self, statement, keys: Iterable[str] | None = None):
        self.statement = statement
        self.keys = None if keys is None else list(keys)
        self._plans: dict[tuple[int, ...], str] = {}
        self._compiled: tuple | None = None
        self._defaults: dict[str, Any] = {}

    def _compile(self, dialect) -> tuple:
        if self._compiled is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.keys)
            names = list(compiled.positiontup)
            binds = [compiled.binds[name] for name in names]
            processors = [b.type.dialect_impl(dialect).bind_processor(dialect) for b in binds]
            expanding = [b.expanding for b in binds]
            # Values the statement carries (its LIMIT) where the call gives none.
            self._defaults = {name: b.value for name, b in zip(names, binds) if b.value is not None}
            results = None
            if hasattr(self.statement, "selected_columns"):
                results = ([c.name for c in self.statement.selected_columns],
                           [c.type.dialect_impl(dialect).result_processor(dialect, None)
                            for c in self.statement.selected_columns])
            self._compiled = (compiled.string, names, processors, expanding, results)
        return self._compiled

    def _bound(self, conn: Connection, values: dict[str, Any]) -> tuple[str, list]:
        sql, names, processors, expanding, _results = self._compile(conn.dialect)
        params: list = []
        sizes: list[int] = []
        for name, process, many in zip(names, processors, expanding):
            value = values[name] if name in values else self._defaults[name]
            items = value if many else (value,)
            if many:
                if not items:
                    raise ValueError(f"{name}: an empty list (run the statement through SQLAlchemy)")
                sizes.append(len(items))
            params.extend(v if process is None or v is None else process(v) for v in items)
        if not sizes:
            return sql, params
        key = tuple(sizes)
        plan = self._plans.get(key)
        if plan is None:
            plan = sql
            for name, size in zip([n for n, many in zip(names, expanding) if many], sizes):
                plan = plan.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * size))
            self._plans[key] = plan
        return plan, params

    @staticmethod
    def _driver(conn: Connection):
        # The driver commits each statement on its own outside a transaction (the engine
        # leaves BEGIN to SQLAlchemy): begin one as SQLAlchemy's own first statement would.
        if not conn.in_transaction():
            conn.begin()
        return conn.connection.driver_connection

    def run(self, conn: Connection, values: dict[str, Any]):
        """Execute; the driver's cursor (its `lastrowid` for an INSERT)."""
        sql, params = self._bound(conn, values)
        return self._driver(conn).execute(sql, params)

    def run_many(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Execute once for each of `rows` (no expanding parameter)."""
        sql, names, processors, _expanding, _results = self._compile(conn.dialect)
        if any(processors):
            params = [self._bound(conn, row)[1] for row in rows]
        else:
            params = [[row[name] for name in names] for row in rows]
        self._driver(conn).executemany(sql, params)

    def first(self, conn: Connection, values: dict[str, Any]) -> dict[str, Any] | None:
        """The first row, as {column: value}, or None."""
        row = self.run(conn, values).fetchone()
        if row is None:
            return None
        columns, processors = self._compile(conn.dialect)[4]
        return {c: (v if p is None or v is None else p(v)) for c, p, v in zip(columns, processors, row)}

    def scalars(self, conn: Connection, values: dict[str, Any]) -> list:
        return [row[0] for row in self.run(conn, values)]


# The statements every stored page runs, on SQLite's own connection.
_DIRECT_NEW_CLUSTER = _OnDriver(_NEW_CLUSTER, ["size", "created_at", "updated_at"])
_DIRECT_INSERT_DOCUMENT = _OnDriver(_INSERT_DOCUMENT, [f.name for f in fields(Document) if f.name != "id"]
                                    + ["updated_at"])
_DIRECT_INSERT_BAND = _OnDriver(_INSERT_BAND, ["key", "doc_id"])
_DIRECT_SET_CLUSTER = _OnDriver(_SET_CLUSTER)
_DIRECT_INSERT_FETCH = _OnDriver(_INSERT_FETCH, _FETCH_COLUMNS)
_DIRECT_LINK_FETCH = _OnDriver(_LINK_FETCH)
_DIRECT_LATEST_FOR_URL = _OnDriver(_LATEST_FOR_URL)
_DIRECT_CANDIDATE_IDS = _OnDriver(_SQLITE_CANDIDATE_IDS)
_DIRECT_LAST_FETCH = {q: _OnDriver(q) for q in (_LAST_FETCH, _LAST_FETCH_WITH_DOCUMENT, _LAST_FETCH_WITH_PAGE)}


class StoreConfigError(RuntimeError):
    """The store was written with settings this process cannot mix with its own."""


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'wirecrawl.db'}"


# Pages of write-ahead log after which a commit copies the log into the
# database file (SQLite's default is 1,000). A stored page writes about 50
# pages of log (its LSH band rows land on random index pages), so at 1,000
# a crawl's extraction processes ran a checkpoint, and waited for the disk,
# every 20 pages; at 4,000 they wait 0.2 ms less a page on average, and the
# log peaks at about 18 MB instead of 6.
_WAL_AUTOCHECKPOINT = 4000


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _postgres_engine(url)
    engine = create_engine(url, future=True, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - driver glue
        # Let SQLAlchemy, not the driver, emit BEGIN (documented pysqlite recipe),
        # so writers can take the write lock up front with BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=60000")
        _use_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - driver glue
        immediate = conn.get_execution_options().get("wirecrawl_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# A pooled connection back in use after this long idle is pinged first (one
# round trip), so a server restart or an idle timeout meanwhile costs a new
# connection, not the transaction. One in steady use is not: a ping on every
# checkout was a round trip a commit (measured, bench/pg_writers.py), and a
# connection that breaks mid-use fails its transaction either way.
_PING_AFTER_IDLE_S = 1.0


def _postgres_engine(url: str) -> Engine:
    from sqlalchemy import exc

    engine = create_engine(url, future=True)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):  # pragma: no cover - driver glue
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):  # pragma: no cover - driver glue
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < _PING_AFTER_IDLE_S:
            return  # a new connection, or one just used
        try:
            dbapi_conn.execute("SELECT 1")
            dbapi_conn.rollback()  # the ping opened a transaction; leave none behind
        except Exception as error:
            # The pool discards the connection and checks out another
            # (SQLAlchemy's documented pessimistic disconnect handling).
            raise exc.DisconnectionError(f"connection unusable after idling: {error}") from error

    return engine


def _create_tables(conn: Connection) -> None:
    """Create the tables of this engine's store that are missing."""
    metadata.create_all(conn, tables=tables_for(conn.dialect.name), checkfirst=True)


def _use_wal(cur) -> None:
    """Put the database in WAL mode (kept in the file: only the first
    connection ever changes it). The change needs the database to itself, and
    SQLite answers "database is locked" at once, without waiting out the busy
    timeout, when another process is opening it at the same moment (several
    crawl workers starting together): retried for up to a minute."""
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline, pause = time.monotonic() + 60, 0.01
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)  # another connection holds the file for a moment
        pause = min(pause * 2, 0.5)


def _row_to_document(row) -> Document:
    return _document_of(row._mapping)


def _document_of(m) -> Document:
    """A Document from a row's {column: value}."""
    names = {f.name for f in fields(Document)}
    values = {k: m[k] for k in m.keys() if k in names}
    values["tags"] = json.loads(m["tags"]) if m["tags"] else []
    values["fetched_at"] = as_utc(m["fetched_at"])
    values["is_latest"] = bool(m["is_latest"])
    values["is_canonical"] = bool(m["is_canonical"])
    return Document(**values)


def _row_to_fetch(row) -> FetchRecord:
    return _fetch_of(dict(row._mapping))


def _fetch_of(m: dict) -> FetchRecord:
    """A FetchRecord from a row's {column: value} (changed in place)."""
    m["fetched_at"] = as_utc(m["fetched_at"])
    return FetchRecord(**m)


class Store:
    """One wirecrawl store: a database URL plus a data directory for files."""

    def __init__(self, database_url: str | None = None, data_dir: str | Path = "data"):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or default_database_url(self.data_dir)
        self.engine = _make_engine(self.database_url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._meta_ok: set[tuple[str, str]] = set()
        # Under the writer lock: two processes opening a new store at once must
        # not both try to create it (or add a column of a newer release twice).
        with self.write() as conn:
            _create_tables(conn)
            migrate(conn)
            # Whether documents indexed by an earlier release are still in
            # its table (storage.schema.lsh_docs): lookups then ask it too.
            # Nothing adds to it, so once empty it stays empty.
            self._legacy_index = not self.is_sqlite and conn.execute(
                select(lsh_docs.c.doc_id).limit(1)).first() is not None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions -------------------------------------------------------

    @contextmanager
    def write(self, keys: Iterable[int] | None = None) -> Iterator[Connection]:
        """A write transaction. Without `keys` it holds the store-wide writer
        lock until it commits: nothing else writes meanwhile. With `keys`
        (signed 64-bit ints, any number, duplicates allowed), on PostgreSQL,
        it waits only for the transactions holding one of those keys (and
        for a store-wide one), and locks them in ascending order, so two
        keyed transactions never wait for each other in a circle. SQLite
        writes one transaction at a time whatever the keys."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(wirecrawl_write=True)
            with conn.begin():
                if not self.is_sqlite:
                    if keys is None:
                        conn.execute(_LOCK_STORE)
                    else:
                        ordered = sorted(set(keys))
                        if ordered:
                            conn.execute(_LOCK_STORE_SHARED_AND_KEYS, {"store": _PG_WRITER_LOCK, "keys": ordered})
                        else:
                            conn.execute(_LOCK_STORE_SHARED)
                yield conn

    def lock_clusters(self, conn: Connection, cluster_ids: Iterable[int]) -> None:
        """Inside a keyed `write`: wait for, then hold until commit, the
        clusters `cluster_ids` (ascending order), so that two transactions
        changing one cluster's members or canonical member take turns, and
        the second reads what the first wrote. Nothing to do on SQLite."""
        ids = sorted(set(cluster_ids))
        if ids and not self.is_sqlite:
            conn.execute(_LOCK_CLUSTERS, {"tag": _CLUSTER_LOCK_TAG, "ids": ids})

    def stamp(self, conn: Connection) -> datetime:
        """The time to stamp the rows a write transaction changes
        (`updated_at`, which incremental snapshots select by). On SQLite,
        where writers take turns, the time now. On PostgreSQL, where keyed
        writers commit side by side, the database server's start time of the
        transaction (its `now()`, the `xact_start` other sessions see), the
        same for every row the transaction writes: then a transaction still
        open while a snapshot is read stamped its rows no earlier than the
        snapshot can see it began (`storage.snapshot`), on the server's clock
        whichever machine writes."""
        if self.is_sqlite:
            return utc_now()
        transaction = conn.get_transaction()
        cached = conn.info.get(_STAMP_KEY)
        if cached is not None and cached[0] is transaction:
            return cached[1]
        now = as_utc(conn.execute(select(func.now())).scalar_one())
        conn.info[_STAMP_KEY] = (transaction, now)
        return now

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    # -- meta ---------------------------------------------------------------

    def get_meta(self, key: str, conn: Connection | None = None) -> str | None:
        if conn is None:
            with self.read() as c:
                return self.get_meta(key, c)
        return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str, conn: Connection | None = None) -> None:
        if conn is None:
            with self.write() as c:
                return self.set_meta(key, value, c)
        if conn.execute(select(meta.c.key).where(meta.c.key == key)).first():
            conn.execute(update(meta).where(meta.c.key == key).values(value=value))
        else:
            conn.execute(insert(meta).values(key=key, value=value))

    def ensure_meta(self, key: str, value: str) -> None:
        """Record `value` under `key`, or raise StoreConfigError if the store
        already holds a different value (e.g. LSH bands of another dedup config).
        Checked once per Store object and value."""
        if (key, value) in self._meta_ok:
            return
        with self.write() as conn:
            stored = self.get_meta(key, conn)
            if stored is None:
                self.set_meta(key, value, conn)
            elif stored != value:
                raise StoreConfigError(
                    f"this store was written with {key}={stored}, this process uses {value}; "
                    "run `wirecrawl reindex` to recompute the index with the current settings"
                )
        self._meta_ok.add((key, value))

    # -- runs ---------------------------------------------------------------

    def start_run(self, kind: str, source: str | None = None) -> int:
        """Record a run as `running`, with the host and pid of this process
        (the process whose end ends the run)."""
        host, pid = this_process()
        with self.write() as conn:
            return conn.execute(
                insert(runs).values(kind=kind, source=source, started_at=utc_now(), status="running",
                                    host=host, pid=pid)
            ).inserted_primary_key[0]

    def finish_run(self, run_id: int, stats: dict, status: str = "finished",
                   finished_at: datetime | None = None) -> None:
        """Record the end of a run (at `finished_at`, now by default):
        `finished`, `failed` or `interrupted` (stopped on purpose; what it
        fetched is stored), with its counts."""
        with self.write() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=finished_at or utc_now(), status=status, stats=json.dumps(stats, default=str))
            )

    def mark_abandoned_runs(self) -> list[int]:
        """Mark `abandoned` every run still `running` whose process is gone
        (same host, and no process with its pid, or one started after the
        run did), with the counts its fetch records give; returns their ids. Runs of other hosts, and runs recorded
        without a host (by an earlier release), are left as they are: this
        process cannot tell."""
        with self.read() as conn:
            rows = conn.execute(select(runs.c.id, runs.c.host, runs.c.pid, runs.c.started_at)
                                .where(runs.c.status == "running")).all()
        gone = [r for r in rows if process_gone(r.host, r.pid, as_utc(r.started_at))]
        if not gone:
            return []
        with self.write() as conn:
            for r in gone:
                # What it did is in the fetch history: its counts are made up from there.
                outcomes = dict(conn.execute(select(fetches.c.outcome, func.count())
                                             .where(fetches.c.run_id == r.id).group_by(fetches.c.outcome)).all())
                note = {"fetched": sum(outcomes.values()), **outcomes,
                        "error": f"its process (pid {r.pid} on {r.host}) ended without finishing the run"}
                conn.execute(update(runs).where(runs.c.id == r.id, runs.c.status == "running")
                             .values(status="abandoned", stats=json.dumps(note)))
        return [r.id for r in gone]

    def running_run(self, source: str) -> RunRecord | None:
        """The newest run of `source` still marked `running`, or None."""
        q = (select(runs).where(runs.c.source == source, runs.c.status == "running")
             .order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(1))
        with self.read() as conn:
            row = conn.execute(q).first()
        return _row_to_run(row) if row is not None else None

    def last_run_started(self, source: str) -> datetime | None:
        """When the newest crawl of `source` started, whatever became of it; None if never."""
        q = select(func.max(runs.c.started_at)).where(runs.c.source == source, runs.c.kind == "crawl")
        with self.read() as conn:
            return as_utc(conn.execute(q).scalar())

    def source_lock(self, source: str) -> SourceLock:
        """The lock that lets one process at a time crawl `source` into this
        store (see `storage.locks`): `acquire(wait_s)`, then `release()`."""
        return source_lock(self.engine, make_url(self.database_url).database if self.is_sqlite else None, source)

    # -- fetch history --------------------------------------------------------

    def record_fetch(self, record: FetchRecord, conn: Connection | None = None) -> int:
        """Append `record` to the fetch history (in `conn`'s transaction, or
        its own, which waits for no other writer but a store-wide one)."""
        if conn is None:
            with self.write(keys=()) as c:
                return self.record_fetch(record, c)
        values = {f.name: getattr(record, f.name) for f in fields(FetchRecord) if f.name != "id"}
        if self.is_sqlite:
            record.id = _DIRECT_INSERT_FETCH.run(conn, values).lastrowid
        else:
            record.id = conn.execute(_INSERT_FETCH, values).inserted_primary_key[0]
        return record.id

    def record_document_fetch(self, conn: Connection, record: FetchRecord) -> int:
        """Append `record`, the fetch that made document `record.document_id`,
        and link the document to it (`documents.fetch_id`), in `conn`'s
        transaction; returns the fetch's id."""
        if self.is_sqlite:
            self.record_fetch(record, conn)
            self.link_fetch(conn, record.document_id, record.id)
        else:
            values = {f"f_{name}": getattr(record, name) for name in _FETCH_COLUMNS}
            record.id = conn.execute(_RECORD_AND_LINK_FETCH, values).scalar_one()
        return record.id

    def last_fetch(self, url: str, *, with_document: bool = False, with_page: bool = False) -> FetchRecord | None:
        """The newest fetch of `url`; with `with_document`, the newest that stored
        or matched a document; with `with_page`, the newest that received the
        page and judged it (a document, a rejection of the body it got, or a
        404 or 410: the page is gone): the one whose validators are worth
        re-sending."""
        q = _LAST_FETCH_WITH_PAGE if with_page else _LAST_FETCH_WITH_DOCUMENT if with_document else _LAST_FETCH
        with self.read() as conn:
            if self.is_sqlite:
                found = _DIRECT_LAST_FETCH[q].first(conn, {"url": url})
                return _fetch_of(found) if found is not None else None
            row = conn.execute(q, {"url": url}).first()
        return _row_to_fetch(row) if row else None

    def source_history(self, sources: str | Iterable[str], limit: int) -> SourceHistory:
        """What the fetch history holds for the crawl sources `sources` (one
        name, or several crawled together; see `SourceHistory`), in one
        transaction; `newest` and `urls` hold at most `limit` entries (more
        exist when they are full)."""
        names = [sources] if isinstance(sources, str) else list(dict.fromkeys(sources))
        ours = fetches.c.source.in_(names)
        not_ours = or_(fetches.c.source.not_in(names), fetches.c.source.is_(None))
        newest = (select(fetches.c.url, func.max(fetches.c.id).label("id"))
                  .where(ours, _JUDGED_PAGE).group_by(fetches.c.url).subquery())
        with self.read() as conn:
            rows = conn.execute(select(fetches).join(newest, fetches.c.id == newest.c.id).limit(limit)).all()
            others_pages = conn.execute(select(fetches.c.id).where(not_ours, _JUDGED_PAGE).limit(1)).first()
            others_at_all = conn.execute(select(fetches.c.id).where(not_ours).limit(1)).first()
            urls = None if others_at_all is not None else list(conn.execute(
                select(fetches.c.url).where(ours).distinct().limit(limit)).scalars())
        return SourceHistory([_row_to_fetch(r) for r in rows], others_pages is not None, urls)

    def fetch_history(self, url: str) -> list[FetchRecord]:
        q = select(fetches).where(fetches.c.url == url).order_by(fetches.c.id)
        with self.read() as conn:
            return [_row_to_fetch(r) for r in conn.execute(q)]

    def fetch_counts(self, run_id: int) -> dict[str, int]:
        q = (
            select(fetches.c.outcome, func.count())
            .where(fetches.c.run_id == run_id)
            .group_by(fetches.c.outcome)
        )
        with self.read() as conn:
            return {k: v for k, v in conn.execute(q)}

    # -- documents ------------------------------------------------------------

    def insert_document(self, conn: Connection, doc: Document) -> int:
        values = {f.name: getattr(doc, f.name) for f in fields(Document) if f.name != "id"}
        values["tags"] = json.dumps(doc.tags or [])
        values["updated_at"] = self.stamp(conn)
        if self.is_sqlite:
            doc.id = _DIRECT_INSERT_DOCUMENT.run(conn, values).lastrowid
        else:
            doc.id = conn.execute(_INSERT_DOCUMENT, values).inserted_primary_key[0]
        return doc.id

    def insert_document_in_new_cluster(self, conn: Connection, doc: Document, keys: Iterable[int]) -> int:
        """Insert `doc` as the canonical member of a new cluster of one,
        indexed under its band `keys` (band order, as `lsh_add`); sets
        `doc.id` and `doc.cluster_id`, returns the document's id. One
        statement on PostgreSQL (three round trips fewer than the steps)."""
        keys = list(keys)
        doc.is_canonical, doc.duplicate_of, doc.similarity = True, None, None
        if self.is_sqlite:
            doc.cluster_id = self.new_cluster(conn)
            self.insert_document(conn, doc)
            self.lsh_add(conn, doc.id, keys)
            self.set_cluster_canonical(conn, doc.cluster_id, doc.id, size=1)
            return doc.id
        self.check_band_keys(len(keys))
        now = self.stamp(conn)
        values = {f"d_{f.name}": getattr(doc, f.name) for f in fields(Document) if f.name not in ("id", "cluster_id")}
        values.update(d_tags=json.dumps(doc.tags or []), d_updated_at=now, c_now=now,
                      position_keys=[int32_key(k) for k in keys])
        doc.id, doc.cluster_id = conn.execute(_new_document_in_new_cluster(len(keys)), values).one()
        return doc.id

    def link_fetch(self, conn: Connection, doc_id: int, fetch_id: int) -> None:
        if self.is_sqlite:
            _DIRECT_LINK_FETCH.run(conn, {"doc_id": doc_id, "fid": fetch_id})
        else:
            conn.execute(_LINK_FETCH, {"doc_id": doc_id, "fid": fetch_id})

    def get_document(self, doc_id: int, conn: Connection | None = None) -> Document | None:
        if conn is None:
            with self.read() as c:
                return self.get_document(doc_id, c)
        row = conn.execute(_DOCUMENT_BY_ID, {"id": doc_id}).first()
        return _row_to_document(row) if row else None

    def get_documents(self, ids: Iterable[int], conn: Connection) -> list[Document]:
        ids = list(ids)
        if not ids:
            return []
        rows = conn.execute(_DOCUMENTS_BY_ID, {"ids": ids})
        return [_row_to_document(r) for r in rows]

    def previous_version(self, conn: Connection, url_key: str) -> Document | None:
        """The newest superseded version stored for this URL identity, or None."""
        row = conn.execute(_PREVIOUS_VERSION, {"key": url_key}).first()
        return _row_to_document(row) if row else None

    def latest_for_url(self, url_key: str, conn: Connection | None = None) -> Document | None:
        """The newest version stored for this URL identity, or None."""
        if conn is None:
            with self.read() as c:
                return self.latest_for_url(url_key, c)
        if self.is_sqlite:
            found = _DIRECT_LATEST_FOR_URL.first(conn, {"key": url_key})
            return _document_of(found) if found is not None else None
        row = conn.execute(_LATEST_FOR_URL, {"key": url_key}).first()
        return _row_to_document(row) if row else None

    def find_document(self, url: str) -> Document | None:
        """The latest document stored under `url` as fetched, final, keyed or canonical URL."""
        with self.read() as conn:
            for col in (documents.c.url, documents.c.url_key, documents.c.final_url, documents.c.canonical_url):
                row = conn.execute(
                    select(documents)
                    .where(col == url)
                    .order_by(documents.c.is_latest.desc(), documents.c.id.desc())
                    .limit(1)
                ).first()
                if row:
                    return _row_to_document(row)
        return None

    def candidate_ids(self, conn: Connection, text_hash: str, names: Iterable[str], keys: Iterable[int]) -> set[int]:
        """Ids of latest documents with this text hash, or whose canonical URL
        or URL identity is one of `names`, or that share one of the LSH band
        `keys` (in band order: see `lsh_candidates`): one query."""
        names = sorted(set(names))
        params = {"h": text_hash, "names": names, "keys_of_names": names}
        keys = list(keys)
        if self.is_sqlite:
            params["keys"] = sorted(set(keys))
            if names and keys:
                return set(_DIRECT_CANDIDATE_IDS.scalars(conn, params))
            return {r[0] for r in conn.execute(_SQLITE_CANDIDATE_IDS, params)}
        self.check_band_keys(len(keys))
        params.update(_position_values(keys))
        if self._legacy_index:
            params["keys"] = sorted(set(keys))
        return {r[0] for r in conn.execute(_positions_candidate_ids(len(keys), self._legacy_index), params)}

    def supersede(self, conn: Connection, doc_id: int) -> None:
        """Mark an old version as no longer the latest and drop it from the index;
        the row itself is kept."""
        conn.execute(
            update(documents).where(documents.c.id == doc_id)
            .values(is_latest=False, is_canonical=False, updated_at=self.stamp(conn))
        )
        self.lsh_remove(conn, [doc_id])

    def run_outcomes(self, run_id: int) -> dict[str, int]:
        """How many fetch records run `run_id` left, by outcome ("stored",
        "copy", "rejected"…): what it did, as the store has it."""
        q = select(fetches.c.outcome, func.count()).where(fetches.c.run_id == run_id).group_by(fetches.c.outcome)
        with self.read() as conn:
            return dict(conn.execute(q).all())

    def count_documents(self, *, latest_only: bool = False) -> int:
        q = select(func.count()).select_from(documents)
        if latest_only:
            q = q.where(documents.c.is_latest.is_(True))
        with self.read() as conn:
            return conn.execute(q).scalar_one()

    # -- clusters -------------------------------------------------------------

    def new_cluster(self, conn: Connection) -> int:
        now = self.stamp(conn)
        values = {"size": 0, "created_at": now, "updated_at": now}
        if self.is_sqlite:
            return _DIRECT_NEW_CLUSTER.run(conn, values).lastrowid
        return conn.execute(_NEW_CLUSTER, values).inserted_primary_key[0]

    def empty_cluster(self, conn: Connection, cluster_id: int) -> None:
        """A cluster left without latest members (its only page's new version
        joined another story): no canonical member, size 0."""
        conn.execute(_SET_CLUSTER, {"cid": cluster_id, "canonical": None, "size": 0, "now": self.stamp(conn)})

    def set_cluster_canonical(self, conn: Connection, cluster_id: int, canonical_id: int, size: int) -> None:
        """Name a cluster's canonical member and its size (members whose own
        rows already say so: a new document in a new cluster)."""
        values = {"cid": cluster_id, "canonical": canonical_id, "size": size, "now": self.stamp(conn)}
        if self.is_sqlite:
            _DIRECT_SET_CLUSTER.run(conn, values)
        else:
            conn.execute(_SET_CLUSTER, values)

    def cluster_members(self, conn: Connection, cluster_id: int, *, latest_only: bool = True) -> list[Document]:
        q = _MEMBERS_LATEST if latest_only else _MEMBERS_ALL
        return [_row_to_document(r) for r in conn.execute(q, {"cid": cluster_id})]

    def titles_of_members_longer_than(self, conn: Connection, cluster_id: int, chars: float) -> set[str | None]:
        """The distinct titles of the cluster's latest members whose text runs
        over `chars` characters (its story's full copies, not its excerpts),
        without reading their texts: a wire story may have thousands."""
        return {row[0] for row in conn.execute(_LONGER_MEMBERS_TITLES, {"cid": cluster_id, "chars": chars})}

    def fullest_member(self, conn: Connection, cluster_id: int) -> Document | None:
        """The cluster's latest member with the longest text (the lowest id on a tie)."""
        row = conn.execute(_FULLEST_MEMBER, {"cid": cluster_id}).first()
        return _row_to_document(row) if row is not None else None

    def move_members(self, conn: Connection, from_cluster: int, to_cluster: int) -> None:
        """Merge: every document of `from_cluster` joins `to_cluster`."""
        conn.execute(
            update(documents)
            .where(documents.c.cluster_id == from_cluster)
            .values(cluster_id=to_cluster, updated_at=self.stamp(conn))
        )
        conn.execute(delete(clusters).where(clusters.c.id == from_cluster))

    def move_document(self, conn: Connection, doc_id: int, to_cluster: int) -> None:
        """One document joins `to_cluster` (a part that belongs with another
        story); its old cluster's decision is the caller's to redo."""
        conn.execute(update(documents).where(documents.c.id == doc_id)
                     .values(cluster_id=to_cluster, updated_at=self.stamp(conn)))

    def set_cluster_decision(
        self,
        conn: Connection,
        cluster_id: int,
        canonical_id: int,
        similarities: dict[int, float | None],
    ) -> int:
        """Name the canonical member and record each copy's similarity to it;
        returns the cluster's size (latest members).

        Only rows whose decision actually changes get a new `updated_at`."""
        now = self.stamp(conn)
        current = {r.id: r for r in conn.execute(_DECISION_ROWS, {"ids": list(similarities)})}
        changes = []
        for doc_id, sim in similarities.items():
            is_canon = doc_id == canonical_id
            want = (is_canon, None if is_canon else canonical_id, None if is_canon else sim)
            row = current.get(doc_id)
            have = (bool(row.is_canonical), row.duplicate_of, row.similarity) if row else None
            if have != want or (row is not None and row.cluster_id != cluster_id):
                changes.append({"doc_id": doc_id, "cid": cluster_id, "canon": want[0], "dup": want[1],
                                "sim": want[2], "now": now})
        if changes:
            conn.execute(_SET_DECISION, changes)
        size = conn.execute(_CLUSTER_SIZE, {"cid": cluster_id}).scalar_one()
        conn.execute(_SET_CLUSTER, {"cid": cluster_id, "canonical": canonical_id, "size": size, "now": now})
        return size

    def clusters(self, *, min_size: int = 2, limit: int | None = None) -> list[tuple[int, int, Document]]:
        """(cluster id, size, canonical document), biggest first."""
        q = (
            select(clusters.c.id, clusters.c.size, clusters.c.canonical_id)
            .where(clusters.c.size >= min_size)
            .order_by(clusters.c.size.desc(), clusters.c.id)
        )
        if limit:
            q = q.limit(limit)
        out = []
        with self.read() as conn:
            for cid, size, canonical_id in conn.execute(q).all():
                doc = self.get_document(canonical_id, conn)
                if doc is not None:
                    out.append((cid, size, doc))
        return out

    def members(self, cluster_id: int) -> list[Document]:
        with self.read() as conn:
            return self.cluster_members(conn, cluster_id)

    # -- LSH band index -------------------------------------------------------

    def check_band_keys(self, count: int) -> None:
        """Raise StoreConfigError when this store's index cannot hold `count`
        band keys a document (PostgreSQL: one column a position, at most
        `LSH_POSITIONS`; SQLite takes any number)."""
        if not self.is_sqlite and count > LSH_POSITIONS:
            raise StoreConfigError(
                f"the dedup settings make {count} band keys a document; a PostgreSQL store's index holds at "
                f"most {LSH_POSITIONS} (storage.schema.LSH_POSITIONS): use fewer bands")

    def lsh_add(self, conn: Connection, doc_id: int, keys: Iterable[int]) -> None:
        """Index document `doc_id` under its band keys (none: not indexed),
        in band order (`Fingerprint.band_keys`): on PostgreSQL the key at
        position i is found by lookups holding it at position i."""
        self.lsh_add_many(conn, [(doc_id, keys)])

    def lsh_add_many(self, conn: Connection, entries: Iterable[tuple[int, Iterable[int]]]) -> None:
        """Index many documents at once: (document id, band keys in band
        order) pairs, in one statement per call."""
        entries = [(doc_id, list(keys)) for doc_id, keys in entries]
        if self.is_sqlite:
            rows = [{"key": k, "doc_id": doc_id} for doc_id, keys in entries for k in sorted(set(keys))]
            if rows:
                _DIRECT_INSERT_BAND.run_many(conn, rows)
            return
        entries = [(doc_id, keys) for doc_id, keys in entries if keys]
        if not entries:
            return
        width = max(len(keys) for _d, keys in entries)
        self.check_band_keys(width)
        # One set of columns for every row of the statement; positions past
        # a document's last key stay NULL (out of every partial index).
        rows = [{"doc_id": doc_id, **{f"k{i}": None for i in range(len(keys), width)}, **_position_values(keys)}
                for doc_id, keys in entries]
        conn.execute(_INSERT_POSITIONS, rows)

    def _index_tables(self) -> list:
        if self.is_sqlite:
            return [lsh_bands]
        return [lsh_keys, lsh_docs] if self._legacy_index else [lsh_keys]

    def lsh_remove(self, conn: Connection, doc_ids: Iterable[int]) -> None:
        """Take documents out of the index (their rows stay in the store)."""
        ids = sorted(set(doc_ids))
        if ids:
            for table in self._index_tables():
                conn.execute(delete(table).where(table.c.doc_id.in_(ids)))

    def lsh_candidates(self, conn: Connection, keys: Iterable[int]) -> set[int]:
        """Ids of the documents indexed under at least one of `keys`, given
        in band order: on PostgreSQL key i matches the documents holding it
        at position i (the same band), on SQLite at any position."""
        keys = list(keys)
        if not keys:
            return set()
        if self.is_sqlite:
            return {r[0] for r in conn.execute(_SQLITE_CANDIDATES, {"keys": sorted(set(keys))})}
        self.check_band_keys(len(keys))
        params = _position_values(keys)
        if self._legacy_index:
            params["keys"] = sorted(set(keys))
        return {r[0] for r in conn.execute(_positions_candidates(len(keys), self._legacy_index), params)}

    def lsh_clear(self, conn: Connection) -> None:
        for table in self._index_tables() if self.is_sqlite else (lsh_keys, lsh_docs):
            conn.execute(delete(table))
        self._legacy_index = False

    def lsh_forget_before(self, fetched_before: datetime) -> int:
        """Take out of the index the documents fetched before
        `fetched_before` (a retention window): they stay in the store, in
        their clusters and in snapshots, but no new document is compared
        with them through the index any more. Returns how many left it."""
        old = select(documents.c.id).where(documents.c.fetched_at < fetched_before)
        with self.write(keys=()) as conn:  # a commit that still compares with one of them is harmless
            if self.is_sqlite:
                gone = conn.execute(select(func.count(func.distinct(lsh_bands.c.doc_id)))
                                    .where(lsh_bands.c.doc_id.in_(old))).scalar_one()
                conn.execute(delete(lsh_bands).where(lsh_bands.c.doc_id.in_(old)))
                return gone
            # A document is in one of the two tables, never both.
            return sum(conn.execute(delete(table).where(table.c.doc_id.in_(old))).rowcount
                       for table in self._index_tables())

    def index_size(self) -> tuple[int, int]:
        """(bytes the near-duplicate index takes on disk, its indexes
        included; documents in it): SQLite's dbstat, PostgreSQL's
        pg_total_relation_size (of the earlier releases' table too)."""
        with self.read() as conn:
            if self.is_sqlite:
                size = conn.exec_driver_sql("SELECT sum(pgsize) FROM dbstat WHERE name = 'lsh_bands'").scalar()
                docs = conn.execute(select(func.count(func.distinct(lsh_bands.c.doc_id)))).scalar_one()
            else:
                size = docs = 0
                for table in (lsh_keys, lsh_docs):
                    size += conn.execute(select(func.pg_total_relation_size(table.name))).scalar() or 0
                    docs += conn.execute(select(func.count()).select_from(table)).scalar_one()
        return int(size or 0), int(docs)

    def iter_latest_documents(self, batch: int = 1000) -> Iterator[Document]:
        """Every latest-version document, in id order, read in batches."""
        last = 0
        while True:
            with self.read() as conn:
                rows = conn.execute(
                    select(documents)
                    .where(documents.c.id > last, documents.c.is_latest.is_(True))
                    .order_by(documents.c.id)
                    .limit(batch)
                ).all()
            if not rows:
                return
            for r in rows:
                yield _row_to_document(r)
            last = rows[-1].id

    # -- furniture learned from a site's pages -------------------------------------

    def site_furniture(self, site: str) -> set[int]:
        """The keys of the lines known to be furniture on `site`."""
        q = select(site_lines.c.line_key).where(site_lines.c.site == site, site_lines.c.furniture.is_(True))
        with self.read() as conn:
            return set(conn.execute(q).scalars())

    def learn_site_lines(self, conn: Connection, site: str, keys: Iterable[int], cluster_id: int,
                         seen_at: datetime, clusters_needed: int) -> set[int]:
        """Count `cluster_id` for each line key of `site` (a cluster counts
        once per line, however many of its documents hold the line); a line
        seen in `clusters_needed` distinct clusters becomes furniture. Returns
        the keys that became furniture with this call. Inside the caller's
        write transaction."""
        keys = sorted(set(keys))
        if not keys:
            return set()
        if not self.is_sqlite:
            return {row.line_key for row in conn.execute(_LEARN_SITE_LINES, {
                "site": site, "keys": keys, "cluster": str(cluster_id), "needed": clusters_needed,
                "seen_at": seen_at})}
        rows = {r.line_key: r for r in conn.execute(
            select(site_lines).where(site_lines.c.site == site, site_lines.c.line_key.in_(keys)))}
        cluster = str(cluster_id)
        new, changed, became = [], [], set()
        for key in keys:
            row = rows.get(key)
            if row is None:
                seen = [cluster]
                new.append({"site": site, "line_key": key, "clusters": cluster,
                            "furniture": clusters_needed <= 1, "last_seen": seen_at})
                if clusters_needed <= 1:
                    became.add(key)
                continue
            seen = row.clusters.split()
            if row.furniture or cluster in seen:
                changed.append({"s": site, "k": key, "clusters": row.clusters, "furniture": row.furniture,
                                "last_seen": seen_at})
                continue
            seen.append(cluster)
            furniture = len(seen) >= clusters_needed
            if furniture:
                became.add(key)
            changed.append({"s": site, "k": key, "clusters": " ".join(seen[:clusters_needed]),
                            "furniture": furniture, "last_seen": seen_at})
        if new:
            conn.execute(insert(site_lines), new)
        if changed:
            conn.execute(_UPDATE_SITE_LINE, changed)
        return became

    def forget_site_lines(self, seen_before: datetime) -> int:
        """Delete the lines not (yet) furniture that no page has shown since
        `seen_before`: a site's one-off lines would otherwise pile up. Returns
        how many went."""
        with self.write() as conn:
            return conn.execute(delete(site_lines).where(site_lines.c.furniture.is_(False),
                                                         site_lines.c.last_seen < seen_before)).rowcount

    # -- reads for the command line ---------------------------------------------

    def count_clusters(self, *, min_size: int = 2) -> int:
        """How many clusters have at least `min_size` latest members."""
        q = select(func.count()).select_from(clusters).where(clusters.c.size >= min_size)
        with self.read() as conn:
            return conn.execute(q).scalar_one()

    def recent_runs(self, limit: int = 20) -> list[RunRecord]:
        """The newest `limit` runs, newest first; a stats column that is not
        valid JSON comes back as {"unreadable": <its text>}."""
        q = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
        with self.read() as conn:
            return [_row_to_run(r) for r in conn.execute(q).all()]


def _row_to_run(r) -> RunRecord:
    try:
        stats = json.loads(r.stats) if r.stats else {}
    except ValueError:
        stats = {"unreadable": r.stats}
    return RunRecord(id=r.id, kind=r.kind, source=r.source, started_at=as_utc(r.started_at),
                     finished_at=as_utc(r.finished_at), status=r.status,
                     stats=stats if isinstance(stats, dict) else {"stats": stats}, host=r.host, pid=r.pid)


# PostgreSQL: `Store.learn_site_lines` in one statement (the rule spelled
# out in Python for SQLite): a new line starts its list with the cluster; a
# known line that is not furniture yet and has not seen the cluster adds it
# (the list kept to `needed` names) and becomes furniture at `needed`; every
# line gets `last_seen`. Returns the lines that became furniture here. `old`
# reads the rows as they were before the statement's upsert.
_LEARN_SITE_LINES = text("""
WITH old AS (
    SELECT line_key, furniture FROM site_lines WHERE site = :site AND line_key = ANY(CAST(:keys AS bigint[]))
), up AS (
    INSERT INTO site_lines AS s (site, line_key, clusters, furniture, last_seen)
    SELECT :site, k, :cluster, :needed <= 1, :seen_at FROM unnest(CAST(:keys AS bigint[])) AS k
    ON CONFLICT (site, line_key) DO UPDATE SET
        clusters = CASE WHEN s.furniture OR :cluster = ANY(string_to_array(s.clusters, ' ')) THEN s.clusters
                        ELSE array_to_string(
                            (string_to_array(s.clusters, ' ') || CAST(:cluster AS text))[1 : CAST(:needed AS int)],
                            ' ') END,
        furniture = s.furniture OR (NOT :cluster = ANY(string_to_array(s.clusters, ' '))
                                    AND cardinality(string_to_array(s.clusters, ' ')) + 1 >= :needed),
        last_seen = EXCLUDED.last_seen
    RETURNING line_key, furniture
)
SELECT up.line_key FROM up LEFT JOIN old USING (line_key) WHERE up.furniture AND NOT coalesce(old.furniture, false)
""")

_UPDATE_SITE_LINE = (
    update(site_lines)
    .where(site_lines.c.site == bindparam("s"), site_lines.c.line_key == bindparam("k"))
    .values(clusters=bindparam("clusters"), furniture=bindparam("furniture"), last_seen=bindparam("last_seen"))
)


def store_exists(database_url: str) -> bool:
    """Whether `database_url` names a store that was created already (the
    documents table exists), creating nothing: a SQLite file that is missing
    is not opened (opening would create it). Raises SQLAlchemy's errors for a
    URL that is not a database URL or a database that does not answer."""
    from sqlalchemy import inspect

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
            return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table(documents.name)
    finally:
        engine.dispose()


def store_name(database_url: str) -> str:
    """The store as a user named it: the SQLite file's path, or the URL
    without its password; a string that is no database URL as given."""
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        return database_url
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def is_deadlock(exc: BaseException) -> bool:
    """Whether `exc` is PostgreSQL ending a transaction to break a circle of
    transactions waiting for each other's locks (SQLSTATE 40P01): the
    transaction rolled back whole and may be run again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "40P01"


def is_store_failure(exc: BaseException) -> bool:
    """Whether `exc` is what a wrong URL, an unreachable server or an
    unusable file raises: a reason to name in one line, not a bug to trace."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    return isinstance(exc, (OSError, SQLAlchemyError, ArgumentError, NoSuchModuleError, ImportError))
