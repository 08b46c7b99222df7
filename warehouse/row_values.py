"""Finding the stored rows that match many tuples (`(a, b) IN (...)`) cheaply.

A backfill asks the warehouse about thousands of tuples at once: the (sha256, origin) of
every file, the (reporter, year, quarter) of every return. As a row-value IN, SQLAlchemy
renders and binds every value of every tuple one parameter at a time, and SQLite answers
it by scanning the whole table. Asking instead for each column IN its own distinct values
binds far fewer parameters (a backfill's 1,920 periods have a few dozen reporters, years
and quarters) and lets SQLite search the index the first column leads. That finds every
row asked for and perhaps a few more (another reporter's quarter of the same year), so the
caller keeps exactly the tuples it asked for (`keep_only`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement

RowT = TypeVar("RowT", bound=Sequence[Any])


def each_in(
    columns: Sequence[ColumnElement[Any]], rows: Collection[Sequence[Any]]
) -> list[ColumnElement[bool]]:
    """Each of `columns` IN its distinct values among `rows` (None, which no IN matches,
    left out): conditions for a query's `where`, matching a superset of `rows`."""
    return [
        column.in_(sorted({row[i] for row in rows if row[i] is not None}))
        for i, column in enumerate(columns)
    ]


def keep_only(found: Iterable[RowT], wanted: Collection[tuple[Any, ...]]) -> list[RowT]:
    """The rows of `found` that begin with one of the `wanted` tuples: what an `each_in`
    query found, narrowed to exactly what was asked for. As in SQL, a tuple holding None
    matches nothing."""
    exact = {row for row in wanted if None not in row}
    size = len(next(iter(exact), ()))
    return [row for row in found if tuple(row[:size]) in exact]
