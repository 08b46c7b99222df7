"""`pimh template`: blank returns for reporters to fill in, one per board or charity.

A blank pimh writes is one pimh accepts once filled in; a charity's blank carries its name
and fund from the register when the warehouse has them, so there is less to type wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from config.settings import Settings
from pimh.options import QuarterOption, WarehouseOption, YearOption
from pimh.terminal import console

template_app = typer.Typer(help="Write blank return templates for reporters.", no_args_is_help=True)

OutputOption = Annotated[Path, typer.Option("-o", "--output", help="Where to write the .xlsx.")]


@template_app.command("bqr")
def template_bqr(
    board: Annotated[str, typer.Option(help="Board code or name, e.g. S08000024 or Lothian.")],
    year: YearOption,
    quarter: QuarterOption,
    output: OutputOption,
) -> None:
    """Write a blank Board Quarterly Return with dropdowns and input checks."""
    from return_templates.bqr import write_blank_bqr
    from schemas.boards import resolve_board

    code = resolve_board(board)
    if code is None:
        console.print(f"[red]'{board}' is not an NHS board code or name.[/]")
        raise typer.Exit(code=2)
    try:
        write_blank_bqr(output, code, year, quarter)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(code=2) from exc
    console.print(f"Wrote a blank return for {code} {year} {quarter} to {output}")


def _register_entry_or_none(
    warehouse_url: str, charity: str, year: str, quarter: str
) -> dict[str, object] | None:
    """The charity's register entry for the quarter, or None when there is no register to ask.

    A blank is useful without the register (the charity fills in its name and fund), so a
    warehouse that is missing or cannot be opened is passed over, never created.
    """
    from warehouse.engine import open_warehouse
    from warehouse.migrate import upgrade
    from warehouse.register import register_entry_for

    try:
        url = make_url(warehouse_url)
        database = url.database
        is_file = url.get_backend_name() == "sqlite" and database not in (None, "", ":memory:")
        if is_file and not Path(str(database)).is_file():
            return None
        engine = open_warehouse(warehouse_url)
    except Exception:  # a malformed URL or missing driver: no register to ask
        return None
    try:
        upgrade(engine)
        return register_entry_for(engine, charity, year, quarter)
    except Exception:  # unreachable or unreadable: the blank is written without it
        return None
    finally:
        engine.dispose()


@template_app.command("tsr")
def template_tsr(
    charity: Annotated[str, typer.Option(help="Scottish charity number, e.g. SC012345.")],
    year: YearOption,
    quarter: QuarterOption,
    output: OutputOption,
    warehouse: WarehouseOption = None,
) -> None:
    """Write a blank Third Sector Return with dropdowns and input checks.

    Organisation and Fund are filled in from the register in the warehouse when the charity
    is on it for that quarter; otherwise they are left for the charity to fill in.
    """
    from rich.markup import escape

    from return_templates.common import check_period
    from return_templates.tsr import check_charity, write_blank_tsr

    try:
        check_charity(charity)
        check_period(year, quarter)
    except ValueError as exc:
        console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
        raise typer.Exit(code=2) from exc
    warehouse_url = warehouse or Settings().warehouse_url
    entry = _register_entry_or_none(warehouse_url, charity, year, quarter)
    organisation = str(entry["name"]) if entry else None
    fund = str(entry["fund"]) if entry else None
    try:
        write_blank_tsr(output, charity, year, quarter, organisation=organisation, fund=fund)
    except ValueError as exc:
        console.print(f"[red]{escape(str(exc))}[/]", highlight=False)
        raise typer.Exit(code=2) from exc
    if entry:
        console.print(
            f"Organisation and Fund from the register: {escape(organisation or '')} ({fund}).",
            highlight=False,
        )
    else:
        console.print(
            f"{charity} is not on the warehouse's register for {year} {quarter} (or there is "
            "no register to read): Organisation and Fund are left for the charity to fill in.",
            highlight=False,
        )
    console.print(f"Wrote a blank return for {charity} {year} {quarter} to {output}")
