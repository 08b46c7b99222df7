"""`pimh template`: blank returns for reporters to fill in, one per board or charity.

A blank pimh writes is one pimh accepts once filled in; a charity's blank carries its name
and fund from the register when the warehouse has them, so there is less to type wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from sqlalchemy.engine import make_url

from config.settings import Settings
from domain.periods import Period
from pimh.options import QuarterOption, WarehouseOption, YearOption
from pimh.terminal import console

template_app = typer.Typer(help="Write blank return templates for reporters.", no_args_is_help=True)

OutputOption = Annotated[
    Path, typer.Option("-o", "--output", help="The .xlsx file to write, in a folder that exists.")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite the file if it is already there.")
]


def _refuse(message: str) -> NoReturn:
    console.print(f"[red]{escape(message)}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _period_or_exit(year: str, quarter: str) -> Period:
    """The quarter as typed (`q1` forgiven), or the one wording every command uses and exit 2."""
    try:
        return Period.parse(year, quarter)
    except ValueError as exc:
        _refuse(str(exc))


def check_output(output: Path, force: bool) -> None:
    """Refuse, before anything is written, an output a template cannot or should not go to.

    Like `pimh export`, a file already there is kept unless --force says otherwise: a
    template filled in and saved under the same name would be lost.
    """
    if output.is_dir():
        _refuse(f"{output} is a folder: give the file to write, e.g. {output / 'return.xlsx'}.")
    if output.suffix.lower() != ".xlsx":
        _refuse(
            f"{output.name} does not end in .xlsx: a template is an Excel workbook, so name "
            f"it like {output.with_suffix('.xlsx').name}."
        )
    if not output.parent.is_dir():
        _refuse(f"The folder {output.parent} does not exist: create it first, or choose another.")
    if output.exists() and not force:
        _refuse(f"{output} already exists; use --force to overwrite it.")


def _write_or_exit(output: Path, write: Callable[[], None]) -> None:
    """Run `write`, turning a period it refuses or a file it cannot write into plain words.

    xlsxwriter is imported here, not with the module: every `pimh` command loads this
    module, and only `pimh template` writes a workbook in this process.
    """
    from xlsxwriter.exceptions import XlsxWriterException

    try:
        write()
    except ValueError as exc:
        _refuse(str(exc))
    except (OSError, XlsxWriterException) as exc:
        _refuse(f"Could not write {output}: {exc}")


@template_app.command("bqr")
def template_bqr(
    board: Annotated[str, typer.Option(help="Board code or name, e.g. S08000024 or Lothian.")],
    year: YearOption,
    quarter: QuarterOption,
    output: OutputOption,
    force: ForceOption = False,
) -> None:
    """Write a blank Board Quarterly Return with dropdowns and input checks."""
    from return_templates.bqr import write_blank_bqr
    from schemas.boards import resolve_board

    code = resolve_board(board)
    if code is None:
        _refuse(f"'{board}' is not an NHS board code or name.")
    period = _period_or_exit(year, quarter)
    check_output(output, force)
    _write_or_exit(
        output, lambda: write_blank_bqr(output, code, period.financial_year, period.quarter)
    )
    console.print(f"Wrote a blank return for {code} {period} to {escape(str(output))}")


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
    *,
    warehouse: WarehouseOption = None,
    force: ForceOption = False,
) -> None:
    """Write a blank Third Sector Return with dropdowns and input checks.

    Organisation and Fund are filled in from the register in the warehouse when the charity
    is on it for that quarter; otherwise they are left for the charity to fill in.
    """
    from return_templates.tsr import check_charity, write_blank_tsr

    try:
        check_charity(charity)
    except ValueError as exc:
        _refuse(str(exc))
    period = _period_or_exit(year, quarter)
    year, quarter = period.financial_year, period.quarter
    check_output(output, force)
    warehouse_url = warehouse or Settings().warehouse_url
    entry = _register_entry_or_none(warehouse_url, charity, year, quarter)
    organisation = str(entry["name"]) if entry else None
    fund = str(entry["fund"]) if entry else None
    _write_or_exit(
        output,
        lambda: write_blank_tsr(
            output, charity, year, quarter, organisation=organisation, fund=fund
        ),
    )
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
    console.print(
        f"Wrote a blank return for {charity} {period} to {escape(str(output))}", highlight=False
    )
