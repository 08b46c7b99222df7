"""Appending a chunk's audit rows (files, claims, emails owed, problems) fast on SQLite.

A backfill records a row or more in each of these tables for every return. Executed
through SQLAlchemy, each row's parameters are rebuilt and converted one by one, which on
SQLite cost more than SQLite's own work; the statement compiled once and the rows passed
as tuples, converted as SQLAlchemy converts them, cost a fraction. Elsewhere the rows go
through SQLAlchemy's executemany, which PostgreSQL's driver batches well. The fact rows
(`warehouse.bulk`) take the same SQLite path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

Converter = Callable[[Any], Any] | None


def insert_records(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_existing: bool = False,
) -> None:
    """Insert `rows` (each with the same keys, named as the table's columns) inside the
    connection's transaction; with `ignore_existing`, a row whose key is already stored
    is left out rather than raising."""
    if not rows:
        return
    keys = tuple(rows[0])
    unknown = set(keys) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {sorted(unknown)}")
    dialect = connection.dialect
    if dialect.name != "sqlite":
        if not ignore_existing:
            connection.execute(insert(table), list(rows))
        elif dialect.name == "postgresql":
            connection.execute(postgresql_insert(table).on_conflict_do_nothing(), list(rows))
        else:  # pragma: no cover - the warehouse runs on SQLite or PostgreSQL
            raise NotImplementedError(dialect.name)
        return
    insert_columns_on_sqlite(
        connection, table, {key: [row[key] for row in rows] for key in keys}, ignore_existing
    )


def insert_columns_on_sqlite(
    connection: Connection,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    ignore_existing: bool = False,
) -> None:
    """Insert rows given column by column (equal lengths, named as the table's columns)
    on SQLite: the statement compiled once per process, each column converted as
    SQLAlchemy converts it, the rows passed as tuples. Also the fact rows' path
    (`warehouse.bulk`)."""
    compiled = _sqlite_insert(table, tuple(columns), ignore_existing, connection.dialect)
    if compiled is None:  # a column filled in by Python: SQLAlchemy's own path
        base = sqlite_insert(table).on_conflict_do_nothing() if ignore_existing else insert(table)
        names = list(columns)
        connection.execute(
            base,
            [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)],
        )
        return
    statement, ordered, converters = compiled
    converted = [
        columns[key] if convert is None else [convert(value) for value in columns[key]]
        for key, convert in zip(ordered, converters, strict=True)
    ]
    connection.exec_driver_sql(statement, list(zip(*converted, strict=True)))


@functools.lru_cache(maxsize=64)
def _sqlite_insert(
    table: Table, keys: tuple[str, ...], ignore_existing: bool, dialect: Dialect
) -> tuple[str, tuple[str, ...], tuple[Converter, ...]] | None:
    """The compiled INSERT, its columns in the order it binds them, and each column's
    conversion of a Python value to what SQLite stores (a timestamp's text, say); None
    when the statement binds a column the rows do not give (a Python-side default)."""
    base = sqlite_insert(table).on_conflict_do_nothing() if ignore_existing else insert(table)
    compiled = base.compile(dialect=dialect, column_keys=list(keys))
    ordered = tuple(compiled.positiontup or ())
    if sorted(ordered) != sorted(keys):
        return None
    converters = tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in ordered
    )
    return str(compiled), ordered, converters
