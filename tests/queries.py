"""Reading a test warehouse back with plain SQL, the way a downstream SQL client would."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import create_engine, text


def plain(value: object) -> object:
    """A database value as plain Python (PostgreSQL gives NUMERIC columns as Decimal)."""
    return float(value) if isinstance(value, Decimal) else value


def query(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """Rows of `sql` as tuples of plain Python values, on a connection of its own."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(sql), params)
            return [tuple(plain(v) for v in row) for row in rows]
    finally:
        engine.dispose()


def columns(url: str, relation: str) -> list[str]:
    """The column names of a table or view, in order, as `SELECT *` gives them."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(f"SELECT * FROM {relation} WHERE 1 = 0")).keys())
    finally:
        engine.dispose()
