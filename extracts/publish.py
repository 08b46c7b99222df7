"""One quarter's published tables: the downstream views with disclosure control applied.

`build_publication` reads a quarter from the warehouse's views (SPEC.md, "What the
warehouse serves") and returns every table as a polars frame ready for `extracts.writers`.
Nothing internal is ever selected (contact details of whoever completed a return,
submission ids, source rows, file hashes), so no writer can leak it.

Every table starts with ``financial_year`` and ``quarter``, so files from several quarters
stack. A blank cell means not reported, or a service the board does not run; ``0`` is zero.

Boards:

* ``staffing``: WTE by board, service and staff group. WTE measures posts, not people, so
  it is published as reported.
* ``finance``: allocation, spend and forecast (pounds) by board and service, as reported.
* ``activity_referrals_received``, ``activity_referrals_accepted``,
  ``activity_first_assessments``, ``activity_open_caseload``, ``activity_discharges``,
  ``activity_waiting_over_12_weeks``: counts of people, one board x service table per
  measure with a ``total`` column and a ``Total`` row, through `suppress_table` (counts 1
  to 4 and the cells that would give them back shown as ``*``).
* ``activity_admissions``: people admitted to a Mother and Baby Unit, by board, the same way.
* ``mbu_bed_days``: occupied and available bed days. Days, not people: as reported.
* ``national_services``, ``national_staffing``, ``national_finance``: the national
  roll-up views (boards running each service, WTE and vacancy rate, pounds).

Third sector:

* ``third_sector_people_supported``: people newly supported by board area and group
  (mothers, fathers_partners, infants, other_carers) with totals, through `suppress_table`.
* ``third_sector_outcomes``: per outcome, nationally: respondents, reporting improvement and
  the percentage improved, through `withhold_percentages` (counts 1 to 4 as ``*``;
  percentages from fewer than 5 respondents, or from a hidden count, left blank).
* ``third_sector_funds``: per fund stream, from the register and the returns: organisations,
  awards, grant awarded and spend (pounds).
* ``third_sector_finance``: per organisation: charity number, name (from the register),
  fund, grant awarded and spend.

Deliberately not published: the ``national_activity`` and ``national_people_supported``
views. Their sums of people are the ``Total`` rows of the activity and people-supported
tables; published beside them unsuppressed they would give hidden totals back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import polars as pl
import polars.selectors as cs
from sqlalchemy import Connection

from domain.layouts import PEOPLE_COLUMNS
from domain.periods import Period
from domain.reference import SERVICES
from extracts.shaping import (
    PEOPLE_MEASURES,
    activity_table,
    count_suppressed,
    outcomes_table,
    people_supported_table,
    with_board_names,
)
from warehouse.read import frame_schema, read_frame
from warehouse.tracker import tracker

# --- what is published ----------------------------------------------------------------------

TABLES: Final[dict[str, str]] = {
    "staffing": "Staffing (WTE) by board, service and staff group",
    "finance": "Finance (pounds) by board and service",
    **{
        f"activity_{measure}": (
            f"{measure.replace('_', ' ').capitalize()} (people) by board and service, with totals"
        )
        for measure in PEOPLE_MEASURES
        if measure != "admissions"
    },
    "activity_admissions": "Mother and Baby Unit admissions (people) by board, with total",
    "mbu_bed_days": "Mother and Baby Unit occupied and available bed days by board",
    "national_services": "Boards running each service",
    "national_staffing": "Staffing (WTE) and vacancy rate by service and staff group, Scotland",
    "national_finance": "Finance (pounds) and spend as % of allocation by service, Scotland",
    "third_sector_people_supported": (
        "People newly supported by third-sector organisations by board area and group, with totals"
    ),
    "third_sector_outcomes": "Third-sector outcomes, Scotland: people reporting improvement",
    "third_sector_funds": "Third-sector fund streams: organisations, awards, grant and spend",
    "third_sector_finance": "Third-sector grant awarded and spend by organisation",
}
"""Every published table, in publication order, with the title the README gives it."""

ALL_BOARDS: Final = "All boards"
ALL_AREAS: Final = "All board areas"

_SERVICE_ORDER: Final = pl.Enum(list(SERVICES))


_PERIOD = "financial_year = :year AND quarter = :quarter"


# --- the publication ----------------------------------------------------------------------------


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


_MEASURES_SCHEMA = frame_schema(
    board_code=pl.String,
    service=pl.String,
    **dict.fromkeys(PEOPLE_MEASURES, pl.Int64),
    occupied_bed_days=pl.Int64,
    available_bed_days=pl.Int64,
)


def _board_tables(
    connection: Connection, period: Period, boards: pl.DataFrame
) -> list[PublishedTable]:
    staffing = read_frame(
        connection,
        """SELECT s.board_code, s.service, s.staff_group, s.funded_wte, s.in_post_wte,
                   s.vacant_wte, g.sort_order
            FROM staffing s LEFT JOIN dim_staff_group g ON g.staff_group = s.staff_group
            WHERE s.financial_year = :year AND s.quarter = :quarter""",
        frame_schema(
            board_code=pl.String,
            service=pl.String,
            staff_group=pl.String,
            funded_wte=pl.Float64,
            in_post_wte=pl.Float64,
            vacant_wte=pl.Float64,
            sort_order=pl.Int64,
        ),
        period.params,
    ).sort("board_code", pl.col("service").cast(_SERVICE_ORDER), "sort_order")
    finance = read_frame(
        connection,
        f"""SELECT board_code, service, allocation_gbp, spend_gbp, forecast_gbp
            FROM finance WHERE {_PERIOD}""",
        frame_schema(
            board_code=pl.String,
            service=pl.String,
            allocation_gbp=pl.Float64,
            spend_gbp=pl.Float64,
            forecast_gbp=pl.Float64,
        ),
        period.params,
    ).sort("board_code", pl.col("service").cast(_SERVICE_ORDER))
    activity = read_frame(
        connection,
        f"SELECT {', '.join(_MEASURES_SCHEMA)} FROM activity WHERE {_PERIOD}",
        _MEASURES_SCHEMA,
        period.params,
    )
    bed_days = activity.filter(
        pl.col("occupied_bed_days").is_not_null() | pl.col("available_bed_days").is_not_null()
    ).select("board_code", "service", "occupied_bed_days", "available_bed_days")

    tables = [
        PublishedTable(
            "staffing",
            TABLES["staffing"],
            with_board_names(staffing.drop("sort_order"), boards, ALL_BOARDS),
        ),
        PublishedTable("finance", TABLES["finance"], with_board_names(finance, boards, ALL_BOARDS)),
    ]
    for measure, services in PEOPLE_MEASURES.items():
        published = activity_table(activity, measure)
        numbers = [*services, *(["total"] if len(services) > 1 else [])]
        name = f"activity_{measure}"
        tables.append(
            PublishedTable(
                name,
                TABLES[name],
                with_board_names(published, boards, ALL_BOARDS),
                count_suppressed(published, numbers),
            )
        )
    tables.append(
        PublishedTable(
            "mbu_bed_days",
            TABLES["mbu_bed_days"],
            with_board_names(bed_days.sort("board_code", "service"), boards, ALL_BOARDS),
        )
    )
    return tables


def _national_tables(connection: Connection, period: Period) -> list[PublishedTable]:
    services = read_frame(
        connection,
        f"SELECT service, boards_running FROM national_services WHERE {_PERIOD}",
        frame_schema(service=pl.String, boards_running=pl.Int64),
        period.params,
    )
    staffing = read_frame(
        connection,
        """SELECT n.service, n.staff_group, n.boards, n.funded_wte, n.in_post_wte,
                   n.vacant_wte, n.vacancy_rate_pct, g.sort_order
            FROM national_staffing n
            LEFT JOIN dim_staff_group g ON g.staff_group = n.staff_group
            WHERE n.financial_year = :year AND n.quarter = :quarter""",
        frame_schema(
            service=pl.String,
            staff_group=pl.String,
            boards=pl.Int64,
            funded_wte=pl.Float64,
            in_post_wte=pl.Float64,
            vacant_wte=pl.Float64,
            vacancy_rate_pct=pl.Float64,
            sort_order=pl.Int64,
        ),
        period.params,
    )
    finance = read_frame(
        connection,
        f"""SELECT service, boards, allocation_gbp, spend_gbp, forecast_gbp,
                   spend_pct_of_allocation
            FROM national_finance WHERE {_PERIOD}""",
        frame_schema(
            service=pl.String,
            boards=pl.Int64,
            allocation_gbp=pl.Float64,
            spend_gbp=pl.Float64,
            forecast_gbp=pl.Float64,
            spend_pct_of_allocation=pl.Float64,
        ),
        period.params,
    )
    by_service = pl.col("service").cast(_SERVICE_ORDER)
    return [
        PublishedTable("national_services", TABLES["national_services"], services.sort(by_service)),
        PublishedTable(
            "national_staffing",
            TABLES["national_staffing"],
            staffing.sort(by_service, "sort_order").drop("sort_order"),
        ),
        PublishedTable("national_finance", TABLES["national_finance"], finance.sort(by_service)),
    ]


def _third_sector_tables(
    connection: Connection, period: Period, boards: pl.DataFrame
) -> list[PublishedTable]:
    ts_activity = read_frame(
        connection,
        f"""SELECT board_code, {", ".join(PEOPLE_COLUMNS)}
            FROM third_sector_activity WHERE {_PERIOD}""",
        frame_schema(board_code=pl.String, **dict.fromkeys(PEOPLE_COLUMNS, pl.Int64)),
        period.params,
    )
    people = people_supported_table(ts_activity)
    outcomes, outcomes_hidden = outcomes_table(
        read_frame(
            connection,
            """SELECT n.outcome, d.description, n.organisations_reporting, n.respondents,
                      n.reporting_improvement
               FROM national_outcomes n
               LEFT JOIN dim_outcome d ON d.outcome_code = n.outcome
               WHERE n.financial_year = :year AND n.quarter = :quarter
               ORDER BY d.sort_order""",
            frame_schema(
                outcome=pl.String,
                description=pl.String,
                organisations_reporting=pl.Int64,
                respondents=pl.Int64,
                reporting_improvement=pl.Int64,
            ),
            period.params,
        )
    )
    funds = read_frame(
        connection,
        """SELECT n.fund, d.fund_name, n.organisations, n.organisations_reporting,
                  n.total_award_gbp, n.average_award_gbp, n.grant_awarded_gbp, n.spend_gbp
           FROM national_funds n LEFT JOIN dim_fund d ON d.fund_code = n.fund
           WHERE n.financial_year = :year AND n.quarter = :quarter""",
        frame_schema(
            fund=pl.String,
            fund_name=pl.String,
            organisations=pl.Int64,
            organisations_reporting=pl.Int64,
            total_award_gbp=pl.Float64,
            average_award_gbp=pl.Float64,
            grant_awarded_gbp=pl.Float64,
            spend_gbp=pl.Float64,
        ),
        period.params,
    ).sort("fund")
    finance = read_frame(
        connection,
        """SELECT f.charity_number, r.name AS organisation, f.fund, f.grant_awarded_gbp,
                  f.spend_gbp
           FROM third_sector_finance f
           LEFT JOIN register r ON r.charity_number = f.charity_number
                                AND r.financial_year = f.financial_year
                                AND r.quarter = f.quarter
           WHERE f.financial_year = :year AND f.quarter = :quarter""",
        frame_schema(
            charity_number=pl.String,
            organisation=pl.String,
            fund=pl.String,
            grant_awarded_gbp=pl.Float64,
            spend_gbp=pl.Float64,
        ),
        period.params,
    ).sort("charity_number")
    return [
        PublishedTable(
            "third_sector_people_supported",
            TABLES["third_sector_people_supported"],
            with_board_names(people, boards, ALL_AREAS),
            count_suppressed(people, [*PEOPLE_COLUMNS, "total"]),
        ),
        PublishedTable(
            "third_sector_outcomes", TABLES["third_sector_outcomes"], outcomes, outcomes_hidden
        ),
        PublishedTable("third_sector_funds", TABLES["third_sector_funds"], funds),
        PublishedTable("third_sector_finance", TABLES["third_sector_finance"], finance),
    ]


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
    boards = read_frame(
        connection,
        "SELECT board_code, board_name FROM dim_board",
        frame_schema(board_code=pl.String, board_name=pl.String),
    )
    tables = [
        *_board_tables(connection, period, boards),
        *_national_tables(connection, period),
        *_third_sector_tables(connection, period, boards),
    ]
    if [table.name for table in tables] != list(TABLES):
        raise RuntimeError("the published tables do not match extracts.publish.TABLES")
    return Publication(
        period=period,
        produced_at=produced_at or dt.datetime.now(dt.UTC),
        tables=tuple(
            PublishedTable(t.name, t.title, _with_period(t.frame, period), t.suppressed)
            for t in tables
        ),
        boards_accepted=int(counts["boards_accepted"]),
        boards_expected=int(counts["boards_expected"]),
        organisations_accepted=int(counts["organisations_accepted"]),
        organisations_expected=int(counts["organisations_expected"]),
    )
