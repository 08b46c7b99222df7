"""The third sector's and the returns' sections of the quarterly report.

People supported and the fund's outcomes are `pimh export`'s own published tables
(`extracts.publish.build_table`): the same suppression of counts from 1 to 4, the same
secondary suppression behind totals, the same withheld percentages. Timeliness reads the
`submission_tracker` view, and the data-quality scores the `data_quality` view; neither
counts people.
"""

from __future__ import annotations

from typing import Final

import polars as pl
from sqlalchemy import Connection

from domain.layouts import PEOPLE_COLUMNS, TSR_ACTIVITY
from domain.periods import Period
from extracts.disclosure import SMALLEST_SHOWN, SUPPRESSED, WITHHELD
from extracts.report_boards import published_table
from extracts.report_model import Chart, Section, Table, bar_series, number_text
from warehouse.read import frame_schema, read_frame
from warehouse.tracker import tracker

TRACKER_STATUSES: Final = {
    "accepted": "On time",
    "late": "Late",
    "rejected": "Rejected: awaiting resubmission",
    "missing": "Missing",
}
SCORES: Final = {
    "timeliness_score": "Timeliness",
    "validity_score": "Validity",
    "completeness_score": "Completeness",
    "resubmissions_score": "Resubmissions",
    "warnings_explained_score": "Warnings explained",
    "overall_score": "Overall",
}


def people_section(connection: Connection, period: Period, boards: pl.DataFrame) -> Section:
    """People newly supported by the funded charities, by board area and group."""
    people = published_table("third_sector_people_supported", connection, period, boards)
    groups = [*PEOPLE_COLUMNS, "total"]
    headers = [TSR_ACTIVITY.column(g).header for g in PEOPLE_COLUMNS]
    areas = people.filter(pl.col("board_code") != "Total")
    chart = Chart(
        "bars",
        f"People newly supported by board area, {period}",
        tuple(areas["board_name"]),
        (bar_series("All people", [text or "" for text in areas["total"]]),),
        "People",
    )
    table = Table(
        f"People newly supported by third-sector organisations, {period}",
        ("Board area", *headers, "Total"),
        tuple(
            (row["board_name"], *(row[g] or "" for g in groups))
            for row in people.iter_rows(named=True)
        ),
        frozenset(range(1, len(groups) + 1)),
    )
    return Section(
        "people",
        "Third sector: people supported by board area",
        "People newly supported this quarter by the charities the fund supports, summed over "
        "organisations and types of support.",
        (table,),
        chart,
    )


def outcomes_section(connection: Connection, period: Period, boards: pl.DataFrame) -> Section:
    """The fund's five outcomes: the share of respondents reporting improvement."""
    outcomes = published_table("third_sector_outcomes", connection, period, boards)
    percent = [
        SUPPRESSED if text == WITHHELD and respondents else text
        for text, respondents in zip(
            outcomes["percent_improved"], outcomes["respondents"], strict=True
        )
    ]
    names = [
        str(d or o).capitalize()
        for d, o in zip(outcomes["description"], outcomes["outcome"], strict=True)
    ]
    chart = Chart(
        "bars",
        f"People reporting improvement, by outcome, {period}",
        tuple(names),
        (bar_series("Reporting improvement", percent),),
        "Per cent of respondents",
        limit=100,
    )
    table = Table(
        f"The fund's outcomes, Scotland, {period}",
        ("Outcome", "Organisations reporting", "Respondents", "Reporting improvement", "Per cent"),
        tuple(
            (
                name,
                str(row["organisations_reporting"]),
                row["respondents"] or "",
                row["reporting_improvement"] or "",
                f"{p}%" if p and p != SUPPRESSED else p or "",
            )
            for name, p, row in zip(names, percent, outcomes.iter_rows(named=True), strict=True)
        ),
        frozenset({1, 2, 3, 4}),
    )
    return Section(
        "outcomes",
        "Third sector: the fund's outcomes",
        "People asked this quarter, and how many reported improvement in each of the fund's "
        f"outcomes. A percentage from fewer than {SMALLEST_SHOWN} respondents, or from a hidden "
        f"count, is shown as {SUPPRESSED}.",
        (table,),
        chart,
    )


