"""The `pimh` command: ingest returns, run the demo, make blank templates."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pimh.prefect_env import apply_defaults
from pimh.settings import Settings

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

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="SQLAlchemy URL of the warehouse [env: PIMH_WAREHOUSE_URL; default: "
        "sqlite:///pimh.db].",
        show_default=False,
    ),
]


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
        return ingest_returns(locations, settings)


def _plain_failure(exc: Exception, settings: Settings) -> str:
    if isinstance(exc, DBAPIError):
        where = make_url(settings.warehouse_url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return f"The warehouse at {where} could not be reached or written: {reason}"
    return f"The pipeline could not run: {type(exc).__name__}: {exc}"


def _print_result(result: IngestResult) -> None:
    table = Table(title="Returns handled", show_lines=False)
    for column in ("Reporter", "File", "Status", "Errors", "Warnings", "Feedback"):
        table.add_column(column, overflow="fold")
    for row in result.files:
        style = _STATUS_STYLE.get(row.status, "")
        table.add_row(
            row.reporter_code or "-",
            Path(row.file).name,
            f"[{style}]{row.status}[/]",
            str(row.errors),
            str(row.warnings),
            Path(row.feedback).name if row.feedback else "",
        )
    console.print(table)
    counts: dict[str, int] = {}
    for row in result.files:
        counts[row.status] = counts.get(row.status, 0) + 1
    console.print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "No files.")
    for url in result.still_changing:
        console.print(f"[yellow]Still being written, left for the next run:[/] {url}")


_SNAPSHOT = """
    SELECT s.service, COUNT(DISTINCT s.board_code) AS boards,
           SUM(s.funded_wte) AS funded, SUM(s.in_post_wte) AS in_post,
           SUM(s.vacant_wte) AS vacant
    FROM staffing s GROUP BY s.service ORDER BY s.service
"""


def _print_snapshot(warehouse_url: str) -> None:
    """What the `staffing` view now says, so a newcomer sees the warehouse answer."""
    from warehouse.engine import cached_warehouse

    table = Table(title="Staffing by service (the `staffing` view, accepted returns)")
    for column in ("Service", "Boards", "Funded WTE", "In post WTE", "Vacant WTE"):
        table.add_column(column, justify="right")
    with cached_warehouse(warehouse_url).connect() as connection:
        for service, boards, funded, in_post, vacant in connection.execute(text(_SNAPSHOT)):
            table.add_row(service, str(boards), f"{funded:.2f}", f"{in_post:.2f}", f"{vacant:.2f}")
    console.print(table)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Landing folders, reporter folders or files.")],
    warehouse: WarehouseOption = None,
) -> None:
    """Validate and load returns once, print a summary, and write feedback reports.

    Exits 0 when every file was handled (accepted or rejected alike) and non-zero only when
    the pipeline itself could not work, e.g. the warehouse is unreachable.
    """
    settings = Settings()
    if warehouse:
        settings = settings.model_copy(update={"warehouse_url": warehouse})
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
    """Generate a realistic quarter of returns from all 14 boards and ingest it into SQLite."""
    from samples.demo import generate_demo_quarter

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
    landing = directory / "landing"
    demo_returns = generate_demo_quarter(landing, year, quarter)
    console.print(f"Wrote {len(demo_returns)} sample returns to {landing}/<board code>/.")
    settings = Settings(
        warehouse_url=f"sqlite:///{(directory / 'warehouse.db').resolve()}",
        archive_url=str((directory / "archive").resolve()),
        feedback_url=str((directory / "feedback").resolve()),
        settle_seconds=0,
    )
    result = _run_ingest([str(landing.resolve())], settings)
    _print_result(result)
    _print_snapshot(settings.warehouse_url)
    console.print(
        f"\nWarehouse: {settings.warehouse_url}\nFeedback reports: {settings.feedback_url}/"
        f"<reporter code>/\nArchive of received files: {settings.archive_url}/"
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


def _add_subcommands() -> None:
    """Commands that live in their own modules, each with one job."""
    from pimh import cli_outputs, cli_register

    app.add_typer(cli_register.register_app, name="register")
    cli_outputs.register_commands(app)


_add_subcommands()
