"""`pimh explain`: where a figure of a downstream view came from, and how it changed.

For one row of a figure view (named by its keys), the current figures with their file,
SHA-256, sheet and cell, then every version of the reporter's return for the quarter:
when it arrived, what became of it and what it said. Read from the `lineage` and
`submissions` views only, so a read-only role can run it. Anything not found is a plain
sentence and exit code 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from pimh.options import QuarterOption, WarehouseOption, YearOption
from pimh.warehouse_failures import first_line, shown_url

if TYPE_CHECKING:
    from warehouse.explain import Explanation, Figure, Version


def _console() -> Console:
    return Console()


def _fail(message: str) -> NoReturn:
    _console().print(f"[red]{escape(message)}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


# Each row key's command-line option, by the view column it names.
_OPTIONS = {
    "board_code": "--board",
    "charity_number": "--charity",
    "service": "--service",
    "staff_group": "--staff-group",
    "support_type": "--support-type",
    "outcome": "--outcome",
}


def _keys(view: str, given: dict[str, str | None], year: str, quarter: str) -> dict[str, str]:
    """The view's row keys from the options; a missing one is a plain error naming it."""
    from domain.periods import Period
    from warehouse.explain import row_keys

    try:
        period = Period.parse(year, quarter)
    except ValueError as exc:
        _fail(str(exc))
    keys = {"financial_year": period.financial_year, "quarter": period.quarter}
    needed = [key for key in row_keys(view) if key not in keys]
    missing = [_OPTIONS[key] for key in needed if not given.get(key)]
    if missing:
        _fail(f"The {view} view needs {', '.join(missing)} to name one of its rows.")
    keys.update({key: str(given[key]).strip() for key in needed})
    return keys


def _value(view: str, figure: Figure) -> str:
    from warehouse.explain import measure_kind

    if figure.value is None:
        return "(empty)"
    kind = measure_kind(view, figure.measure)
    if kind == "count":
        return f"{figure.value:,.0f}"
    if kind == "pounds":
        return f"£{figure.value:,.2f}"
    return f"{figure.value:.2f}"


def _cell(figure: Figure) -> str:
    cell = figure.cell or "(cell not recorded)"
    return f"{cell}, derived" if figure.is_derived else cell


def _when(version: Version) -> str:
    return version.received_at.strftime("%Y-%m-%d %H:%M")


def _show_current(explanation: Explanation) -> None:
    console = _console()
    current = explanation.current
    if current is None:
        console.print(
            "[yellow]No current figure: the quarter's current return has no such row; "
            "the versions that had one follow.[/]",
            highlight=False,
        )
        return
    table = Table(title="Current figures", title_justify="left")
    table.add_column("Measure", overflow="fold")
    table.add_column("Value", justify="right", no_wrap=True)
    table.add_column("Cell", overflow="fold")
    for figure in current.figures:
        table.add_row(figure.measure, _value(explanation.view, figure), escape(_cell(figure)))
    console.print(table)
    console.print(
        f"From [bold]{escape(current.file_name)}[/] (submission {current.submission_id}), "
        f"received {_when(current)} UTC\nSHA-256 {current.sha256}",
        highlight=False,
        soft_wrap=True,
    )


def _show_history(explanation: Explanation) -> None:
    """Each version of the return (a rejected one loaded nothing), then each measure's
    figure in each version that had the row."""
    from warehouse.explain import measures

    console = _console()
    versions = Table(title="Versions of the return", title_justify="left")
    versions.add_column("#", justify="right", no_wrap=True)
    versions.add_column("Received (UTC)", no_wrap=True)
    versions.add_column("Status", overflow="fold")
    versions.add_column("File, SHA-256", overflow="fold")
    if any(not version.figures for version in explanation.versions):
        versions.caption = "A rejected return loaded nothing."
    for number, version in enumerate(explanation.versions, start=1):
        versions.add_row(
            str(number),
            _when(version),
            version.status,
            f"{escape(version.file_name)}\n{version.sha256[:16]}…",
        )
    console.print(versions)
    if sum(bool(version.figures) for version in explanation.versions) < 2:
        return  # the figures shown above are the only ones there have been
    figures = Table(title="Figures in each version", title_justify="left")
    figures.add_column("Measure", overflow="fold")
    figures.add_column("#", justify="right", no_wrap=True)
    figures.add_column("Value", justify="right", no_wrap=True)
    figures.add_column("Cell", overflow="fold")
    numbered = list(enumerate(explanation.versions, start=1))
    for measure in measures(explanation.view):
        first = True
        for number, version in numbered:
            for figure in (f for f in version.figures if f.measure == measure):
                figures.add_row(
                    measure if first else "",
                    str(number),
                    _value(explanation.view, figure),
                    escape(_cell(figure)),
                )
                first = False
    console.print(figures)


def explain(
    view: Annotated[
        str,
        typer.Argument(
            help="staffing, activity, finance, third_sector_activity, third_sector_outcomes "
            "or third_sector_finance.",
            show_default=False,
        ),
    ],
    *,
    year: YearOption,
    quarter: QuarterOption,
    board: Annotated[
        str | None, typer.Option(help="Board code (third sector activity: the board area).")
    ] = None,
    charity: Annotated[str | None, typer.Option(help="Charity number (third sector).")] = None,
    fund: Annotated[str | None, typer.Option(help="Fund, MAIN or SMALL (third sector).")] = None,
    service: Annotated[str | None, typer.Option(help="Service code, e.g. CPMHT.")] = None,
    staff_group: Annotated[str | None, typer.Option(help="Staff group (staffing).")] = None,
    support_type: Annotated[
        str | None, typer.Option(help="Support type (third sector activity).")
    ] = None,
    outcome: Annotated[str | None, typer.Option(help="Outcome (third sector outcomes).")] = None,
    measure: Annotated[str | None, typer.Option(help="One measure only, e.g. funded_wte.")] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Show where a figure came from: its file, SHA-256 and cell, and its history."""
    from alembic.util.exc import CommandError

    from warehouse.engine import open_warehouse
    from warehouse.explain import FigureNotFoundError, describe, explain_figures, unknown_view
    from warehouse.migrate import upgrade
    from warehouse.views.lineage import lineage

    problem = unknown_view(view)
    if problem is not None:
        _fail(problem)
    given = {
        "board_code": board,
        "charity_number": charity,
        "service": service,
        "staff_group": staff_group,
        "support_type": support_type,
        "outcome": outcome,
    }
    keys = _keys(view, given, year, quarter)
    if fund:
        keys["fund"] = fund.strip().upper()
    url = warehouse or Settings().warehouse_url
    try:
        engine = open_warehouse(url)
    except SQLAlchemyError as exc:
        _fail(f"The warehouse URL {shown_url(url)} is not usable: {exc}")
    try:
        # Only a warehouse without the views yet is migrated: a read-only role (which may
        # not read the migrations' own tables) can explain figures too.
        if not inspect(engine).has_table(lineage.name):
            upgrade(engine)
        with engine.connect() as connection:
            explanation = explain_figures(connection, view, keys, measure)
    except FigureNotFoundError as exc:
        _fail(str(exc))
    except (SQLAlchemyError, CommandError) as exc:
        _fail(f"The warehouse at {shown_url(url)} could not be read: {first_line(exc)}")
    finally:
        engine.dispose()
    _console().print(f"[bold]{view}[/]: {escape(describe(keys))}", highlight=False, soft_wrap=True)
    _show_current(explanation)
    _show_history(explanation)


def register_commands(app: typer.Typer) -> None:
    """Add `explain` to the `pimh` app."""
    app.command("explain")(explain)
