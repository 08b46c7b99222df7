"""One quarter's publication: every table of `extracts.catalogue`, built from the warehouse.

`build_publication` reads each table's view for the quarter, shapes it as its entry says
(disclosure control for counts of people) and returns the tables as polars frames ready
for `extracts.writers`, with how many returns they include: what an export writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import polars.selectors as cs
from sqlalchemy import Connection

from domain.periods import Period
from extracts.catalogue import CATALOGUE, TableDefinition
from extracts.shaping import with_board_names
from warehouse.read import frame_schema, read_frame
from warehouse.tracker import tracker

_BOARDS_SCHEMA = frame_schema(board_code=pl.String, board_name=pl.String)


@dataclass(frozen=True)
class PublishedTable:
    """One table as published, with how many of its cells disclosure control hid."""

    name: str
    title: str
    frame: pl.DataFrame
    suppressed: int = 0


@dataclass(frozen=True)
class Publication:
    """Everything an export writes for one quarter."""

    period: Period
    produced_at: dt.datetime
    tables: tuple[PublishedTable, ...]
    boards_accepted: int
    boards_expected: int
    organisations_accepted: int
    organisations_expected: int

    @property
    def has_returns(self) -> bool:
        return self.boards_accepted + self.organisations_accepted > 0


def _with_period(frame: pl.DataFrame, period: Period) -> pl.DataFrame:
    """`frame` as published: the quarter first, and sums of pounds and WTE rounded to the
    pennies and hundredths they were reported in (SQLite sums in binary floating point)."""
    return frame.select(
        pl.lit(period.financial_year).alias("financial_year"),
        pl.lit(period.quarter).alias("quarter"),
        pl.all(),
    ).with_columns(cs.float().round(2))


def build_table(
    connection: Connection, period: Period, definition: TableDefinition, boards: pl.DataFrame
) -> PublishedTable:
    """The table `definition` describes, for `period`; `boards` is ``dim_board``, which
    names the boards of a table keyed by board."""
    rows = read_frame(connection, definition.query, definition.columns, period.params)
    frame, suppressed = definition.shape.publish(rows)
    if definition.board_names is not None:
        frame = with_board_names(frame, boards, definition.board_names)
    return PublishedTable(
        definition.name, definition.title, _with_period(frame, period), suppressed
    )


def build_publication(
    connection: Connection, period: Period, produced_at: dt.datetime | None = None
) -> Publication:
    """Every published table of `period`, from the current accepted returns.

    Reads on one connection, so callers wanting one consistent snapshot can pass a
    connection inside a transaction at a suitable isolation level.
    """
    progress = tracker(connection, period)
    accepted = pl.col("status").is_in(["accepted", "late"])
    is_board = pl.col("reporter_type").eq("board")
    counts = progress.select(
        boards_accepted=(accepted & is_board).sum(),
        boards_expected=is_board.sum(),
        organisations_accepted=(accepted & ~is_board).sum(),
        organisations_expected=(~is_board).sum(),
    ).row(0, named=True)
    boards = read_frame(connection, "SELECT board_code, board_name FROM dim_board", _BOARDS_SCHEMA)
    return Publication(
        period=period,
        produced_at=produced_at or dt.datetime.now(dt.UTC),
        tables=tuple(
            build_table(connection, period, definition, boards) for definition in CATALOGUE
        ),
        boards_accepted=int(counts["boards_accepted"]),
        boards_expected=int(counts["boards_expected"]),
        organisations_accepted=int(counts["organisations_accepted"]),
        organisations_expected=int(counts["organisations_expected"]),
    )
