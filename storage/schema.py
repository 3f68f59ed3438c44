"""The tables, in SQLAlchemy Core, so SQLite and PostgreSQL share one schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY

metadata = MetaData()

# Small key/value facts about the store, e.g. the dedup configuration the LSH
# bands were computed with (bands from another configuration cannot be mixed).
meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),  # crawl | ingest | snapshot
    Column("source", String(200)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # running | finished | failed | interrupted (stopped by Ctrl-C or SIGTERM,
    # what it fetched is stored) | abandoned (its process is gone)
    Column("status", String(20), nullable=False, default="running"),
    Column("stats", Text),  # JSON counts
    # The process that owns the run, so a run whose process is gone can be
    # told from one still in progress. Added after the first release: stores
    # created before get them from `storage.migrate`.
    Column("host", String(255)),
    Column("pid", Integer),
)

fetches = Table(
    "fetches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("final_url", Text),
    Column("status", Integer),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("content_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("reason", Text),
    Column("document_id", Integer),
    Column("source", String(200)),
    Column("run_id", Integer),
    Column("warc_file", Text),
    Column("warc_offset", BigInteger),
    Index("ix_fetches_url_time", "url", "fetched_at"),
    Index("ix_fetches_run", "run_id"),
    # A crawl reads the history of its sources when it opens (added after the
    # first release; `storage.migrate` creates it in older stores).
    Index("ix_fetches_source", "source"),
)

clusters = Table(
    "clusters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("canonical_id", Integer),
    Column("size", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("url_key", Text, nullable=False),
    Column("final_url", Text),
    Column("canonical_url", Text),
    Column("source", String(200)),
    Column("title", Text),
    Column("author", Text),
    Column("published", String(40)),
    Column("language", String(20)),
    Column("sitename", Text),
    Column("tags", Text),  # JSON list
    Column("attribution", Text),
    Column("text", Text, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("page_hash", String(64)),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("is_latest", Boolean, nullable=False, default=True),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=False),
    Column("is_canonical", Boolean, nullable=False),
    Column("duplicate_of", Integer),
    Column("similarity", Float),
    Column("fetch_id", Integer),
    # Bumped whenever the row or its cluster decision changes: incremental
    # snapshots select on it.
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_documents_url_key", "url_key"),
    Index("ix_documents_canonical_url", "canonical_url"),
    Index("ix_documents_text_hash", "text_hash"),
    Index("ix_documents_cluster", "cluster_id"),
    Index("ix_documents_updated", "updated_at"),
    # Documents leave the near-duplicate index by age when a retention window
    # is set (added after the first release; `storage.migrate` creates it).
    Index("ix_documents_fetched_at", "fetched_at"),
)

# The near-duplicate index, kept in the same database as the documents so a
# document and its band keys are committed in one transaction, every process
# sharing the store sees the same index, and a restart rebuilds nothing. Two
# layouts, one per engine (`dialects` in a table's info: the engines it is
# created on; a table without it is created on every engine).
#
# SQLite: one row per (LSH band bucket, document). WITHOUT ROWID keeps a row
# at ~20 bytes.
lsh_bands = Table(
    "lsh_bands",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("doc_id", Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
    info={"dialects": ("sqlite",)},
)

# PostgreSQL: one row per document, one column per band position (k0, k1,
# ...: a document's band keys in the order `fingerprint` makes them) and a
# B-tree on each position. A key is stored as its low 32 bits (a signed
# int4): two different band keys that agree on those bits only make a
# chance candidate, which verification on the stored texts rejects (at 1M
# documents ~0.01 per lookup), and a band bucket is only ever compared with
# the same band of other documents. Per key that is a 16-byte B-tree leaf
# tuple and its 4-byte line pointer, against a GIN entry's 24 + 4 bytes for
# an array of keys (a key of a random hash has a posting list of one); the
# heap row (~190 bytes) holds 4 bytes a key. A lookup is an OR of
# `kI = :keyI`, a bitmap OR of one index scan a position.
#
# `LSH_POSITIONS` columns, whatever the settings make: a document with fewer
# keys leaves the rest NULL, and each index is partial (`WHERE kI IS NOT
# NULL`), so an unused position costs an empty index (one 8 KB page) and
# nothing a row. Settings making more keys than that are refused
# (`Store.check_band_keys`).
LSH_POSITIONS = 48
lsh_keys = Table(
    "lsh_keys",
    metadata,
    Column("doc_id", Integer, primary_key=True, autoincrement=False),
    *(Column(f"k{i}", Integer) for i in range(LSH_POSITIONS)),
    info={"dialects": ("postgresql",)},
)
for _i in range(LSH_POSITIONS):
    _column = lsh_keys.c[f"k{_i}"]
    Index(f"ix_lsh_keys_k{_i}", _column, postgresql_where=_column.is_not(None))
del _i, _column

# PostgreSQL, earlier releases: one row per document, its band keys in an
# array under a GIN index (fastupdate off). The array is sorted, so the
# position of each key is lost and its rows cannot be moved into `lsh_keys`
# without recomputing the keys from the texts: a store indexed by such a
# release keeps them here, where lookups still find them, until `wirecrawl
# reindex` (which recomputes every key into `lsh_keys`), the retention window
# or a new version takes them out. New documents never come here.
# (Stores older still had their lsh_bands rows moved here by
# `storage.migrate`.)
lsh_docs = Table(
    "lsh_docs",
    metadata,
    Column("doc_id", Integer, primary_key=True, autoincrement=False),
    Column("band_keys", ARRAY(BigInteger), nullable=False),
    Index("ix_lsh_docs_band_keys", "band_keys", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
    info={"dialects": ("postgresql",)},
)


def tables_for(dialect: str) -> list[Table]:
    """The tables a store on `dialect` ("sqlite", "postgresql") holds."""
    return [t for t in metadata.sorted_tables if dialect in t.info.get("dialects", (dialect,))]

# Lines of text seen on a site's pages, for learning its furniture (share
# lines, pitches, author boxes): one row per (site, line), the line kept as a
# 64-bit hash of its normalised text. `clusters` lists, space-separated, the
# first few distinct clusters whose documents held the line; `furniture` is
# set once it has been seen in enough of them (crawler.ingest.sitelines).
site_lines = Table(
    "site_lines",
    metadata,
    Column("site", String(255), primary_key=True),
    Column("line_key", BigInteger, primary_key=True, autoincrement=False),
    Column("clusters", Text, nullable=False),
    Column("furniture", Boolean, nullable=False, default=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Index("ix_site_lines_furniture", "site", "furniture"),
    Index("ix_site_lines_last_seen", "last_seen"),
    sqlite_with_rowid=False,
)
