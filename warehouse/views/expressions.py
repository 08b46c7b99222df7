"""SQL expressions several views share, each written once.

`utc_date` and `days_after` are the places where SQLite and PostgreSQL need different SQL;
each is a SQLAlchemy construct compiled per dialect, so no view carries a dialect switch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, Join, Numeric, Table, and_, case, func
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from domain.layouts import SheetLayout
from warehouse.tables import submission


class utc_date(FunctionElement[dt.date]):  # noqa: N801 - used like the SQL function it stands for
    """The calendar date, in UTC, of a timestamp with time zone."""

    type = Date()
    inherit_cache = True


@compiles(utc_date)
def _utc_date_unsupported(_: utc_date, compiler: SQLCompiler, **__: Any) -> str:
    raise CompileError(f"no UTC date of a timestamp in {compiler.dialect.name}'s SQL")


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps timestamps as UTC text; date() takes its calendar date.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    # A plain cast would take the date in the session's time zone, not UTC.
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


def current_rows(fact: Table) -> Join:
    """A fact table joined to its submissions, keeping the current accepted returns only.

    Facts keep every accepted return, superseded ones included; a submission's status is
    `accepted` for the latest only.
    """
    return fact.join(
        submission,
        and_(
            submission.c.submission_id == fact.c.submission_id,
            submission.c.status == "accepted",
        ),
    )


def percent(part: ColumnElement[Any], whole: ColumnElement[Any]) -> ColumnElement[float]:
    """`part` as a percentage of `whole`, to one decimal place; NULL unless whole > 0."""
    # op("/") keeps the division as written: SQLAlchemy's own `/` casts the divisor
    # (to NUMERIC(p, s) on PostgreSQL), which could overflow on a large total.
    ratio = (100.0 * part).op("/", return_type=Numeric())(whole)
    return case((whole > 0, func.round(ratio, 1)))


def totals(relation: Table, layout: SheetLayout) -> Iterable[ColumnElement[Any]]:
    """The sum of each of a sheet's measures, named as the measure."""
    return (func.sum(relation.c[column.key]).label(column.key) for column in layout.measures)


class days_after(FunctionElement[int]):  # noqa: N801 - used like the SQL function it stands for
    """Whole days from the second date to the first (negative when the first is earlier)."""

    type = Integer()
    inherit_cache = True


@compiles(days_after)
def _days_after_unsupported(_: days_after, compiler: SQLCompiler, **__: Any) -> str:
    raise CompileError(f"no difference of dates in {compiler.dialect.name}'s SQL")


@compiles(days_after, "sqlite")
def _days_after_sqlite(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps dates as ISO text; julianday() makes them numbers of days.
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@compiles(days_after, "postgresql")
def _days_after_postgresql(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    # date - date is already a whole number of days in PostgreSQL.
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({later} - {earlier})"
