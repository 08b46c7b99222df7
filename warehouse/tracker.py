"""Who has sent a quarter's return: the `submission_tracker` view, and whether a quarter
has begun at all.

These are questions about the warehouse's own views and calendar (`dim_quarter`,
`reporting_quarters`), asked by `pimh status` and by every export, so they are answered
here once rather than by each caller's SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl
from sqlalchemy import Connection, Date, column, text

from domain.periods import Period
from warehouse.read import frame_schema, read_frame

_OF_QUARTER: Final = "WHERE financial_year = :year AND quarter = :quarter"

TRACKER_SCHEMA: Final = frame_schema(
    reporter_code=pl.String,
    reporter_name=pl.String,
    reporter_type=pl.String,
    fund=pl.String,
    status=pl.String,
    due_on=pl.Date,
    first_received_at=pl.Datetime("us", "UTC"),
    errors=pl.Int64,
    warnings=pl.Int64,
)
"""The tracker's columns as read from the view (`tracker` adds ``received_on``)."""


class QuarterNotBegunError(LookupError):
    """Nothing is expected for the quarter: it has not begun, or is outside the calendar."""


def check_quarter_begun(connection: Connection, period: Period) -> None:
    """Raise QuarterNotBegunError, with the reason in plain English, unless `period` has begun.

    A tracker or extract of a quarter nobody can have reported yet is almost always a typo
    in the year, so it is refused rather than shown as everybody missing.
    """
    starts = connection.execute(
        text(f"SELECT starts_on FROM dim_quarter {_OF_QUARTER}").columns(
            column("starts_on", Date())
        ),
        period.params,
    ).scalar()
    if starts is None:
        raise QuarterNotBegunError(f"{period} is outside the programme's calendar of quarters.")
    if not begun_quarters(connection, [period]):
        raise QuarterNotBegunError(
            f"{period} has not begun (it starts on {starts.day} {starts:%B %Y}): "
            "no returns are expected yet."
        )


def tracker(connection: Connection, period: Period) -> pl.DataFrame:
    """The `submission_tracker` for one quarter: boards first, then organisations, by code.

    ``received_on`` is the UTC date of the first return received, the date the view judges
    lateness by.
    """
    return trackers(connection, [period])[period]


def _in_tracker_order(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(received_on=pl.col("first_received_at").dt.date()).sort(
        pl.col("reporter_type").ne("board"), "reporter_code"
    )


def _of_quarters(periods: Sequence[Period]) -> tuple[str, dict[str, str]]:
    """A WHERE clause matching any of `periods`, and its bind parameters."""
    clauses = " OR ".join(
        f"(financial_year = :year{i} AND quarter = :quarter{i})" for i in range(len(periods))
    )
    params: dict[str, str] = {}
    for i, period in enumerate(periods):
        params |= {f"year{i}": period.financial_year, f"quarter{i}": period.quarter}
    return f"WHERE {clauses}", params


def begun_quarters(connection: Connection, periods: Sequence[Period]) -> list[Period]:
    """Those of `periods` that have begun (see `check_quarter_begun`), in the order given:
    one query for however many quarters a run touched."""
    if not periods:
        return []
    where, params = _of_quarters(periods)
    begun = {
        (year, quarter)
        for year, quarter in connection.execute(
            text(f"SELECT financial_year, quarter FROM reporting_quarters {where}"), params
        )
    }
    return [p for p in periods if (p.financial_year, p.quarter) in begun]


def trackers(connection: Connection, periods: Sequence[Period]) -> dict[Period, pl.DataFrame]:
    """`tracker` of each of `periods`, read in one query (a backfill touches forty)."""
    if not periods:
        return {}
    where, params = _of_quarters(periods)
    columns = ["financial_year", "quarter", *TRACKER_SCHEMA]
    frame = read_frame(
        connection,
        f"SELECT {', '.join(columns)} FROM submission_tracker {where}",
        frame_schema(financial_year=pl.String, quarter=pl.String, **TRACKER_SCHEMA),
        params,
    )
    parts = frame.partition_by("financial_year", "quarter", as_dict=True)
    empty = frame.clear()
    return {
        period: _in_tracker_order(
            parts.get((period.financial_year, period.quarter), empty).drop(
                "financial_year", "quarter"
            )
        )
        for period in periods
    }
