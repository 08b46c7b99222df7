"""Who has sent a quarter's return: the `submission_tracker` view, and whether a quarter
has begun at all.

These are questions about the warehouse's own views and calendar (`dim_quarter`,
`reporting_quarters`), asked by `pimh status` and by every export, so they are answered
here once rather than by each caller's SQL.
"""

from __future__ import annotations

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
    begun = connection.execute(
        text(f"SELECT 1 FROM reporting_quarters {_OF_QUARTER}"), period.params
    )
    if begun.first() is None:
        raise QuarterNotBegunError(
            f"{period} has not begun (it starts on {starts.day} {starts:%B %Y}): "
            "no returns are expected yet."
        )


def tracker(connection: Connection, period: Period) -> pl.DataFrame:
    """The `submission_tracker` for one quarter: boards first, then organisations, by code.

    ``received_on`` is the UTC date of the first return received, the date the view judges
    lateness by.
    """
    frame = read_frame(
        connection,
        f"SELECT {', '.join(TRACKER_SCHEMA)} FROM submission_tracker {_OF_QUARTER}",
        TRACKER_SCHEMA,
        period.params,
    )
    return frame.with_columns(received_on=pl.col("first_received_at").dt.date()).sort(
        pl.col("reporter_type").ne("board"), "reporter_code"
    )
