"""`pimh report`: the Programme Board's quarterly report as one self-contained HTML page.

Like `pimh export`, it reads the warehouse only through its downstream views (migrating
it first), applies the same disclosure control, refuses to overwrite a file without
--force, and answers every problem a user can cause with a plain sentence and exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pimh.cli_outputs import _console, _fail, _period, _warehouse
from pimh.options import QuarterOption, WarehouseOption, YearOption

if TYPE_CHECKING:
    from domain.periods import Period


def write_report(out: Path, period: Period, warehouse: str | None, *, force: bool) -> None:
    """Build the quarter's report from the warehouse and write it to `out`; exit 2 with the
    reason when it cannot be."""
    from extracts.board_report import NothingToReportError, build_board_report
    from extracts.report_page import render_board_report

    if out.is_dir():
        _fail(f"{out} is a folder: name the HTML file to write, e.g. {out / 'report.html'}.")
    if out.exists() and not force:
        _fail(f"{out} already exists; use --force to overwrite.")
    if not out.parent.is_dir():
        _fail(f"The folder {out.parent} does not exist.")
    with _warehouse(warehouse, period) as connection:
        try:
            report = build_board_report(connection, period)
        except NothingToReportError as exc:
            _fail(str(exc))
    page = render_board_report(report)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        _fail(f"Could not write {out}: {exc}")


def report(
    out: Annotated[Path, typer.Argument(help="The HTML file to write, e.g. report.html.")],
    *,
    year: YearOption,
    quarter: QuarterOption,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the file if it exists.")
    ] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Write the Programme Board's quarterly report: one HTML page with charts and tables."""
    period = _period(year, quarter)
    write_report(out, period, warehouse, force=force)
    _console().print(
        f"Wrote the quarterly report for {period} to {escape(str(out))}.",
        highlight=False,
        soft_wrap=True,
    )


def register_commands(app: typer.Typer) -> None:
    """Add `pimh report` to the `pimh` app."""
    app.command("report")(report)
