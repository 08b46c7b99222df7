"""What is published for a quarter, and why: one entry per table, in publication order.

Each entry names the table, gives the title the README shows, the warehouse view it reads
(SPEC.md, "What the warehouse serves") with the columns and polars types it reads, and the
shape disclosure control gives it (`extracts.shaping`); `extracts.publish` builds every
table from its entry. Nothing internal is ever selected (contact details of whoever
completed a return, submission ids, source rows, file hashes), so no writer can leak it.

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

from dataclasses import dataclass
from typing import Final

import polars as pl

from domain.layouts import PEOPLE_COLUMNS
from domain.reference import SERVICES
from extracts.shaping import (
    PEOPLE_MEASURES,
    AsReported,
    PeopleByGroup,
    PeopleByService,
    Shape,
    WithheldPercentages,
)
from warehouse.read import frame_schema

ALL_BOARDS: Final = "All boards"
ALL_AREAS: Final = "All board areas"

OF_QUARTER: Final = "financial_year = :year AND quarter = :quarter"
"""The condition, with `Period.params`, that picks one quarter's rows of a view."""


@dataclass(frozen=True)
class TableDefinition:
    """One published table: what it is called, what it reads and how it is shaped.

    `sql` is given where the view needs a dimension joined (names, sort orders) or rows
    left out, and selects the columns in the order of `columns`, which names and types
    them; otherwise the table reads `columns` of `view` for the quarter. `board_names`, for
    a table keyed by board_code, is what its ``Total`` row is called in the board_name
    column put beside the code; None for a table not keyed by board.
    """

    name: str
    title: str
    view: str
    columns: pl.Schema
    shape: Shape
    sql: str | None = None
    board_names: str | None = None

    @property
    def query(self) -> str:
        """The SQL the table reads, with `:year` and `:quarter` to bind."""
        return self.sql or f"SELECT {', '.join(self.columns)} FROM {self.view} WHERE {OF_QUARTER}"


BY_SERVICE: Final = pl.col("service").cast(pl.Enum(list(SERVICES)))
"""Services in the programme's order (CPMHT, IMH, MNPI, MBU), not alphabetically."""


def _people_by_service(measure: str, title: str | None = None) -> TableDefinition:
    """The activity table of one people measure; its title says what the measure is."""
    return TableDefinition(
        name=f"activity_{measure}",
        title=title
        or f"{measure.replace('_', ' ').capitalize()} (people) by board and service, with totals",
        view="activity",
        columns=frame_schema(board_code=pl.String, service=pl.String, **{measure: pl.Int64}),
        shape=PeopleByService(measure),
        board_names=ALL_BOARDS,
    )


_BOARDS: Final = (
    TableDefinition(
        name="staffing",
        title="Staffing (WTE) by board, service and staff group",
        view="staffing",
        sql="""SELECT s.board_code, s.service, s.staff_group, s.funded_wte, s.in_post_wte,
                      s.vacant_wte, g.sort_order
               FROM staffing s LEFT JOIN dim_staff_group g ON g.staff_group = s.staff_group
               WHERE s.financial_year = :year AND s.quarter = :quarter""",
        columns=frame_schema(
            board_code=pl.String,
            service=pl.String,
            staff_group=pl.String,
            funded_wte=pl.Float64,
            in_post_wte=pl.Float64,
            vacant_wte=pl.Float64,
            sort_order=pl.Int64,
        ),
        shape=AsReported(
            order=("board_code", BY_SERVICE, "sort_order"), order_only=("sort_order",)
        ),
        board_names=ALL_BOARDS,
    ),
    TableDefinition(
        name="finance",
        title="Finance (pounds) by board and service",
        view="finance",
        columns=frame_schema(
            board_code=pl.String,
            service=pl.String,
            allocation_gbp=pl.Float64,
            spend_gbp=pl.Float64,
            forecast_gbp=pl.Float64,
        ),
        shape=AsReported(order=("board_code", BY_SERVICE)),
        board_names=ALL_BOARDS,
    ),
    *(_people_by_service(measure) for measure in PEOPLE_MEASURES if measure != "admissions"),
    _people_by_service(
        "admissions", "Mother and Baby Unit admissions (people) by board, with total"
    ),
    TableDefinition(
        name="mbu_bed_days",
        title="Mother and Baby Unit occupied and available bed days by board",
        view="activity",
        sql=f"""SELECT board_code, service, occupied_bed_days, available_bed_days
                FROM activity
                WHERE {OF_QUARTER}
                  AND (occupied_bed_days IS NOT NULL OR available_bed_days IS NOT NULL)""",
        columns=frame_schema(
            board_code=pl.String,
            service=pl.String,
            occupied_bed_days=pl.Int64,
            available_bed_days=pl.Int64,
        ),
        shape=AsReported(order=("board_code", "service")),
        board_names=ALL_BOARDS,
    ),
)

