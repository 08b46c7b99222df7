"""The work pool's worker: flow runs executed in the worker's own, already warm, process.

Prefect's process worker starts a fresh Python for every flow run. For pimh that costs
more than the run itself (importing polars, pandera, SQLAlchemy and the flows, migrating
nothing, forking the reader pool) and alone would keep a landed file from the warehouse
for five seconds or more. This worker is a Prefect worker like the others (it polls its
work pool, proposes the run's states, shows in the UI under Work Pools), but it runs each
flow run on one long-lived thread of its own process, where everything is imported once
and the reader's worker processes stay up between runs. Isolation is not lost: every
workbook is still read in a capped worker process (`connectors.isolation`), and a run that
raises is Failed with its reason, as in a process of its own.

One ingest run at a time per worker: a second run waits for the first, and more capacity
is more workers (on this or other machines), each claiming its files in the warehouse.
The warehouse's quality checks have a work queue of their own and a slot of their own in
each `pimh worker` (a second worker object in the same process, which runs each check in
a fresh process of its own), so a check, seconds of Great Expectations, never holds up
the next file.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Final

from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.exceptions import ObjectAlreadyExists
from prefect.flow_engine import run_flow, run_flow_in_subprocess
from prefect.flows import Flow, load_flow_from_entrypoint
from prefect.states import Completed
from prefect.workers.base import (
    BaseJobConfiguration,
    BaseVariables,
    BaseWorker,
    BaseWorkerResult,
)

if TYPE_CHECKING:
    from uuid import UUID

    import anyio.abc

WORKER_TYPE: Final = "pimh-in-process"
INGEST_QUEUE: Final = "default"
QUALITY_QUEUE: Final = "quality"
GIVEN_WAY: Final = "a later check of the warehouse is waiting; it covers this one"


class InProcessResult(BaseWorkerResult):
    """The run's outcome as the worker reports it: 0 whenever the engine reached a state."""


class InProcessWorker(BaseWorker[BaseJobConfiguration, BaseVariables, InProcessResult]):
    """Runs the work pool's flow runs in this process, one at a time, on one thread."""

    type = WORKER_TYPE
    job_configuration = BaseJobConfiguration
    job_configuration_variables = BaseVariables
    _description = "Runs pimh's flow runs in the worker's own warm process, one at a time."

    def __init__(
        self, work_pool_name: str, *, isolated: bool = False, coalesce: bool = False, **options: Any
    ) -> None:
        """`isolated`: run each flow run in a fresh process instead (the quality checks:
        seconds of Great Expectations that would otherwise hold this process's GIL while
        an ingest run works beside them). `coalesce`: a run with a later run of its
        deployment waiting behind it is redundant (a check of the whole warehouse), and is
        completed at once, without a process."""
        options.setdefault("limit", 1)
        super().__init__(work_pool_name, **options)
        self._isolated = isolated
        self._coalesce = coalesce
        # One thread for the worker's life: the reader's helper processes die with the
        # thread that started them (PR_SET_PDEATHSIG follows the thread), so every run must
        # come from the same one.
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flow-run")

    async def run(
        self,
        flow_run: FlowRun,
        configuration: BaseJobConfiguration,  # noqa: ARG002 - nothing to configure in-process
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> InProcessResult:
        entrypoint = await self._entrypoint(flow_run)
        if task_status is not None:
            task_status.started(os.getpid())
        if self._coalesce and await self._a_later_run_is_waiting(flow_run):
            # It would see nothing the later one will not: done, without starting a process.
            await self.client.set_flow_run_state(
                flow_run.id, Completed(message=GIVEN_WAY), force=True
            )
            return InProcessResult(identifier=str(flow_run.id), status_code=0)
        running = self._runner.submit(_run_here, entrypoint, flow_run, self._isolated)
        status_code = await asyncio.wrap_future(running)
        return InProcessResult(identifier=str(flow_run.id), status_code=status_code)

    async def _a_later_run_is_waiting(self, flow_run: FlowRun) -> bool:
        if flow_run.deployment_id is None:
            return False
        waiting = await self.client.read_flow_runs(**waiting_runs_filter(flow_run.deployment_id))
        return made_after(flow_run, waiting)

    async def _entrypoint(self, flow_run: FlowRun) -> str:
        if flow_run.deployment_id is None:
            raise ValueError(f"flow run {flow_run.id} has no deployment to say what to run")
        deployment = await self.client.read_deployment(flow_run.deployment_id)
        if not deployment.entrypoint:
            raise ValueError(f"deployment {deployment.name!r} has no entrypoint")
        return deployment.entrypoint


def _run_here(entrypoint: str, flow_run: FlowRun, isolated: bool) -> int:
    """The flow run executed by Prefect's own engine, which reports its states itself; the
    exit code of its process when isolated (not 0: the worker marks the run Crashed)."""
    flow: Flow[..., Any] = load_flow_from_entrypoint(entrypoint, use_placeholder_flow=False)
    if isolated:
        process = run_flow_in_subprocess(flow, flow_run=flow_run)
        process.join()
        return process.exitcode or 0
    run_flow(flow, flow_run=flow_run, return_type="state")
    return 0


def waiting_runs_filter(deployment_id: UUID) -> dict[str, Any]:
    """`read_flow_runs` filters for a deployment's runs that have yet to start."""
    return {
        "deployment_filter": DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        "flow_run_filter": FlowRunFilter(
            state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING])
            ),
            start_time=FlowRunFilterStartTime(is_null_=True),
        ),
    }


def made_after(me: FlowRun, waiting: list[FlowRun]) -> bool:
    """Whether any of `waiting` (not `me`) was created after `me`."""
    return any(
        run.created is not None and me.created is not None and run.created > me.created
        for run in waiting
        if run.id != me.id
    )


def ensure_work_pool(pool: str) -> None:
    """The work pool the deployments run on, made if the server has none yet."""
    from prefect import get_client

    template = InProcessWorker.get_default_base_job_template()
    with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
        client.create_work_pool(
            WorkPoolCreate(name=pool, type=WORKER_TYPE, base_job_template=template)
        )


def start_worker(pool: str, name: str | None) -> None:
    """Poll `pool` and run its flow runs here until stopped (Ctrl-C or SIGTERM).

    Every deployment's flow is imported first, so the first run is as quick as the rest.
    """
    importlib.import_module("flows.service")
    ingest = InProcessWorker(pool, name=name, work_queues=[INGEST_QUEUE], prefetch_seconds=1)
    checks = InProcessWorker(
        pool,
        name=f"{name} quality checks" if name else None,
        work_queues=[QUALITY_QUEUE],
        prefetch_seconds=1,
        isolated=True,
        coalesce=True,
    )
    asyncio.run(_both(ingest, checks))


async def _both(*workers: InProcessWorker) -> None:
    await asyncio.gather(*(worker.start() for worker in workers))
