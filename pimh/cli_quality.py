"""`pimh quality`: the warehouse's Great Expectations checks, on demand, and their history.

Exit codes: 0 when every error-level expectation held (failed warnings are shown, and do
not fail it), 1 when one failed, 2 when the warehouse could not be reached or the options
make no sense; never a traceback for either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from domain.periods import Period
from pimh.options import WarehouseOption
from pimh.quality_summary import (
    docs_line,
    history_table,
    outcome_table,
    print_failures,
    summary_line,
)
from pimh.warehouse_failures import unreachable

# Great Expectations is imported only once a check runs (quality.run): --help, --history
# and an unreachable warehouse answer without its seconds of import.

OptionalYear = Annotated[
    str | None, typer.Option("--year", help="Financial year, e.g. 2022-23 (with --quarter).")
]
OptionalQuarter = Annotated[
    str | None, typer.Option("--quarter", help="Quarter: Q1, Q2, Q3 or Q4 (with --year).")
]


def _fail(console: Console, message: str) -> NoReturn:
    console.print(f"[red]{escape(message)}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _period(console: Console, year: str | None, quarter: str | None) -> Period | None:
    if year is None and quarter is None:
        return None
    if year is None or quarter is None:
        _fail(console, "Give --year and --quarter together, or neither to check every quarter.")
    try:
        return Period.parse(year, quarter)
    except ValueError as exc:
        _fail(console, str(exc))


def _reachable(console: Console, url: str) -> None:
    """The warehouse migrated (so its results table exists), or the plain reason and exit 2."""
    from alembic.util.exc import CommandError

    from warehouse.engine import cached_warehouse
    from warehouse.migrate import upgrade

    try:
        upgrade(cached_warehouse(url))
    except (SQLAlchemyError, CommandError, OSError) as exc:
        _fail(console, unreachable(exc, url))


def _history(console: Console, url: str, period: Period | None) -> None:
    from warehouse.engine import cached_warehouse
    from warehouse.quality_results import check_history

    with cached_warehouse(url).connect() as connection:
        past = check_history(
            connection,
            period.financial_year if period else None,
            period.quarter if period else None,
        )
    if not past:
        console.print("No quality checks have been run on this warehouse yet.")
        return
    console.print(history_table(past))


def quality(
    year: OptionalYear = None,
    quarter: OptionalQuarter = None,
    warehouse: WarehouseOption = None,
    docs: Annotated[
        Path | None,
        typer.Option(
            "--docs",
            help="Folder for the Data Docs (env PIMH_QUALITY_DOCS_DIR; default a "
            "quality-docs folder beside the feedback folder).",
            show_default=False,
        ),
    ] = None,
    history: Annotated[
        bool, typer.Option("--history", help="List past checks (of the quarter, if given).")
    ] = False,
) -> None:
    """Check the warehouse with its Great Expectations suites; build Data Docs; keep the result.

    Exits 1 when an error-level expectation fails (warnings do not fail it).
    """
    console = Console()
    period = _period(console, year, quarter)
    settings = Settings()
    url = warehouse or settings.warehouse_url
    _reachable(console, url)
    if history:
        _history(console, url, period)
        return
    from quality.run import check_and_keep

    docs_dir = docs or settings.quality_docs_folder()
    try:
        kept = check_and_keep(url, period, docs_dir)
    except SQLAlchemyError as exc:
        _fail(console, unreachable(exc, url))
    except OSError as exc:
        _fail(console, f"Could not write the Data Docs to {docs_dir}: {exc}")
    console.print(outcome_table(kept.check))
    print_failures(console, kept.check)
    console.print(summary_line(kept.check), highlight=False)
    console.print(docs_line(kept.check), highlight=False, soft_wrap=True)
    if not kept.check.is_passed:
        raise typer.Exit(code=1)


def register_commands(app: typer.Typer) -> None:
    """Add `pimh quality` to the `pimh` app."""
    app.command("quality")(quality)
