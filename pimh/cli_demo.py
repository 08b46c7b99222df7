"""`pimh demo`: one sample quarter played from start to finish, for anyone trying pimh.

It runs the same commands the data team would (register load, ingest, status) on files
written as boards and charities really send them, so what it shows is what pimh does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from config.settings import Settings
from pimh.cli_ingest import print_summary, run_ingest, start_prefect_early
from pimh.demo_checks import demo_period
from pimh.demo_emails import prepare_demo_emails
from pimh.demo_report import write_demo_report
from pimh.quality_summary import print_quality_summary
from pimh.terminal import console


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
    from pimh.explained_warnings import print_explained_warnings
    from pimh.national_figures import print_national_figures
    from samples.demo_previous import with_previous_quarter
    from samples.demo_timeline import prepare_demo
    from warehouse.engine import cached_warehouse

    period = demo_period(year, quarter)
    year, quarter = period.financial_year, period.quarter
    start_prefect_early()
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
        shutil.rmtree(directory, ignore_errors=True)  # no half-made demo folder left behind
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(code=2) from exc
    stages = with_previous_quarter(directory, stages, year, quarter)
    landing = directory / "landing"
    settings = Settings(
        warehouse_url=f"sqlite:///{(directory / 'warehouse.db').resolve()}",
        archive_url=str((directory / "archive").resolve()),
        feedback_url=str((directory / "feedback").resolve()),
        settle_seconds=0,
    )
    load_or_exit(register_path, settings.warehouse_url, None, "")
    settings = prepare_demo_emails(directory, settings)
    for stage in stages:
        shutil.copytree(stage.outbox, landing, dirs_exist_ok=True)
        console.rule(f"Returns received {stage.stage} ({stage.received_at:%d %B %Y})")
        result = run_ingest(
            [str(landing.resolve())],
            settings.model_copy(update={"arrival_time": stage.received_at}),
        )
        result.files[:] = [f for f in result.files if f.status != "already processed"]
        print_summary(result)
    console.rule(f"The quarter in the warehouse: {year} {quarter}")
    from pimh.cli_outputs import status

    status(year=year, quarter=quarter, warehouse=settings.warehouse_url)
    print_national_figures(console, cached_warehouse(settings.warehouse_url), year, quarter)
    print_explained_warnings(console, cached_warehouse(settings.warehouse_url))
    console.print(
        f"\nWarehouse: {settings.warehouse_url}\nRegister: {register_path}\n"
        f"Feedback reports: {settings.feedback_url}/<reporter code>/\n"
        f"Archive of received files: {settings.archive_url}/"
    )
    write_demo_report(directory, year, quarter, settings.warehouse_url)
    print_quality_summary(console, settings, year, quarter)
