"""`pimh status` and `pimh export`: the quarter's tracker and its published extracts.

Both read the warehouse only through its downstream views, and both migrate it first, so
they work on a fresh, empty warehouse too. Every failure a user can cause or meet (a
malformed quarter, one that has not begun, an unreachable warehouse, files already there)
is a plain sentence and exit code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from pimh.cli_contacts import email_line
from pimh.options import QuarterOption, WarehouseOption, YearOption
from pimh.warehouse_failures import first_line, shown_url

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Connection

    from domain.periods import Period

# polars, alembic and the extract writers are imported by the commands that use them: every
# other `pimh` command starts without them (about 0.3 s).


def _console() -> Console:
    """A console for this command's output, sized when the command runs (not at import)."""
    return Console()


class ExportFormat(StrEnum):
    """The choices of --format; the same values as `extracts.writers.Format`."""

    CSV = "csv"
    PARQUET = "parquet"
    XLSX = "xlsx"


STATUS_WORDING = {
    "accepted": "accepted",
    "late": "late",
    "rejected": "rejected: awaiting resubmission",
    "missing": "missing",
}
"""How each tracker status reads on screen; a rejected return is owed again."""

_STATUS_STYLE = {"accepted": "green", "late": "yellow", "rejected": "red", "missing": "red"}


def _fail(message: str) -> NoReturn:
    _console().print(f"[red]{escape(message)}[/]", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _period(year: str, quarter: str) -> Period:
    from domain.periods import Period

    try:
        return Period.parse(year, quarter)
    except ValueError as exc:
        _fail(str(exc))


@contextmanager
def _warehouse(url: str | None, period: Period) -> Iterator[Connection]:
    """A connection to the migrated warehouse, for a quarter that has begun; otherwise the
    plain reason and exit 2."""
    from alembic.util.exc import CommandError

    from warehouse.engine import open_warehouse
    from warehouse.migrate import upgrade
    from warehouse.tracker import QuarterNotBegunError, check_quarter_begun

    url = url or Settings().warehouse_url
    try:
        engine = open_warehouse(url)
    except SQLAlchemyError as exc:
        _fail(f"The warehouse URL {shown_url(url)} is not usable: {exc}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                # Every table of an export from one snapshot, though ingest may be loading.
                connection.execution_options(isolation_level="REPEATABLE READ")
            check_quarter_begun(connection, period)
            yield connection
    except QuarterNotBegunError as exc:
        _fail(str(exc))
    except (SQLAlchemyError, CommandError) as exc:
        _fail(f"The warehouse at {shown_url(url)} could not be read: {first_line(exc)}")
    finally:
        engine.dispose()


# --- status -------------------------------------------------------------------------------------


def _status_cell(status: str, due_on: dt.date | None, today: dt.date) -> str:
    """A missing return is dim until it is due, red once it is overdue."""
    style = _STATUS_STYLE.get(status, "")
    if status == "missing" and due_on is not None and due_on >= today:
        style = "dim"
    return f"[{style}]{STATUS_WORDING.get(status, status)}[/]"


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _long_day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _kind(reporter_type: str, fund: str | None) -> str:
    """`board`, or a charity's fund (`MAIN`, `SMALL`): one short column, not two."""
    if reporter_type == "board":
        return "board"
    return fund or "charity"


def _tracker_table(title: str, *, with_due: bool, with_quality: bool = False) -> Table:
    """The tracker's columns, laid out to read whole at 80 columns (a terminal or a file).

    Codes, dates and counts never wrap; names and statuses wrap at spaces, never inside a
    word, and keep a width of their own so rich cannot squeeze them to a letter or two.
    """
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0)
    )
    table.add_column("Reporter", no_wrap=True)
    table.add_column("Name", min_width=12)
    table.add_column("Type", no_wrap=True)
    table.add_column("Status", min_width=12)
    table.add_column("Received", no_wrap=True)
    if with_due:
        table.add_column("Due", no_wrap=True)
    table.add_column("Errors", justify="right", no_wrap=True)
    table.add_column("Warnings", justify="right", no_wrap=True)
    if with_quality:
        table.add_column("Quality", justify="right", no_wrap=True)
    return table


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def tracker_table(
    progress: pl.DataFrame,
    period: Period,
    today: dt.date,
    quality: Mapping[str, str] | None = None,
) -> Table:
    """The quarter's tracker (`warehouse.tracker.tracker`) as the table `pimh status` prints,
    with each reporter's overall data-quality score when `quality` is given."""
    due_dates = set(progress["due_on"].drop_nulls())
    # Every reporter of a quarter is usually due on one day: said once, in the title.
    one_due = next(iter(due_dates)) if len(due_dates) == 1 else None
    title = f"Returns for {period}" + (f", due {_long_day(one_due)}" if one_due else "")
    table = _tracker_table(title, with_due=one_due is None, with_quality=quality is not None)
    for row in progress.iter_rows(named=True):
        table.add_row(
            row["reporter_code"],
            escape(row["reporter_name"] or ""),
            _kind(row["reporter_type"], row["fund"]),
            _status_cell(row["status"], row["due_on"], today),
            _day(row["received_on"]),
            *([_day(row["due_on"])] if one_due is None else []),
            _number(row["errors"]),
            _number(row["warnings"]),
            *([quality.get(row["reporter_code"], "")] if quality is not None else []),
        )
    return table


def _quality_scores(connection: Connection, period: Period) -> dict[str, str]:
    """Each reporter's overall data-quality score (the `data_quality` view), as shown."""
    from sqlalchemy import text

    rows = connection.execute(
        text(
            "SELECT reporter_code, overall_score FROM data_quality "
            "WHERE financial_year = :year AND quarter = :quarter"
        ),
        period.params,
    )
    return {code: f"{float(score):.0f}" for code, score in rows if score is not None}


def status(
    year: YearOption,
    quarter: QuarterOption,
    warehouse: WarehouseOption = None,
) -> None:
    """Show who has sent the quarter's return, who is late, rejected or missing."""
    from warehouse.tracker import tracker as read_tracker

    period = _period(year, quarter)
    with _warehouse(warehouse, period) as connection:
        progress = read_tracker(connection, period)
        quality = _quality_scores(connection, period)
        emails = email_line(connection)
    table = tracker_table(progress, period, dt.datetime.now(dt.UTC).date(), quality)
    _console().print(table)
    counts = dict(progress.group_by("status").len().iter_rows())
    summary = ", ".join(
        f"{counts[name]} {wording}" for name, wording in STATUS_WORDING.items() if name in counts
    )
    _console().print(f"{progress.height} expected: {summary}.", highlight=False)
    if emails:
        _console().print(emails, highlight=False, soft_wrap=True)


# --- export -------------------------------------------------------------------------------------


def export(
    outdir: Annotated[Path, typer.Argument(help="Folder for the files; created if missing.")],
    *,
    year: YearOption,
    quarter: QuarterOption,
    export_format: Annotated[
        ExportFormat, typer.Option("--format", help="csv or parquet (a file per table), or xlsx.")
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite files already there.")] = False,
    warehouse: WarehouseOption = None,
) -> None:
    """Write the quarter's published tables, with statistical disclosure control applied."""
    from extracts.publish import build_publication
    from extracts.writers import Format, planned_files, write_publication

    fmt = Format(export_format.value)
    period = _period(year, quarter)
    if outdir.exists() and not outdir.is_dir():
        _fail(f"{outdir} exists and is not a folder.")
    existing = [path for path in planned_files(period, outdir, fmt) if path.exists()]
    if existing and not force:
        names = ", ".join(path.name for path in existing)
        _fail(f"{outdir} already holds {names}; use --force to overwrite.")
    with _warehouse(warehouse, period) as connection:
        publication = build_publication(connection, period)
    try:
        written = write_publication(publication, outdir, fmt, force=force)
    except OSError as exc:
        _fail(f"Could not write to {outdir}: {exc}")

    table = Table(title=f"Published tables for {period} ({fmt.value})")
    table.add_column("Table")
    table.add_column("File", overflow="fold")
    table.add_column("Rows", justify="right")
    table.add_column("Cells suppressed", justify="right")
    for item in written:
        where = item.path.name + (f" [{item.table}]" if fmt is Format.XLSX else "")
        table.add_row(item.table, escape(where), str(item.rows), str(item.suppressed))
    _console().print(table)
    if not publication.has_returns:
        _console().print(
            f"[yellow]No accepted returns for {period}: the tables were written empty.[/]",
            highlight=False,
        )
    suppressed = sum(item.suppressed for item in written)
    _console().print(
        f"Wrote {len(written)} tables to {escape(str(outdir))} with {suppressed} cells "
        "suppressed; disclosure rules in "
        f"{escape(planned_files(period, outdir, fmt)[-1].name)}.",
        highlight=False,
        soft_wrap=True,
    )


def register_commands(app: typer.Typer) -> None:
    """Add the output commands to the `pimh` app."""
    app.command("status")(status)
    app.command("export")(export)
