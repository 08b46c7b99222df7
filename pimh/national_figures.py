"""The national roll-ups as rich tables: what `pimh demo` shows once its quarter is in."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from domain.reference import FUNDS, OUTCOMES


def _rows(engine: Engine, sql: str, year: str, quarter: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        result = connection.execute(text(sql), {"year": year, "quarter": quarter})
        return [tuple(row) for row in result]


def _pounds(value: object) -> str:
    return "" if value is None else f"£{float(str(value)):,.0f}"


def print_national_figures(console: Console, engine: Engine, year: str, quarter: str) -> None:
    """Services, funds, people supported and outcomes for one quarter, from the views."""
    where = "WHERE financial_year = :year AND quarter = :quarter"
    services = Table(title=f"Boards running each service, {year} {quarter} (national_services)")
    services.add_column("Service")
    services.add_column("Boards", justify="right")
    for service, boards in _rows(
        engine, f"SELECT service, boards_running FROM national_services {where} ORDER BY service",
        year, quarter,
    ):  # fmt: skip
        services.add_row(str(service), str(boards))
    funds = Table(title="Third-sector funds (national_funds)")
    for column in ("Fund", "Organisations", "Average award", "Reporting", "Spend in quarter"):
        funds.add_column(column, justify="right")
    for fund, organisations, average, reporting, spend in _rows(
        engine,
        "SELECT fund, organisations, average_award_gbp, organisations_reporting, spend_gbp "
        f"FROM national_funds {where} ORDER BY fund",
        year, quarter,
    ):  # fmt: skip
        funds.add_row(
            FUNDS.get(str(fund), str(fund)), str(organisations), _pounds(average), str(reporting),
            _pounds(spend),
        )  # fmt: skip
    people = _rows(
        engine,
        "SELECT SUM(mothers), SUM(fathers_partners), SUM(infants), SUM(other_carers), "
        f"SUM(people_supported) FROM national_people_supported {where}",
        year, quarter,
    )[0]  # fmt: skip
    supported = Table(title="People supported by the funded charities (national_people_supported)")
    for column in ("Mothers and birthing parents", "Fathers and partners", "Infants",
                   "Other carers", "All people"):  # fmt: skip
        supported.add_column(column, justify="right")
    supported.add_row(*(f"{int(str(v)):,}" if v is not None else "0" for v in people))
    outcomes = Table(title="Outcomes: people reporting improvement (national_outcomes)")
    for column in ("Outcome", "Respondents", "Improved", "Per cent"):
        outcomes.add_column(column, justify="right" if column != "Outcome" else "left")
    for outcome, respondents, improved, percent in _rows(
        engine,
        "SELECT o.outcome, o.respondents, o.reporting_improvement, o.percent_improved "
        "FROM national_outcomes o JOIN dim_outcome d ON d.outcome_code = o.outcome "
        "WHERE o.financial_year = :year AND o.quarter = :quarter ORDER BY d.sort_order",
        year, quarter,
    ):  # fmt: skip
        outcomes.add_row(
            OUTCOMES.get(str(outcome), str(outcome)).capitalize(), f"{respondents:,}",
            f"{improved:,}", f"{float(str(percent)):.0f}%" if percent is not None else "",
        )  # fmt: skip
    for table in (services, funds, supported, outcomes):
        console.print(table)
