"""`pimh ingest`: the data team's command to take in returns, and the summary it prints.

Exits 0 whenever every file was handled, accepted or rejected alike: a rejected return is
the pipeline working. Only a pipeline that could not work (e.g. no warehouse) exits 2, in
plain English, never a traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from config.settings import Settings
from intake.summary import TAKEN_ELSEWHERE
from pimh.ingest_progress import ingest_progress
from pimh.options import WarehouseOption
from pimh.prefect_env import apply_defaults
from pimh.prefect_server import (
    start_prefect_api,
    temporary_server_settings,
    wait_for_prefect_api,
)
from pimh.terminal import console
from pimh.warehouse_failures import unreachable

if TYPE_CHECKING:
    from flows.ingest import IngestResult

_STATUS_STYLE = {
    "accepted": "green",
    "rejected": "red",
    "duplicate": "yellow",
    "superseded": "yellow",
    "already processed": "dim",
    TAKEN_ELSEWHERE: "dim",
}

# Past this many files (a backfill), the table lists only the files that need attention.
LIST_EVERY_FILE_UP_TO = 50


def _keep_tracebacks_off_the_terminal() -> None:
    """Prefect logs a failed task's traceback to the console; the CLI says what failed in
    plain English instead, and the full log stays in the Prefect API (and its UI)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):
                handler.setLevel(logging.CRITICAL)


def run_ingest(locations: list[str], settings: Settings, *, settled: bool = False) -> IngestResult:
    """One ingest run over `locations`, under Prefect, with a progress bar while it works.

    `settled`: the caller (the watcher) has seen each file stop changing already.
    """
    apply_defaults()
    from connectors.isolation import warm_reader_pool

    # Readers start in their own processes while Prefect starts in this one.
    warm_reader_pool(settings.reader_processes, settings.reader_memory_mb)
    from flows.ingest import ingest

    _keep_tracebacks_off_the_terminal()
    with ingest_progress(console, len(locations)):
        wait_for_prefect_api()
        with temporary_server_settings():
            return ingest(locations, settings, settled=settled)


def missing_local_paths(locations: list[str]) -> list[str]:
    """The local paths among `locations` that do not exist. URLs (`s3://`, `memory://`) are
    left for the run to read: asking their storage here could mean a slow network call."""
    missing = []
    for location in locations:
        scheme, _, rest = location.partition("://")
        local = rest if scheme == "file" else (location if not rest else None)
        if local is not None and not Path(local).expanduser().exists():
            missing.append(location)
    return missing


def refuse_missing_paths(locations: list[str]) -> None:
    """A path that does not exist is a typo, not an empty landing area: say so, exit 2."""
    missing = missing_local_paths(locations)
    if missing:
        names = ", ".join(missing)
        console.print(
            f"[red]Nothing was ingested: {escape(names)} "
            f"{'does' if len(missing) == 1 else 'do'} not exist.[/] Check the path, or "
            "give the landing folder, a reporter's folder or a file.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=2)


def start_prefect_early() -> None:
    """Prefect's API server boots while the command does its other work (see
    pimh.prefect_server); the defaults must be in the environment it inherits."""
    apply_defaults()
    start_prefect_api()


def _plain_failure(exc: Exception, settings: Settings) -> str:
    if isinstance(exc, DBAPIError):
        return unreachable(exc, settings.warehouse_url)
    return f"The pipeline could not run: {type(exc).__name__}: {exc}"


def print_summary(result: IngestResult) -> None:
    """A row per file handled (only those needing attention in a backfill), then counts."""
    table = Table(title="Returns handled", show_lines=False)
    for column in ("Reporter", "File", "Status", "Errors", "Warnings", "Feedback"):
        table.add_column(column, overflow="fold")
    listed = result.files
    if len(listed) > LIST_EVERY_FILE_UP_TO:
        listed = [f for f in result.files if f.status != "accepted" or f.errors or f.warnings]
        table.title = f"Returns needing attention ({len(listed)} of {len(result.files)})"
    for row in listed:
        style = _STATUS_STYLE.get(row.status, "default")
        table.add_row(
            row.reporter_code or "-",
            # Reporters name their files: never read as markup.
            escape(Path(row.file).name),
            f"[{style}]{row.status}[/]",
            str(row.errors),
            str(row.warnings),
            escape(Path(row.feedback).name) if row.feedback else "",
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
        console.print(f"[yellow]Still being written, left for the next run:[/] {escape(url)}")


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
    refuse_missing_paths(paths)
    start_prefect_early()
    settings = Settings()
    if warehouse:
        settings = settings.model_copy(update={"warehouse_url": warehouse})
    if register is not None:
        from pimh.cli_register import load_or_exit

        # Returns checked against a stale register would be wrongly accepted or rejected.
        load_or_exit(register, settings.warehouse_url, None, ", so no returns were ingested")
    try:
        result = run_ingest(paths, settings)
    except Exception as exc:
        console.print(f"[red]{_plain_failure(exc, settings)}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from exc
    print_summary(result)
