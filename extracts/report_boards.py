"""The boards' sections of the quarterly report: services, staffing, activity and finance.

Each reads the current accepted figures from the downstream views (`staffing`, `activity`,
`finance`, `national_activity`) and returns a `Section`. WTE and pounds are not counts of
people and are shown as reported; counts of people go through the same disclosure control
as `pimh export` (`extracts.publish.build_table`, `extracts.disclosure.suppress_counts`)
before anything is charted.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl
from sqlalchemy import Connection

from domain.periods import Period, period_of
from domain.reference import (
    SERVICES,
    SERVICES_PUBLISHED_SOURCE,
    SERVICES_RUNNING_2019,
    SERVICES_RUNNING_AUGUST_2022,
)
from extracts.catalogue import CATALOGUE
from extracts.disclosure import suppress_counts
from extracts.publish import build_table
from extracts.report_model import Chart, Section, Series, Table, bar_series, number_text
from warehouse.read import frame_schema, read_frame

RECENT_QUARTERS: Final = 4
OF_QUARTER: Final = "financial_year = :year AND quarter = :quarter"
TREND_MEASURES: Final = {
    "referrals_received": "Referrals received",
    "open_caseload": "Open caseload",
    "waiting_over_12_weeks": "Waiting over 12 weeks",
}


def board_names(boards: pl.DataFrame) -> dict[str, str]:
    return dict(zip(boards["board_code"], boards["board_name"], strict=True))


def services_section(connection: Connection, period: Period, boards: pl.DataFrame) -> Section:
    """Which board runs which service this quarter, against the published 2019 counts."""
    running = read_frame(
        connection,
        f"SELECT board_code, service FROM staffing WHERE {OF_QUARTER} "
        f"UNION SELECT board_code, service FROM activity WHERE {OF_QUARTER}",
        frame_schema(board_code=pl.String, service=pl.String),
        period.params,
    )
    services = list(SERVICES)
    counts = {s: running.filter(pl.col("service") == s).height for s in services}
    community = list(SERVICES_RUNNING_2019)
    chart = Chart(
        "columns",
        "Community services running: 2019, August 2022 and this quarter",
        tuple(community),
        (
            bar_series("2019 (published)", [str(SERVICES_RUNNING_2019[s]) for s in community]),
            bar_series(
                "August 2022 (published)", [str(SERVICES_RUNNING_AUGUST_2022[s]) for s in community]
            ),
            bar_series(f"{period} (returns)", [str(counts[s]) for s in community]),
        ),
        "Boards running the service",
    )
    national = Table(
        "Boards running each service",
        ("Service", "2019 (published)", "August 2022 (published)", f"{period} (returns)"),
        tuple(
            (
                f"{SERVICES[s]} ({s})",
                str(SERVICES_RUNNING_2019.get(s, "")),
                str(SERVICES_RUNNING_AUGUST_2022.get(s, "")),
                str(counts[s]),
            )
            for s in services
        ),
        frozenset({1, 2, 3}),
    )
    names = board_names(boards)
    pairs = set(running.iter_rows())
    by_board = Table(
        f"Services each board reported running, {period}",
        ("Board", *services),
        tuple(
            (names[code], *("running" if (code, s) in pairs else "" for s in services))
            for code in sorted(names, key=names.__getitem__)
        ),
    )
    return Section(
        "services",
        "Services running by board",
        "A board runs a service in a quarter when its return reports staff or activity for "
        "it. The 2019 and August 2022 counts are the Scottish Government's published figures "
        "(the warehouse holds no returns from before the programme).",
        (national, by_board),
        chart,
        (f"Source of the published counts: {SERVICES_PUBLISHED_SOURCE}.",),
    )


def staffing_section(connection: Connection, period: Period, boards: pl.DataFrame) -> Section:
    """Funded against in-post WTE, and vacancy rates, by board and service."""
    rows = read_frame(
        connection,
        "SELECT board_code, service, SUM(funded_wte), SUM(in_post_wte), SUM(vacant_wte) "
        f"FROM staffing WHERE {OF_QUARTER} GROUP BY board_code, service",
        frame_schema(
            board_code=pl.String,
            service=pl.String,
            funded=pl.Float64,
            in_post=pl.Float64,
            vacant=pl.Float64,
        ),
        period.params,
    ).join(boards, on="board_code", how="left")
    order = pl.col("service").cast(pl.Enum(list(SERVICES)))
    rows = rows.sort("board_name", order)
    by_board = (
        rows.group_by("board_name")
        .agg(pl.col("funded").sum(), pl.col("in_post").sum())
        .sort("board_name")
    )
    chart = Chart(
        "bars",
        f"Funded and in-post WTE by board, {period}",
        tuple(by_board["board_name"]),
        tuple(
            bar_series(name, [number_text(v, 1) for v in by_board[column]])
            for name, column in (("Funded WTE", "funded"), ("In post WTE", "in_post"))
        ),
        "WTE",
    )
    rate = (100 * pl.col("vacant") / pl.col("funded")).round(1)
    rates = rows.with_columns(rate=pl.when(pl.col("funded") > 0).then(rate))
    table = Table(
        f"Staffing by board and service, {period} (whole-time equivalent)",
        ("Board", "Service", "Funded WTE", "In post WTE", "Vacant WTE", "Vacancy rate"),
        tuple(
            (
                row["board_name"],
                row["service"],
                number_text(row["funded"], 2),
                number_text(row["in_post"], 2),
                number_text(row["vacant"], 2),
                number_text(row["rate"], 1, suffix="%"),
            )
            for row in rates.iter_rows(named=True)
        ),
        frozenset({2, 3, 4, 5}),
    )
    return Section(
        "staffing",
        "Staffing: funded posts, staff in post and vacancies",
        "Whole-time equivalents (WTE) summed over staff groups. The vacancy rate is vacant "
        "WTE as a share of funded WTE. WTE measures posts, not people, so it is shown as "
        "reported.",
        (table,),
        chart,
    )


def recent_quarters(period: Period, count: int = RECENT_QUARTERS) -> list[Period]:
    """`period` and the quarters before it, oldest first, within the programme's calendar."""
    quarters = [period]
    while len(quarters) < count:
        year, quarter = period_of(quarters[0].bounds[0] - dt.timedelta(days=1))
        if int(year[:4]) < 2019:
            break
        quarters.insert(0, Period(year, quarter))
    return quarters


