"""`pimh watch`, `serve`, `worker` and `deploy`: the pipeline as a service.

Boards and charities drop files at any hour; the data team watches runs in the Prefect UI
and never types a command to have them taken. With no PREFECT_API_URL, `pimh watch` runs
each batch in its own process on the temporary Prefect server pimh starts; with one, each
batch is a run of the ingest deployment for the work pool's workers. `pimh serve` is the
whole service on one machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape

from config.settings import Settings
from pimh.options import WarehouseOption
from pimh.terminal import console

PIMH = [sys.executable, "-m", "pimh"]
LandingArgument = Annotated[
    str, typer.Argument(metavar="LANDING", help="The landing area: a folder or fsspec URL.")
]
PollOption = Annotated[
    bool,
    typer.Option(
        "--poll",
        help="List the folder every PIMH_WATCH_POLL_SECONDS instead of waiting for "
        "file-system events (for network mounts that report none).",
    ),
]


def _settings(warehouse: str | None) -> Settings:
    settings = Settings()
    return settings.model_copy(update={"warehouse_url": warehouse}) if warehouse else settings


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM: the service stops cleanly, between batches."""
    stop = threading.Event()

    def stopping(_signal: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, stopping)
    signal.signal(signal.SIGTERM, stopping)
    return stop


def _recorded_filter(settings: Settings) -> Callable[[Sequence[object]], set[str]]:
    """Which landed files the warehouse has recorded already (left out at start)."""
    from warehouse.engine import cached_warehouse
    from warehouse.migrate import upgrade
    from warehouse.recorded import recorded_urls

    engine = cached_warehouse(settings.warehouse_url)
    upgrade(engine)
    return lambda landed: recorded_urls(engine, landed)  # type: ignore[arg-type]


def _log(message: str) -> None:
    console.print(escape(message), highlight=False, soft_wrap=True)


def _ingest_here(settings: Settings) -> Callable[[list[str]], None]:
    """Each batch ingested in this process, one line per file with its outcome.

    The flow runs in a thread of its own: Prefect's engine takes over SIGTERM in the main
    thread while a run is in it, and a SIGTERM then would abort the batch half-way. So the
    watcher's own handler gets the signal, the batch in hand finishes, and it stops. It is
    one thread for the watcher's whole life, not one per batch: the helpers a batch starts
    (the reader's forkserver) die with the thread that started them (PR_SET_PDEATHSIG
    follows the thread), so a thread per batch would leave the next batch a dead pool.
    """
    from pimh.cli_ingest import run_ingest

    runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")

    def on_batch(urls: list[str]) -> None:
        batch = runner.submit(partial(run_ingest, urls, settings, settled=True))
        while True:
            try:  # short waits: the main thread stays free for signal handlers
                outcome = batch.result(timeout=0.2)
                break
            except FutureTimeout:
                continue
        for file in outcome.files:
            problems = f" ({file.errors} errors, {file.warnings} warnings)"
            feedback = f"; feedback {file.feedback}" if file.feedback else ""
            _log(f"{file.file}: {file.status}{problems}{feedback}")

    return on_batch


def _submit_to_deployment() -> Callable[[list[str]], None]:
    """Each batch a run of the ingest deployment, for the work pool's workers."""
    from flows.arrivals import submit_batch

    def on_batch(urls: list[str]) -> None:
        name = submit_batch(urls)
        for url in urls:
            _log(f"{url}: landed; ingest run '{name}' submitted")

    return on_batch


def _watch(
    landing: str, settings: Settings, poll: bool, on_batch: Callable[[list[str]], None]
) -> None:
    from connectors.watch import watch_landing

    stop = _stop_on_signals()
    watch_landing(
        landing,
        on_batch,
        stop,
        settings=settings,
        already_recorded=_recorded_filter(settings),
        log=_log,
        poll=poll,
    )


