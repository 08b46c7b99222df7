"""A row-value IN (`(a, b) IN (...)`) that SQLite can answer from an index.

SQLite answers `(sha256, origin_path) IN (VALUES ...)` by scanning the whole table, once
per chunk a load writes; with each leading column also IN its own values it searches the
index those columns lead and checks the pairs only on the rows found.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, tuple_


def row_in(
    columns: Sequence[ColumnElement[Any]], rows: Collection[tuple[Any, ...]], *, indexed: int = 1
) -> ColumnElement[bool]:
    """`tuple(columns) IN rows`, with the first `indexed` columns (those an index leads
    with) each IN its distinct values too."""
    leading = [column.in_({row[i] for row in rows}) for i, column in enumerate(columns[:indexed])]
    return and_(*leading, tuple_(*columns).in_(list(rows)))
