"""The ingest flow's steps from the landing area to the warehouse, each a task.

Each task is a thin call of the functions doing the work, so each step is tested without
Prefect. Retries only on tasks touching storage or the database. Inputs are large
(workbook bytes, frames), so no task caches on its inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE

from config.settings import Settings
from connectors.isolation import extract_many
from domain.records import LandedFile, ReceivedFile, SubmissionRecord
from domain.workbook import WorkbookContent
from intake.claimed import split_by_claims
from intake.landed import settled_returns
from intake.outcome import submission_records
from intake.plausibility import add_to_batches, plausibility_issues
from intake.received import Archiving, receive_batch
from intake.triage import Triage, triage
from schemas.validate_batch import RETURN_LAYOUTS, TemplateBatch, validate_by_template
from transforms.plausibility import Thresholds
from transforms.run_facts import run_fact_rows
from warehouse.claims import Claimant, claim
from warehouse.engine import cached_warehouse
from warehouse.load import LoadResult, known_files, load_submissions
from warehouse.migrate import upgrade
from warehouse.register import all_register_versions

# Storage and database are the outside world: worth retrying, with growing delays.
STORAGE_DELAYS: list[float] = [1, 3, 9]
DATABASE_DELAYS: list[float] = [1, 3, 9]


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def prepare_warehouse(warehouse_url: str) -> None:
    upgrade(cached_warehouse(warehouse_url))


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def find_returns(
    locations: Sequence[str], quiet_seconds: float, timeout: float
) -> tuple[list[LandedFile], list[LandedFile]]:
    return settled_returns(locations, quiet_seconds, timeout)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def receive_files(
    landed: Sequence[LandedFile], archive_url: str, received_at: dt.datetime | None, workers: int
) -> tuple[list[ReceivedFile], Archiving]:
    """Every file's bytes and fingerprint; its archive copy is written in the background."""
    return receive_batch(landed, archive_url, received_at, workers)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def claim_files(
    received: Sequence[ReceivedFile], warehouse_url: str, claimant: Claimant, lease_seconds: float
) -> tuple[Triage, list[ReceivedFile], list[ReceivedFile]]:
    """Claim every received file for this run, and sort the claimed ones into new and
    already processed: (sorted, recorded already, taken by another run). Only claimed
    files are read and recorded (`warehouse.claims`); a retry claims again what this run
    holds already. One task rather than two: each task run costs this process about 5 ms."""
    engine = cached_warehouse(warehouse_url)
    files = [(item.landed.url, item.sha256) for item in received]
    claimed, recorded, elsewhere = split_by_claims(
        received, claim(engine, files, claimant, lease_seconds)
    )
    return triage(claimed, known_files(engine, [r.sha256 for r in claimed])), recorded, elsewhere


@task(cache_policy=NO_CACHE)
def read_returns(
    new: Sequence[ReceivedFile], archiving: Archiving, settings: Settings
) -> list[WorkbookContent]:
    """What each new file holds; then the archive copies are started in the worker pool,
    to be written while this process validates (`intake.received.Archiving`)."""
    contents = extract_many(
        [item.data for item in new],
        RETURN_LAYOUTS,
        settings.max_file_bytes,
        settings.max_expanded_bytes,
        settings.reader_processes,
    )
    archiving.start()
    return contents


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def read_register(warehouse_url: str) -> pl.DataFrame:
    """Every version of the register: third-sector returns are checked against it."""
    return all_register_versions(cached_warehouse(warehouse_url))


@task(cache_policy=NO_CACHE, task_run_name="validate_returns-{template_code}")
def validate_returns(
    new: Sequence[ReceivedFile],
    contents: Sequence[WorkbookContent],
    register: pl.DataFrame,
    template_code: str,
) -> list[TemplateBatch]:
    """The run's returns of one template (by code, e.g. BQR), validated as one batch."""
    names = [name for name, layout in RETURN_LAYOUTS.items() if layout.code == template_code]
    return validate_by_template(new, contents, register, names)


@task(cache_policy=NO_CACHE)
def make_fact_rows(batches: Sequence[TemplateBatch]) -> dict[str, pl.DataFrame]:
    """The accepted returns' fact rows, by fact table."""
    return run_fact_rows(batches)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def add_plausibility_warnings(
    batches: Sequence[TemplateBatch],
    new: Sequence[ReceivedFile],
    warehouse_url: str,
    thresholds: Thresholds,
) -> int:
    """Compare each accepted return with its reporter's previous quarter; the warnings go
    into the batches' issues (after every read, so a retry never adds them twice).
    Returns how many were added."""
    issues = plausibility_issues(
        cached_warehouse(warehouse_url),
        batches,
        {item.key: item.received_at for item in new},
        thresholds,
    )
    add_to_batches(batches, issues)
    return sum(len(found) for found in issues.values())


@task(cache_policy=NO_CACHE)
def record_outcomes(
    sorted_files: Triage, contents: Sequence[WorkbookContent], batches: Sequence[TemplateBatch]
) -> list[SubmissionRecord]:
    """Every file's status and capped issues, as the submission records to load."""
    return submission_records(sorted_files, contents, batches)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def load_warehouse(
    records: Sequence[SubmissionRecord],
    facts: dict[str, pl.DataFrame],
    warehouse_url: str,
    chunk_size: int,
    claim_token: str,
) -> LoadResult:
    return load_submissions(
        cached_warehouse(warehouse_url), records, facts, chunk_size, claim_token
    )