_NATIONAL: Final = (
    TableDefinition(
        name="national_services",
        title="Boards running each service",
        view="national_services",
        columns=frame_schema(service=pl.String, boards_running=pl.Int64),
        shape=AsReported(order=(BY_SERVICE,)),
    ),
    TableDefinition(
        name="national_staffing",
        title="Staffing (WTE) and vacancy rate by service and staff group, Scotland",
        view="national_staffing",
        sql="""SELECT n.service, n.staff_group, n.boards, n.funded_wte, n.in_post_wte,
                      n.vacant_wte, n.vacancy_rate_pct, g.sort_order
               FROM national_staffing n
               LEFT JOIN dim_staff_group g ON g.staff_group = n.staff_group
               WHERE n.financial_year = :year AND n.quarter = :quarter""",
        columns=frame_schema(
            service=pl.String,
            staff_group=pl.String,
            boards=pl.Int64,
            funded_wte=pl.Float64,
            in_post_wte=pl.Float64,
            vacant_wte=pl.Float64,
            vacancy_rate_pct=pl.Float64,
            sort_order=pl.Int64,
        ),
        shape=AsReported(order=(BY_SERVICE, "sort_order"), order_only=("sort_order",)),
    ),
    TableDefinition(
        name="national_finance",
        title="Finance (pounds) and spend as % of allocation by service, Scotland",
        view="national_finance",
        columns=frame_schema(
            service=pl.String,
            boards=pl.Int64,
            allocation_gbp=pl.Float64,
            spend_gbp=pl.Float64,
            forecast_gbp=pl.Float64,
            spend_pct_of_allocation=pl.Float64,
        ),
        shape=AsReported(order=(BY_SERVICE,)),
    ),
)

_THIRD_SECTOR: Final = (
    TableDefinition(
        name="third_sector_people_supported",
        title=(
            "People newly supported by third-sector organisations by board area and group, "
            "with totals"
        ),
        view="third_sector_activity",
        columns=frame_schema(board_code=pl.String, **dict.fromkeys(PEOPLE_COLUMNS, pl.Int64)),
        shape=PeopleByGroup(),
        board_names=ALL_AREAS,
    ),
    TableDefinition(
        name="third_sector_outcomes",
        title="Third-sector outcomes, Scotland: people reporting improvement",
        view="national_outcomes",
        sql="""SELECT n.outcome, d.description, n.organisations_reporting, n.respondents,
                      n.reporting_improvement
               FROM national_outcomes n
               LEFT JOIN dim_outcome d ON d.outcome_code = n.outcome
               WHERE n.financial_year = :year AND n.quarter = :quarter
               ORDER BY d.sort_order""",
        columns=frame_schema(
            outcome=pl.String,
            description=pl.String,
            organisations_reporting=pl.Int64,
            respondents=pl.Int64,
            reporting_improvement=pl.Int64,
        ),
        shape=WithheldPercentages(),
    ),
    TableDefinition(
        name="third_sector_funds",
        title="Third-sector fund streams: organisations, awards, grant and spend",
        view="national_funds",
        sql="""SELECT n.fund, d.fund_name, n.organisations, n.organisations_reporting,
                      n.total_award_gbp, n.average_award_gbp, n.grant_awarded_gbp, n.spend_gbp
               FROM national_funds n LEFT JOIN dim_fund d ON d.fund_code = n.fund
               WHERE n.financial_year = :year AND n.quarter = :quarter""",
        columns=frame_schema(
            fund=pl.String,
            fund_name=pl.String,
            organisations=pl.Int64,
            organisations_reporting=pl.Int64,
            total_award_gbp=pl.Float64,
            average_award_gbp=pl.Float64,
            grant_awarded_gbp=pl.Float64,
            spend_gbp=pl.Float64,
        ),
        shape=AsReported(order=("fund",)),
    ),
    TableDefinition(
        name="third_sector_finance",
        title="Third-sector grant awarded and spend by organisation",
        view="third_sector_finance",
        sql="""SELECT f.charity_number, r.name AS organisation, f.fund, f.grant_awarded_gbp,
                      f.spend_gbp
               FROM third_sector_finance f
               LEFT JOIN register r ON r.charity_number = f.charity_number
                                    AND r.financial_year = f.financial_year
                                    AND r.quarter = f.quarter
               WHERE f.financial_year = :year AND f.quarter = :quarter""",
        columns=frame_schema(
            charity_number=pl.String,
            organisation=pl.String,
            fund=pl.String,
            grant_awarded_gbp=pl.Float64,
            spend_gbp=pl.Float64,
        ),
        shape=AsReported(order=("charity_number",)),
    ),
)

CATALOGUE: Final[tuple[TableDefinition, ...]] = (*_BOARDS, *_NATIONAL, *_THIRD_SECTOR)
"""Every published table, in publication order."""

TABLES: Final[dict[str, str]] = {table.name: table.title for table in CATALOGUE}
"""Every published table's name, in publication order, with the title the README gives it."""