def timeliness_section(connection: Connection, period: Period) -> Section:
    """How many returns came on time, late, rejected or not at all, and whose."""
    progress = tracker(connection, period)
    kinds = (("board", "NHS boards"), ("organisation", "Organisations"))
    counts = {
        (kind, status): progress.filter(
            (pl.col("reporter_type") == kind) & (pl.col("status") == status)
        ).height
        for kind, _ in kinds
        for status in TRACKER_STATUSES
    }
    chart = Chart(
        "columns",
        f"Returns for {period} by what became of them",
        tuple(TRACKER_STATUSES.values()),
        tuple(
            bar_series(label, [str(counts[kind, s]) for s in TRACKER_STATUSES])
            for kind, label in kinds
        ),
        "Returns",
    )
    summary = Table(
        f"Returns expected for {period} (due {period.due_on.day} {period.due_on:%B %Y})",
        ("Reporters", *TRACKER_STATUSES.values(), "Expected"),
        tuple(
            (
                label,
                *(str(counts[kind, s]) for s in TRACKER_STATUSES),
                str(progress.filter(pl.col("reporter_type") == kind).height),
            )
            for kind, label in kinds
        ),
        frozenset({1, 2, 3, 4, 5}),
    )
    owed = progress.filter(pl.col("status") != "accepted")
    exceptions = Table(
        "Returns late, rejected or missing",
        ("Code", "Reporter", "Status", "First received", "Due"),
        tuple(
            (
                row["reporter_code"],
                row["reporter_name"] or "",
                TRACKER_STATUSES[row["status"]],
                row["received_on"].isoformat() if row["received_on"] else "",
                row["due_on"].isoformat() if row["due_on"] else "",
            )
            for row in owed.iter_rows(named=True)
        ),
    )
    return Section(
        "timeliness",
        "Timeliness of returns",
        "A return is late when it first arrived after its due date, 30 days after the "
        "quarter ended, even if a later correction was the one accepted.",
        (summary, exceptions),
        chart,
    )


def quality_section(connection: Connection, period: Period) -> Section:
    """Each reporter's data-quality scores (the `data_quality` view)."""
    rows = read_frame(
        connection,
        "SELECT reporter_code, reporter_name, reporter_type, days_from_due, returns_received, "
        "resubmissions_needed, errors_before_acceptance, cells_expected, cells_not_reported, "
        f"warnings, {', '.join(SCORES)} FROM data_quality "
        "WHERE financial_year = :year AND quarter = :quarter",
        frame_schema(
            reporter_code=pl.String,
            reporter_name=pl.String,
            reporter_type=pl.String,
            days_from_due=pl.Int64,
            returns_received=pl.Int64,
            resubmissions_needed=pl.Int64,
            errors=pl.Int64,
            cells_expected=pl.Int64,
            cells_not_reported=pl.Int64,
            warnings=pl.Int64,
            **dict.fromkeys(SCORES, pl.Float64),
        ),
        period.params,
    ).sort(pl.col("reporter_type") != "board", "reporter_code")
    scored = rows.filter(pl.col("overall_score").is_not_null()).sort(
        "overall_score", "reporter_name"
    )
    chart = Chart(
        "bars",
        f"Overall data-quality score by reporter, {period}",
        tuple(scored["reporter_name"].fill_null(scored["reporter_code"])),
        (bar_series("Overall score", [number_text(v, 1) for v in scored["overall_score"]]),),
        "Score (0 to 100)",
        limit=100,
    )
    table = Table(
        f"Data-quality scores, {period}",
        (
            "Reporter",
            "Days from due",
            "Returns",
            "Rejected",
            "Errors",
            "Cells empty",
            *SCORES.values(),
        ),
        tuple(
            (
                row["reporter_name"] or row["reporter_code"],
                number_text(row["days_from_due"]),
                str(row["returns_received"]),
                str(row["resubmissions_needed"]),
                str(row["errors"]),
                ""
                if row["cells_expected"] is None
                else f"{row['cells_not_reported']} of {row['cells_expected']}",
                *(number_text(row[s], 1) for s in SCORES),
            )
            for row in rows.iter_rows(named=True)
        ),
        frozenset(range(1, 12)),
    )
    return Section(
        "quality",
        "Data quality",
        "Scores from 0 to 100 in the style of NHS England's Data Quality Maturity Index. "
        "Timeliness: 100 on or before the due date, 5 fewer per day late, 0 if missing. "
        "Validity: 100 less 10 per error per return sent. Completeness: the share of expected "
        "cells filled in the accepted return. Resubmissions: 100 less 25 per rejected return. "
        "Warnings explained: the share of warnings explained (blank until reporters can "
        "explain warnings). Overall: the mean of the scores shown.",
        (table,),
        chart,
    )
