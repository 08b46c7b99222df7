"""The Programme Board's quarterly report: every section, assembled from the warehouse.

`build_board_report` reads the downstream views on one connection (pass one inside a
transaction for a consistent snapshot) and returns the `BoardReport` that
`extracts.report_page` renders. Disclosure control is applied here, section by section,
before any chart is made, exactly as `pimh export` applies it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Connection

from domain.periods import Period
from extracts.publish import Publication, build_publication
from extracts.report_boards import (
    activity_section,
    finance_section,
    services_section,
    staffing_section,
)
from extracts.report_model import BoardReport
from extracts.report_returns import (
    outcomes_section,
    people_section,
    quality_section,
    timeliness_section,
)
from warehouse.read import frame_schema, read_frame


class NothingToReportError(LookupError):
    """The warehouse holds no accepted return for the quarter."""


def returns_line(publication: Publication) -> str:
    """Which returns the report includes, as its first line says."""
    p = publication
    return (
        f"Accepted returns: {p.boards_accepted} of {p.boards_expected} NHS boards and "
        f"{p.organisations_accepted} of {p.organisations_expected} third-sector organisations."
    )


def build_board_report(
    connection: Connection, period: Period, produced_at: dt.datetime | None = None
) -> BoardReport:
    """The report for `period`; NothingToReportError when no return of it was accepted."""
    publication = build_publication(connection, period, produced_at)
    if not publication.has_returns:
        raise NothingToReportError(
            f"The warehouse holds no accepted returns for {period}: there is nothing to report."
        )
    boards = read_frame(
        connection,
        "SELECT board_code, board_name FROM dim_board",
        frame_schema(board_code=pl.String, board_name=pl.String),
    )
    return BoardReport(
        period=period,
        produced_at=publication.produced_at,
        returns_line=returns_line(publication),
        sections=(
            services_section(connection, period, boards),
            staffing_section(connection, period, boards),
            activity_section(connection, period, boards),
            finance_section(connection, period, boards),
            people_section(connection, period, boards),
            outcomes_section(connection, period, boards),
            timeliness_section(connection, period),
            quality_section(connection, period),
        ),
    )