def activity_section(connection: Connection, period: Period, boards: pl.DataFrame) -> Section:
    """Referrals, caseload and waits over recent quarters, Scotland; this quarter by board."""
    schema = frame_schema(**dict.fromkeys(TREND_MEASURES, pl.Int64))
    sums = ", ".join(f"SUM({measure})" for measure in TREND_MEASURES)
    quarters = recent_quarters(period)
    frames = [
        read_frame(
            connection, f"SELECT {sums} FROM national_activity WHERE {OF_QUARTER}", schema, q.params
        )
        for q in quarters
    ]
    # Counts of people: 1 to 4 hidden before anything is charted.
    published = pl.concat(frames).select(suppress_counts(pl.col(list(TREND_MEASURES))))
    labels = tuple(str(q) for q in quarters)
    chart = Chart(
        "lines",
        f"Referrals, caseload and waits, Scotland, {quarters[0]} to {period}",
        labels,
        tuple(
            bar_series(name, [text or "" for text in published[measure]])
            for measure, name in TREND_MEASURES.items()
        ),
        "People",
    )
    trend = Table(
        "Referrals, caseload and waits by quarter, Scotland (all services)",
        ("Quarter", *TREND_MEASURES.values()),
        tuple(
            (label, *(text or "" for text in row))
            for label, row in zip(labels, published.iter_rows(), strict=True)
        ),
        frozenset({1, 2, 3}),
    )
    referrals = published_table("activity_referrals_received", connection, period, boards)
    services = [c for c in referrals.columns if c in SERVICES or c == "total"]
    by_board = Table(
        f"Referrals received by board and service, {period}",
        ("Board", *(s.capitalize() if s == "total" else s for s in services)),
        tuple(
            (row["board_name"], *(row[s] or "" for s in services))
            for row in referrals.iter_rows(named=True)
        ),
        frozenset(range(1, len(services) + 1)),
    )
    return Section(
        "activity",
        "Referrals, caseload and waits",
        "People referred in each quarter, on the caseload and waiting over 12 weeks for a "
        "first assessment on its last day, summed over every board and service.",
        (trend, by_board),
        chart,
    )


def finance_section(connection: Connection, period: Period, boards: pl.DataFrame) -> Section:
    """Each board's allocation for the year against its spend so far and its forecast."""
    schema = frame_schema(
        board_code=pl.String, allocation=pl.Float64, spend=pl.Float64, forecast=pl.Float64
    )
    quarter = read_frame(
        connection,
        "SELECT board_code, SUM(allocation_gbp), SUM(spend_gbp), SUM(forecast_gbp) "
        f"FROM finance WHERE {OF_QUARTER} GROUP BY board_code",
        schema,
        period.params,
    )
    to_date = read_frame(
        connection,
        "SELECT board_code, SUM(spend_gbp) FROM finance "
        "WHERE financial_year = :year AND quarter <= :quarter GROUP BY board_code",
        frame_schema(board_code=pl.String, spend_to_date=pl.Float64),
        period.params,
    )
    rows = (
        quarter.join(to_date, on="board_code", how="left")
        .join(boards, on="board_code", how="left")
        .sort("board_name")
    )
    columns = (
        ("Allocation", "allocation"),
        ("Spend to date", "spend_to_date"),
        ("Forecast full year", "forecast"),
    )
    chart = Chart(
        "bars",
        f"Allocation, spend to date and forecast by board, {period} (£ thousand)",
        tuple(rows["board_name"]),
        tuple(
            Series(
                name,
                tuple(None if v is None else v / 1000 for v in rows[column]),
                tuple(number_text(None if v is None else v / 1000, 0) for v in rows[column]),
            )
            for name, column in columns
        ),
        "£ thousand",
    )
    share = (100 * pl.col("spend_to_date") / pl.col("allocation")).round(1)
    rows = rows.with_columns(share=pl.when(pl.col("allocation") > 0).then(share))
    table = Table(
        f"Allocation against spend by board, {period} (pounds)",
        ("Board", "Allocation", "Spend in quarter", "Spend to date", "Forecast", "Spent"),
        tuple(
            (
                row["board_name"],
                number_text(row["allocation"], prefix="£"),
                number_text(row["spend"], prefix="£"),
                number_text(row["spend_to_date"], prefix="£"),
                number_text(row["forecast"], prefix="£"),
                number_text(row["share"], 1, suffix="%"),
            )
            for row in rows.iter_rows(named=True)
        ),
        frozenset({1, 2, 3, 4, 5}),
    )
    return Section(
        "finance",
        "Allocation against spend",
        "The programme allocation for the financial year, spend in the quarters reported so "
        "far this year, and the forecast for the full year, summed over services.",
        (table,),
        chart,
    )


def published_table(
    name: str, connection: Connection, period: Period, boards: pl.DataFrame
) -> pl.DataFrame:
    """One of `pimh export`'s tables, shaped exactly as the export publishes it."""
    definition = next(table for table in CATALOGUE if table.name == name)
    return build_table(connection, period, definition, boards).frame
