"""Bring a store written by an earlier release up to today's schema, additively.

`metadata.create_all` creates the tables a store lacks, but leaves a table
that exists as it is. Columns and indexes added to a table since are added
here: only additions, every new column nullable, so an earlier release can
still read and write the store (it ignores what it does not know), and
nothing already stored changes.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text
from sqlalchemy.schema import CreateColumn

from storage.schema import lsh_bands, lsh_docs, tables_for


class SchemaError(RuntimeError):
    """A table misses a column that cannot be added without a value for the
    rows already stored (a wirecrawl bug: new columns must be nullable)."""


def migrate(conn: Connection) -> list[str]:
    """Add the columns and indexes of `storage.schema` that the store's
    tables lack; returns what was added ("runs.host", "ix_fetches_source",
    "lsh_docs <- lsh_bands"). (A new table, such as PostgreSQL's
    `lsh_keys`, is `create_all`'s: documents an earlier release indexed in
    `lsh_docs` stay there, see `storage.schema`.) Run inside the store's writer lock, so two
    processes opening an old store at once add each column once. Raises
    SchemaError for a missing column that is not nullable."""
    inspector = inspect(conn)
    existing_tables = set(inspector.get_table_names())
    added: list[str] = []
    for table in tables_for(conn.dialect.name):
        if table.name not in existing_tables:
            continue  # create_all made it whole
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            if not column.nullable:
                raise SchemaError(f"table {table.name} lacks column {column.name}, which cannot be added "
                                  "to the rows already stored")
            ddl = CreateColumn(column).compile(dialect=conn.dialect)
            name = conn.dialect.identifier_preparer.format_table(table)
            conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {ddl}")
            added.append(f"{table.name}.{column.name}")
        indexes = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(conn, checkfirst=True)
                added.append(index.name)
    if conn.dialect.name == "postgresql" and lsh_bands.name in existing_tables:
        added += _band_rows_to_arrays(conn)
    return added


def _band_rows_to_arrays(conn: Connection) -> list[str]:
    """A PostgreSQL store of an earlier release keeps its index as one
    lsh_bands row per (band key, document): move them into lsh_docs, one
    row per document, and empty lsh_bands (the table stays, for an earlier
    release that opens the store). Nothing is re-computed: the keys are the
    same. Does nothing when lsh_bands is empty."""
    if conn.execute(text(f"SELECT 1 FROM {lsh_bands.name} LIMIT 1")).first() is None:
        return []
    conn.execute(text(
        f"INSERT INTO {lsh_docs.name} (doc_id, band_keys) "
        f"SELECT doc_id, array_agg(key ORDER BY key) FROM {lsh_bands.name} GROUP BY doc_id "
        "ON CONFLICT (doc_id) DO NOTHING"))
    conn.execute(text(f"TRUNCATE {lsh_bands.name}"))
    return [f"{lsh_docs.name} <- {lsh_bands.name}"]
