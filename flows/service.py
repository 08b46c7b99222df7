"""The service's deployments on a Prefect server, and the sweep that backs up the watcher.

A landed file becomes a run of the `ingest-returns/ingest` deployment (the watcher submits
each batch with `run_deployment`), and those runs go to the `pimh` process work pool, so
any number of workers on any number of machines share them. The sweep runs on a schedule
and ingests every landed file with no record, so that a file whose event was lost
anywhere (a watcher down, a network mount that tells nothing) is still taken. Each
completed ingest run triggers a run of `check-warehouse/after-ingest`, the warehouse's
quality checks, on the same pool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final, cast

from prefect import flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.types.entrypoint import EntrypointType

from config.settings import Settings, current_settings
from connectors.landing import discover
from flows.ingest import ingest_returns
from flows.quality import check_warehouse
from flows.worker import QUALITY_QUEUE, ensure_work_pool
from warehouse.engine import cached_warehouse
from warehouse.migrate import upgrade
from warehouse.recorded import recorded_urls

INGEST_DEPLOYMENT: Final = "ingest-returns/ingest"
SWEEP_DEPLOYMENT: Final = "sweep-landing/sweep"
QUALITY_DEPLOYMENT: Final = "check-warehouse/after-ingest"

# A run of the ingest flow that completed, wherever it ran (the ingest deployment, the
# sweep's batches): Prefect's own state-change event for it.
AFTER_INGEST: Final = DeploymentEventTrigger(
    name="after-ingest",
    description="Check the warehouse's quality once an ingest run has completed.",
    expect={"prefect.flow-run.Completed"},
    match_related={"prefect.resource.role": "flow", "prefect.resource.name": "ingest-returns"},
)


@flow(name="sweep-landing", log_prints=False)
def sweep_landing(landing: str) -> int:
    """Ingest every file in `landing` the warehouse has no record of; how many there were.

    They are handled in batches of `PIMH_BATCH_MAX_FILES`, each an ingest run of its own
    (a subflow), so that a backlog is shown and recovered the way the watcher's are.
    """
    settings = current_settings()
    engine = cached_warehouse(settings.warehouse_url)
    upgrade(engine)
    landed = discover(landing)
    recorded = recorded_urls(engine, landed)
    waiting = [file.url for file in landed if file.url not in recorded]
    size = max(1, settings.batch_max_files)
    for start in range(0, len(waiting), size):
        ingest_returns(waiting[start : start + size])
    return len(waiting)


def deployments(landing: str, settings: Settings) -> Sequence[RunnerDeployment]:
    """The service's deployments, by module path: every worker imports them from pimh as
    installed, so no code storage is needed and no machine keeps any state."""
    ingest = ingest_returns.to_deployment(
        name="ingest",
        description="Validates and loads the returns the watcher hands it, a batch a run.",
        tags=["pimh"],
        work_pool_name=settings.work_pool,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    sweep = sweep_landing.to_deployment(
        name="sweep",
        description="Ingests any landed file with no record: events lost anywhere recovered.",
        tags=["pimh"],
        interval=dt.timedelta(minutes=settings.sweep_minutes),
        parameters={"landing": landing},
        work_pool_name=settings.work_pool,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    quality = check_warehouse.to_deployment(
        name="after-ingest",
        description="Checks the warehouse with its Great Expectations suites after each load.",
        tags=["pimh"],
        triggers=[AFTER_INGEST],
        # One check at a time; those triggered meanwhile wait their turn, so the last
        # load is always checked.
        concurrency_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        work_pool_name=settings.work_pool,
        # A queue of its own, served by a worker slot of its own (see `flows.worker`): a
        # check never holds up the next file's ingest run.
        work_queue_name=QUALITY_QUEUE,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # `to_deployment` gives a coroutine only when called from async code; never here.
    return [
        cast(RunnerDeployment, ingest),
        cast(RunnerDeployment, sweep),
        cast(RunnerDeployment, quality),
    ]


def deploy_service(landing: str, settings: Settings) -> list[str]:
    """Register the work pool and every deployment on the configured server; their names."""
    from prefect import deploy

    ensure_work_pool(settings.work_pool)
    made = deployments(landing, settings)
    deploy(
        *made,
        work_pool_name=settings.work_pool,
        build=False,
        push=False,
        print_next_steps_message=False,
        ignore_warnings=True,
    )
    return [f"{d.flow_name}/{d.name}" for d in made]
