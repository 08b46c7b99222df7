"""Appending many figures to a fact table fast, on each backend in its own best way.

A backfill writes tens of thousands of figures; a multi-row INSERT through SQLAlchemy's
per-row parameter handling costs more than the database's own work.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

from warehouse.bulk_records import insert_columns_on_sqlite

# COPY reads the text polars writes: NULL is this marker, never a value of a fact column
# (codes and numbers).
_COPY_NULL = "\\N"


def insert_rows(connection: Connection, table: Table, rows: pl.DataFrame) -> None:
    """Append `rows` (columns named as the table's) inside the connection's transaction.

    On PostgreSQL, through COPY fed with CSV that polars writes in one call: several times
    faster than a multi-row INSERT for a backfill's tens of thousands of figures. On
    SQLite, one compiled INSERT executed over the rows as tuples. Elsewhere, a Core
    executemany.
    """
    unknown = set(rows.columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    if connection.dialect.name == "sqlite":
        # The statement compiled once and the rows passed as plain tuples: SQLAlchemy's
        # per-row parameter processing cost more than SQLite's own work here.
        insert_columns_on_sqlite(
            connection, table, {name: rows.get_column(name).to_list() for name in rows.columns}
        )
        return
    if (connection.dialect.name, connection.dialect.driver) != ("postgresql", "psycopg"):
        connection.execute(insert(table), rows.to_dicts())
        return
    quote = connection.dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in rows.columns)
    statement = (
        f"COPY {quote.format_table(table)} ({columns}) FROM STDIN "
        f"WITH (FORMAT csv, NULL '{_COPY_NULL}')"
    )
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection inside a transaction
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(rows.write_csv(include_header=False, null_value=_COPY_NULL))
    except dbapi_error as exc:  # as SQLAlchemy would raise it (IntegrityError, DataError...)
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc
