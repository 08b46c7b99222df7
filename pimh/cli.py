"""The `pimh` command: ingest returns, run the demo, make blank templates."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from config.settings import Settings
from pimh.options import WarehouseOption
from pimh.prefect_env import apply_defaults
from pimh.prefect_server import (
    start_prefect_api,
    temporary_server_settings,
    wait_for_prefect_api,
)
from pimh.warehouse_failures import unreachable

if TYPE_CHECKING:
    from flows.ingest import IngestResult

app = typer.Typer(
    help="Consolidate the PIMH programme's quarterly returns into one warehouse.",
    no_args_is_help=True,
    add_completion=False,
)
template_app = typer.Typer(help="Write blank return templates for reporters.", no_args_is_help=True)
app.add_typer(template_app, name="template")
console = Console()

_STATUS_STYLE = {
    "accepted": "green",
    "rejected": "red",
    "duplicate": "yellow",
    "superseded": "yellow",
    "already processed": "dim",
}


def _keep_tracebacks_off_the_terminal() -> None:
    """Prefect logs a failed task's traceback to the console; the CLI says what failed in
    plain English instead, and the full log stays in the Prefect API (and its UI)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(logging.CRITICAL)


def _run_ingest(locations: list[str], settings: Settings) -> IngestResult:
    apply_defaults()
    from connectors.isolation import warm_reader_pool

    # Readers start in their own processes while Prefect starts in this one.
    warm_reader_pool(settings.reader_processes)
    from flows.ingest import ingest_returns

    _keep_tracebacks_off_the_terminal()
    with console.status(f"Ingesting {len(locations)} location(s)…"):
        wait_for_prefect_api()
        with temporary_server_settings():
            return ingest_returns(locations, settings)


def _start_prefect_early() -> None:
    """Prefect's API server boots while the command does its other work (see
    pimh.prefect_server); the defaults must be in the environment it inherits."""
    apply_defaults()
    start_prefect_api()


def _plain_failure(exc: Exception, settings: Settings) -> str:
    if isinstance(exc, DBAPIError):
        return unreachable(exc, settings.warehouse_url)
    return f"The pipeline could not run: {type(exc).__name__}: {exc}"


# Past this many files (a backfill), the table lists only the files that need attention.
LIST_EVERY_FILE_UP_TO = 50


def _print_result(result: IngestResult) -> None:
    table = Table(title="Returns handled", show_lines=False)
    for column in ("Reporter", "File", "Status", "Errors", "Warnings", "Feedback"):
        table.add_column(column, overflow="fold")
    listed = result.files
    if len(listed) > LIST_EVERY_FILE_UP_TO:
        listed = [f for f in result.files if f.status != "accepted" or f.errors or f.warnings]
        table.title = f"Returns needing attention ({len(listed)} of {len(result.files)})"
    for row in listed:
        style = _STATUS_STYLE.get(row.status, "")
        table.add_row(
            row.reporter_code or "-",
            Path(row.file).name,
            f"[{style}]{row.status}[/]",
            str(row.errors),
            str(row.warnings),
            Path(row.feedback).name if row.feedback else "",
        )
    if listed:
        console.print(table)
    if len(listed) < len(result.files):
        console.print(
            f"{len(result.files) - len(listed)} accepted files with no problems are not "
            "listed: see the run's 'ingest-summary' artifact in Prefect, or `pimh status`."
        )
    counts: dict[str, int] = {}
    for row in result.files:
        counts[row.status] = counts.get(row.status, 0) + 1
    console.print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "No files.")
    for url in result.still_changing:
        console.print(f"[yellow]Still being written, left for the next run:[/] {url}")


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Landing folders, reporter folders or files.")],
    warehouse: WarehouseOption = None,
    register: Annotated[
        Path | None,
        typer.Option(
            "--register",
            help="Load this register CSV first (in force since the programme began); a "
            "register with problems stops the run before any return is ingested.",
        ),
    ] = None,
) -> None:
    """Validate and load returns once, print a summary, and write feedback reports.

    Exits 0 when every file was handled (accepted or rejected alike) and non-zero only when
    the pipeline itself could not work, e.g. the warehouse is unreachable, or when the
    --register CSV has problems (then nothing is ingested).
    """
    _start_prefect_early()
    settings = Settings()
    if warehouse:
        settings = settings.model_copy(update={"warehouse_url": warehouse})
    if register is not None:
        from pimh.cli_register import load_or_exit

        # Returns checked against a stale register would be wrongly accepted or rejected.
        load_or_exit(register, settings.warehouse_url, None, ", so no returns were ingested")
    try:
        result = _run_ingest(paths, settings)
    except Exception as exc:
        console.print(f"[red]{_plain_failure(exc, settings)}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from exc
    _print_result(result)


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo's landing area and warehouse.")
    ] = Path("pimh-demo"),
    year: Annotated[str, typer.Option(help="Financial year of the sample quarter.")] = "2022-23",
    quarter: Annotated[str, typer.Option(help="Quarter of the sample returns.")] = "Q1",
) -> None:
    """Generate a realistic quarter from all 14 boards and 34 charities and ingest it.

    The register is loaded first; returns sent on time are ingested, then corrections and
    late returns, each with their arrival time, into a SQLite warehouse in --dir.
    """
    from pimh.cli_register import load_or_exit
    from pimh.national_figures import print_national_figures
    from samples.demo_timeline import prepare_demo
    from warehouse.engine import cached_warehouse

    _start_prefect_early()
    marker = directory / ".pimh-demo"
    if directory.exists():
        if not marker.exists():
            console.print(
                f"[red]{directory} exists and is not a pimh demo folder; choose --dir.[/]"
            )
            raise typer.Exit(code=2)
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    marker.touch()
    try:
        register_path, stages = prepare_demo(directory, year, quarter)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(code=2) from exc
    landing = directory / "landing"
    settings = Settings(
        warehouse_url=f"sqlite:///{(directory / 'warehouse.db').resolve()}",
        archive_url=str((directory / "archive").resolve()),
        feedback_url=str((directory / "feedback").resolve()),
        settle_seconds=0,
    )
    load_or_exit(register_path, settings.warehouse_url, None, "")
    for stage in stages:
        shutil.copytree(stage.outbox, landing, dirs_exist_ok=True)
        console.rule(f"Returns received {stage.stage} ({stage.received_at:%d %B %Y})")
        result = _run_ingest(
            [str(landing.resolve())],
            settings.model_copy(update={"arrival_time": stage.received_at}),
        )
        result.files[:] = [f for f in result.files if f.status != "already processed"]
        _print_result(result)
    console.rule(f"The quarter in the warehouse: {year} {quarter}")
    from pimh.cli_outputs import status

    status(year=year, quarter=quarter, warehouse=settings.warehouse_url)
    print_national_figures(console, cached_warehouse(settings.warehouse_url), year, quarter)
    console.print(
        f"\nWarehouse: {settings.warehouse_url}\nRegister: {register_path}\n"
        f"Feedback reports: {settings.feedback_url}/<reporter code>/\n"
        f"Archive of received files: {settings.archive_url}/"
    )


@template_app.command("bqr")
def template_bqr(
    board: Annotated[str, typer.Option(help="Board code or name, e.g. S08000024 or Lothian.")],
    year: Annotated[str, typer.Option(help="Financial year, e.g. 2022-23.")],
    quarter: Annotated[str, typer.Option(help="Quarter: Q1, Q2, Q3 or Q4.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .xlsx.")],
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
    year: Annotated[str, typer.Option(help="Financial year, e.g. 2022-23.")],
    quarter: Annotated[str, typer.Option(help="Quarter: Q1, Q2, Q3 or Q4.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .xlsx.")],
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


def _add_subcommands() -> None:
    """Commands that live in their own modules, each with one job."""
    from pimh import cli_outputs, cli_register

    app.add_typer(cli_register.register_app, name="register")
    cli_outputs.register_commands(app)


_add_subcommands()
