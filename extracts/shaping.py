"""How a quarter's view becomes a published table: the shapes the catalogue names.

Figures that are not counts of people (WTE, pounds, bed days, boards running a service)
are published as reported (`AsReported`). Counts of people pass through disclosure
control, which needs them as a grid with totals: `activity_table` pivots one activity
measure to board x service (`PeopleByService`), `people_supported_table` sums the third
sector's people by board area and group (`PeopleByGroup`), and `outcomes_table` withholds
percentages from too few respondents (`WithheldPercentages`). Each shape also says how
many cells it hid, for the export's README.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

import polars as pl

from domain.layouts import PEOPLE_COLUMNS
from domain.reference import SERVICES
from extracts.disclosure import (
    SUPPRESSED,
    TOTAL_LABEL,
    WITHHELD,
    suppress_table,
    withhold_percentages,
)

ALL_SERVICES: Final = tuple(SERVICES)

PEOPLE_MEASURES: Final[dict[str, tuple[str, ...]]] = {
    "referrals_received": ALL_SERVICES,
    "referrals_accepted": ALL_SERVICES,
    "first_assessments": ALL_SERVICES,
    "open_caseload": ALL_SERVICES,
    "discharges": ALL_SERVICES,
    "waiting_over_12_weeks": ALL_SERVICES,
    "admissions": ("MBU",),
}
"""Activity measures that count people, and the services whose column each table has
(only a Mother and Baby Unit admits)."""


# --- tables of counts of people -----------------------------------------------------------------


def suppress_with_blanks(
    counts: pl.DataFrame, row_key: str, value_columns: list[str], *, total_column: str | None
) -> pl.DataFrame:
    """`suppress_table` for counts where a missing cell means not reported or not run.

    Such a cell adds nothing to its line's total, exactly like a published zero, so it is
    suppressed as a zero (never hidden, never a complement) and then shown blank, keeping
    "not running" apart from "running with nobody". A total is blank when every cell it adds
    up is. An empty table stays empty: a ``Total`` row of zeros would claim zero activity.
    """
    numbers = [*value_columns, *([total_column] if total_column else [])]
    if counts.is_empty():
        return pl.DataFrame(schema={row_key: pl.String, **dict.fromkeys(numbers, pl.String)})
    reported = counts.select(pl.col(row_key).cast(pl.String), pl.col(value_columns).is_not_null())
    if total_column:
        reported = reported.with_columns(pl.any_horizontal(value_columns).alias(total_column))
    reported = pl.concat(
        [reported, reported.select(pl.lit(TOTAL_LABEL).alias(row_key), pl.col(numbers).any())]
    )
    published = suppress_table(
        counts.with_columns(pl.col(value_columns).fill_null(0)),
        row_key,
        value_columns,
        total_column=total_column,
    )
    return published.with_columns(
        pl.when(pl.lit(reported[name])).then(pl.col(name)).otherwise(None).alias(name)
        for name in numbers
    )


def count_suppressed(frame: pl.DataFrame, columns: list[str]) -> int:
    """How many cells of `columns` are published as ``*``."""
    if frame.is_empty() or not columns:
        return 0
    return int(frame.select(pl.sum_horizontal(pl.col(columns).eq(SUPPRESSED).sum())).item())


def activity_table(activity: pl.DataFrame, measure: str) -> pl.DataFrame:
    """One people measure of the `activity` view as a published board x service table.

    Rows are the boards that report any of the measure's services this quarter (a board
    without a Mother and Baby Unit has no admissions row); a single-service table has no
    ``total`` column, which would only repeat it.
    """
    services = list(PEOPLE_MEASURES[measure])
    wide = (
        activity.filter(pl.col("service").is_in(services))
        .pivot(on="service", on_columns=services, index="board_code", values=measure)
        .sort("board_code")
    )
    return suppress_with_blanks(
        wide, "board_code", services, total_column="total" if len(services) > 1 else None
    )


def people_supported_table(ts_activity: pl.DataFrame) -> pl.DataFrame:
    """The `third_sector_activity` view as published: board area x group, with totals.

    Summed over organisations and support types; a group nobody in an area reported stays
    blank rather than becoming a zero.
    """
    groups = list(PEOPLE_COLUMNS)
    by_area = (
        ts_activity.group_by("board_code")
        .agg(
            pl.when(pl.col(group).is_not_null().any()).then(pl.col(group).sum()).alias(group)
            for group in groups
        )
        .sort("board_code")
    )
    return suppress_with_blanks(by_area, "board_code", groups, total_column="total")


def outcomes_table(outcomes: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """National outcomes as published, and how many cells disclosure control blanked.

    Counted: each ``*`` and each percentage withheld although there were respondents (a
    blank from nobody responding hides nothing).
    """
    published = withhold_percentages(
        outcomes, "reporting_improvement", "respondents", "percent_improved"
    )
    withheld = (outcomes["respondents"].fill_null(0) > 0) & published["percent_improved"].eq(
        WITHHELD
    )
    stars = count_suppressed(published, ["respondents", "reporting_improvement"])
    return published, stars + int(withheld.sum())


def with_board_names(frame: pl.DataFrame, boards: pl.DataFrame, total_name: str) -> pl.DataFrame:
    """`frame` keyed by board_code with each board's name beside it (and the totals row's).

    `boards` is the ``dim_board`` dimension: board_code and board_name.
    """
    named = frame.join(boards, on="board_code", how="left", maintain_order="left")
    name = (
        pl.when(pl.col("board_code").eq(TOTAL_LABEL))
        .then(pl.lit(total_name))
        .otherwise(pl.col("board_name"))
    )
    return named.select(
        "board_code", name.alias("board_name"), pl.exclude("board_code", "board_name")
    )


# --- the shapes ---------------------------------------------------------------------------------


class Shape(Protocol):
    """How the rows read for a table are published, and how many cells that hides."""

    def publish(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, int]: ...


@dataclass(frozen=True)
class AsReported:
    """Not counts of people, so nothing to hide: the rows in a reader's order.

    `order_only` are columns read just to order by (a dimension's sort order), which are
    not published.
    """

    order: tuple[str | pl.Expr, ...] = ()
    order_only: tuple[str, ...] = ()

    def publish(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        ordered = rows.sort(*self.order) if self.order else rows
        return ordered.drop(self.order_only), 0


@dataclass(frozen=True)
class PeopleByService:
    """One people measure of the activity view, board x service, through `activity_table`."""

    measure: str

    def publish(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        services = PEOPLE_MEASURES[self.measure]
        published = activity_table(rows, self.measure)
        numbers = [*services, *(["total"] if len(services) > 1 else [])]
        return published, count_suppressed(published, numbers)


@dataclass(frozen=True)
class PeopleByGroup:
    """Third-sector people supported, board area x group, through `people_supported_table`."""

    def publish(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        published = people_supported_table(rows)
        return published, count_suppressed(published, [*PEOPLE_COLUMNS, "total"])


@dataclass(frozen=True)
class WithheldPercentages:
    """Respondents and improvement counts with their percentage, through `outcomes_table`."""

    def publish(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        return outcomes_table(rows)
