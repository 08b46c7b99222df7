"""The `check-warehouse` flow: the warehouse's quality checks as a run of their own.

The service runs it after each ingest run completes (a deployment trigger, see
`flows.service`), never inside one: Great Expectations takes seconds to import, so only
the task that runs the checks imports it, and importing this module (as the service does
to register the flow) does not.
"""

from __future__ import annotations

from typing import Final

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from config.settings import current_settings
from domain.periods import Period
from flows.worker import GIVEN_WAY
from warehouse.quality_results import QualityCheck

QUALITY_ARTIFACT: Final = "warehouse-quality"
# The database is the outside world: worth retrying, with growing delays.
DATABASE_DELAYS: Final[list[float]] = [1, 3, 9]
# The artifact lists failed expectations up to this many; the Data Docs have the rest.
LISTED_FAILURES: Final = 50


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=DATABASE_DELAYS)
def run_quality_checks(
    warehouse_url: str, financial_year: str | None, quarter: str | None, docs_dir: str
) -> tuple[int, QualityCheck]:
    """Check the warehouse, build the Data Docs and keep the outcome; (check_id, outcome)."""
    from pathlib import Path

    from quality.run import check_and_keep

    period = Period.exact(financial_year, quarter) if financial_year and quarter else None
    kept = check_and_keep(warehouse_url, period, Path(docs_dir))
    return kept.check_id, kept.check


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def quality_markdown(check_id: int, check: QualityCheck) -> str:
    """The run's summary for the Prefect UI: verdict, counts by suite, what failed, docs."""
    what = f"{check.financial_year} {check.quarter}" if check.quarter else "every quarter"
    verdict = "passed" if check.is_passed else "FAILED"
    errors, warnings = check.failed("error"), check.failed("warning")
    lines = [
        f"# Warehouse quality ({what}): {verdict}",
        "",
        f"{len(check.outcomes)} expectations; {len(errors)} error-level and {len(warnings)} "
        f"warning-level failed. Kept as check {check_id} in the warehouse's `quality_check`.",
        "",
        f"[Data Docs]({check.docs_url}) (`{check.docs_url}`)",
        "",
        "| Suite | Expectations | Errors failed | Warnings failed |",
        "|---|---:|---:|---:|",
    ]
    suites = list(dict.fromkeys(o.suite for o in check.outcomes))
    for suite in suites:
        mine = [o for o in check.outcomes if o.suite == suite]
        failed = [o for o in mine if not o.is_passed]
        lines.append(
            f"| {suite} | {len(mine)} | {sum(o.severity == 'error' for o in failed)} "
            f"| {sum(o.severity == 'warning' for o in failed)} |"
        )
    failures = [*errors, *warnings]
    if failures:
        lines += ["", "| Failed | Severity | Expects | Found |", "|---|---|---|---|"]
        for outcome in failures[:LISTED_FAILURES]:
            lines.append(
                f"| `{outcome.key}` | {outcome.severity} | {_cell(outcome.description)} "
                f"| {_cell(outcome.detail or '')} |"
            )
        if len(failures) > LISTED_FAILURES:
            lines.append(f"\n{len(failures) - LISTED_FAILURES} more in the Data Docs.")
    return "\n".join(lines) + "\n"


@task(cache_policy=NO_CACHE)
def publish_quality(check_id: int, check: QualityCheck) -> str:
    """The check's summary as the run's `warehouse-quality` Markdown artifact."""
    create_markdown_artifact(
        key=QUALITY_ARTIFACT,
        markdown=quality_markdown(check_id, check),
        description="The warehouse's Great Expectations checks, as of this run.",
    )
    return QUALITY_ARTIFACT


def a_later_check_is_waiting() -> bool:
    """Whether a run of this deployment created after this one has yet to start.

    Loads finishing during a check each queue one more; a later run sees everything an
    earlier waiting one would, so a burst of loads costs one check, not one each. (The
    service's workers ask before starting a check's process; this is for any other.)
    """
    from uuid import UUID

    from prefect import get_client
    from prefect.runtime import deployment, flow_run

    from flows.worker import made_after, waiting_runs_filter

    deployment_id, this_run = deployment.get_id(), flow_run.get_id()
    if deployment_id is None or this_run is None:
        return False  # run by hand, not by the service
    with get_client(sync_client=True) as client:
        me = client.read_flow_run(UUID(this_run))
        waiting = client.read_flow_runs(**waiting_runs_filter(UUID(deployment_id)))
    return made_after(me, waiting)


@flow(name="check-warehouse", log_prints=False)
def check_warehouse(financial_year: str | None = None, quarter: str | None = None) -> State:
    """Run the warehouse's quality checks (one quarter, or every quarter by default).

    The run fails when an error-level expectation fails, so it shows red in the UI; its
    artifact says which. Settings (the warehouse URL among them) come from
    `current_settings`, never through parameters, which Prefect shows in its UI.
    """
    if (financial_year is None) != (quarter is None):
        raise ValueError("give financial_year and quarter together, or neither")
    if a_later_check_is_waiting():
        return Completed(message=GIVEN_WAY)
    if financial_year is not None and quarter is not None:
        period = Period.parse(financial_year, quarter)
        financial_year, quarter = period.financial_year, period.quarter
    settings = current_settings()
    docs_dir = str(settings.quality_docs_folder().resolve())
    check_id, check = run_quality_checks(settings.warehouse_url, financial_year, quarter, docs_dir)
    publish_quality(check_id, check)
    summary = f"check {check_id}: {len(check.failed('error'))} error-level expectations failed"
    if check.is_passed:
        return Completed(message=summary, data=check_id)
    return Failed(message=summary, data=check_id)
