"""Rows of a query as a polars frame of exactly the schema asked for, on both backends.

The two backends hand back the same figures as different Python types: PostgreSQL sums
NUMERIC columns into Decimal, and SQLite returns dates and timestamps as text. Whoever
reads the views for publication or a tracker wants one frame whatever the backend, typed
the same even when no row matches, so the typing is done once, here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection, Date, DateTime, column, text
from sqlalchemy.types import TypeEngine


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A timestamp read back, in UTC: SQLite returns them without their zone (stored UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _sql_type(dtype: pl.DataType) -> TypeEngine[Any] | None:
    """Dates need SQLAlchemy's result processing: SQLite hands them back as text."""
    if isinstance(dtype, pl.Datetime):
        return DateTime(timezone=True)
    if isinstance(dtype, pl.Date):
        return Date()
    return None


def frame_schema(**columns: type[pl.DataType] | pl.DataType) -> pl.Schema:
    """A schema for `read_frame`, written as ``name=type`` in the query's column order."""
    return pl.Schema(columns)


def read_frame(
    connection: Connection,
    sql: str,
    schema: pl.Schema,
    params: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """The rows of `sql`, bound with `params`, as a frame of exactly `schema`, even when empty.

    The query's columns are matched to `schema` by position and named by it.
    """
    statement = text(sql).columns(*(column(name, _sql_type(t)) for name, t in schema.items()))
    rows = connection.execute(statement, dict(params or {})).all()
    return pl.DataFrame(rows, schema=schema, orient="row", strict=False)