def watch(
    landing: LandingArgument, warehouse: WarehouseOption = None, poll: PollOption = False
) -> None:
    """Take each file as it lands and ingest it, until Ctrl-C or SIGTERM.

    Files that landed while nothing was watching are taken at start. With
    PREFECT_API_URL set, each batch is a run of the ingest deployment (see `pimh deploy`,
    `pimh worker`); without, it runs here, on a temporary Prefect server.
    """
    from pimh.cli_ingest import start_prefect_early

    settings = _settings(warehouse)
    embedded = not os.environ.get("PREFECT_API_URL")
    if embedded:
        start_prefect_early()
    mode = "ingesting here" if embedded else f"submitting runs to {os.environ['PREFECT_API_URL']}"
    _log(f"Watching {landing} ({mode}); Ctrl-C to stop.")
    _watch(landing, settings, poll, _ingest_here(settings) if embedded else _submit_to_deployment())
    _log("Stopped watching.")


def deploy(
    landing: LandingArgument,
    pool: Annotated[str | None, typer.Option("--pool", help="Work pool (PIMH_WORK_POOL).")] = None,
) -> None:
    """Register the work pool and the service's deployments on the Prefect server
    (PREFECT_API_URL): ingest, and the sweep of LANDING every PIMH_SWEEP_MINUTES."""
    from flows.service import deploy_service

    if not os.environ.get("PREFECT_API_URL"):
        console.print("[red]PREFECT_API_URL is not set: deployments live on a Prefect server.[/]")
        raise typer.Exit(code=2)
    settings = Settings()
    if pool:
        settings = settings.model_copy(update={"work_pool": pool})
    for name in deploy_service(landing, settings):
        _log(f"Deployed {name} on work pool '{settings.work_pool}'.")


def worker(
    pool: Annotated[str | None, typer.Option("--pool", help="Work pool (PIMH_WORK_POOL).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="This worker's name.")] = None,
) -> None:
    """Run the work pool's flow runs on this machine, one at a time, in this process.

    A Prefect worker that keeps pimh imported and its readers warm between runs (see
    flows.worker), polling every PREFECT_WORKER_QUERY_SECONDS (1 s unless set; Prefect's
    own default is 10 s, which alone would make a file wait seconds).
    """
    if not os.environ.get("PREFECT_API_URL"):
        console.print("[red]PREFECT_API_URL is not set: a worker serves a Prefect server.[/]")
        raise typer.Exit(code=2)
    os.environ.setdefault("PREFECT_WORKER_QUERY_SECONDS", "1")
    os.environ.setdefault("PREFECT_WORKER_PREFETCH_SECONDS", "1")
    if name:
        os.environ["PIMH_WORKER_NAME"] = name
    from flows.worker import ensure_work_pool, start_worker

    chosen = pool or Settings().work_pool
    ensure_work_pool(chosen)
    start_worker(chosen, name)


def serve(
    landing: LandingArgument,
    port: Annotated[int, typer.Option("--port", help="The UI's port (0: a free one).")] = 0,
    warehouse: WarehouseOption = None,
    poll: PollOption = False,
) -> None:
    """The whole service on one machine: a Prefect server with its UI, the deployments, a
    worker, and the watcher, all stopped by Ctrl-C or SIGTERM."""
    from flows.service import deploy_service
    from pimh.prefect_server import start_local_server

    settings = _settings(warehouse)
    server = start_local_server(port)
    os.environ["PREFECT_API_URL"] = server.api_url
    worker_process: subprocess.Popen[bytes] | None = None
    try:
        server.wait_until_healthy()
        _log(f"Prefect UI: {server.api_url.removesuffix('/api')} (its log: {server.log_path})")
        deploy_service(landing, settings)
        worker_log = Path(server.log_path).with_name("pimh-worker.log").open("wb")
        worker_process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pimh",
                "worker",
                "--pool",
                settings.work_pool,
                "--name",
                "serve",
            ],
            env={**os.environ, "PIMH_WAREHOUSE_URL": settings.warehouse_url},
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            preexec_fn=_worker_lifeline,  # noqa: PLW1509
        )
        _log(f"Watching {landing}; Ctrl-C to stop.")
        _watch(landing, settings, poll, _submit_to_deployment())
    finally:
        if worker_process is not None and worker_process.poll() is None:
            worker_process.terminate()
            worker_process.wait(timeout=30)
        server.stop()
        _log("Stopped.")


def _worker_lifeline() -> None:  # pragma: no cover - runs in the child before exec
    from connectors.lifeline import die_with_parent

    die_with_parent(signal.SIGTERM)


def register_commands(app: typer.Typer) -> None:
    """Add the service's commands to the `pimh` app."""
    app.command("watch")(watch)
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("deploy")(deploy)
