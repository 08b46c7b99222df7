"""`pimh register`: load the register of funded third-sector organisations.

The data team edits the register by hand, so every problem in it is printed in plain
English at once (no traceback) and nothing is stored until the whole file is right.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import ArgumentError, DBAPIError

from config.settings import Settings
from domain.periods import Period, quarter_label
from pimh.options import WarehouseOption
from pimh.warehouse_failures import unreachable

if TYPE_CHECKING:
    from warehouse.register_load import RegisterLoadResult

register_app = typer.Typer(
    help="Load the register of funded third-sector organisations.", no_args_is_help=True
)


def _console() -> Console:
    """A console for this command's output, sized when the command runs (not at import)."""
    return Console()


REGISTER_PROBLEMS_EXIT = 2


def in_force_date(year: str | None, quarter: str | None) -> dt.date | None:
    """The first day of the quarter named by --from-year and --from-quarter, or None when
    neither is given (the register is then in force since the programme began)."""
    if year is None and quarter is None:
        return None
    if year is None or quarter is None:
        raise ValueError("Give both --from-year and --from-quarter, or neither.")
    return Period.parse(year, quarter).bounds[0]  # ValueError in the one wording


def _print_problems(problems: list[str], csv_path: Path, consequence: str) -> None:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    _console().print(
        f"[red]The register {csv_path.name} was not loaded{consequence}: {count} to fix.[/]",
        highlight=False,
    )
    for problem in problems:
        _console().print(f"  • {problem}", highlight=False, soft_wrap=True, markup=False)


def _print_summary(result: RegisterLoadResult, csv_path: Path) -> None:
    if result.already_loaded:
        _console().print(
            f"{csv_path.name} is already loaded as register version {result.version_id}, "
            f"in force from {quarter_label(result.in_force_from)}: nothing changed.",
            highlight=False,
        )
    else:
        _console().print(
            f"[green]Loaded {csv_path.name} as register version {result.version_id}[/], "
            f"in force from {quarter_label(result.in_force_from)}.",
            highlight=False,
        )
    table = Table(title="Funded organisations")
    table.add_column("Fund")
    table.add_column("Organisations", justify="right")
    for fund, count in result.organisations_by_fund.items():
        table.add_row(fund, str(count))
    table.add_row("[bold]All[/]", f"[bold]{result.entries}[/]")
    _console().print(table)
    _console().print(f"Total award: £{result.total_award_gbp:,.2f}", highlight=False)


def load_or_exit(
    csv_path: Path, warehouse_url: str, in_force_from: dt.date | None, consequence: str = ""
) -> RegisterLoadResult:
    """Load the register and print what happened; exit 2 on register problems or when the
    warehouse cannot be reached, having written nothing."""
    from intake.register import read_register
    from warehouse.engine import open_warehouse
    from warehouse.register_load import RegisterError, load_register

    try:
        engine = open_warehouse(warehouse_url)
        try:
            register = read_register(csv_path)
            result = load_register(engine, register, in_force_from=in_force_from)
        finally:
            engine.dispose()
    except RegisterError as exc:
        _print_problems(exc.problems, csv_path, consequence)
        raise typer.Exit(code=REGISTER_PROBLEMS_EXIT) from None
    except (DBAPIError, ArgumentError) as exc:
        _console().print(f"[red]{unreachable(exc, warehouse_url)}[/]", highlight=False)
        raise typer.Exit(code=REGISTER_PROBLEMS_EXIT) from None
    _print_summary(result, csv_path)
    return result


@register_app.command("load")
def load(
    csv_path: Annotated[Path, typer.Argument(metavar="FILE.csv", help="The register CSV to load.")],
    from_year: Annotated[
        str | None,
        typer.Option("--from-year", help="Financial year it is in force from, e.g. 2023-24."),
    ] = None,
    from_quarter: Annotated[
        str | None, typer.Option("--from-quarter", help="Quarter it is in force from: Q1..Q4.")
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Check a register CSV and store it as a new version (old versions are kept).

    Without --from-year/--from-quarter the version is in force since the programme began;
    with them, from the first day of that quarter. Exits 2, storing nothing, when the file
    has any problem.
    """
    try:
        in_force_from = in_force_date(from_year, from_quarter)
    except ValueError as exc:
        _console().print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(code=REGISTER_PROBLEMS_EXIT) from None
    load_or_exit(csv_path, warehouse or Settings().warehouse_url, in_force_from)
