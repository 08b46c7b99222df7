"""The ingest flow: landing area to warehouse, one batch of files per flow run.

Tasks are the steps; retries only on those touching storage or the database. Inputs are
large (workbook bytes, frames), so no task caches on its inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TypeVar, cast

import polars as pl
from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from config.settings import Settings
from connectors.isolation import extract_many, map_isolated, warm_reader_pool
from domain.records import LandedFile, ReceivedFile, SubmissionRecord
from domain.reference import BOARDS
from domain.register import empty_register
from domain.workbook import WorkbookContent
from feedback.annotate import annotate_job
from feedback.subject import FeedbackSubject
from feedback.writer import write_annotated_copy, write_html_report
from intake.landed import settled_returns
from intake.outcome import submission_records
from intake.received import Archiving, receive_batch
from intake.summary import FileSummary, feedback_root_for, summarise
from intake.triage import Triage, triage
from schemas.validate_batch import RETURN_LAYOUTS, TemplateBatch, validate_by_template
from transforms.facts import fact_rows
from warehouse.engine import cached_warehouse
from warehouse.load import known_files, load_submissions
from warehouse.migrate import upgrade
from warehouse.register import all_register_versions

# Storage and database are the outside world: worth retrying, with growing delays.
T = TypeVar("T")

STORAGE_DELAYS: list[float] = [1, 3, 9]
DATABASE_DELAYS: list[float] = [1, 3, 9]
# Annotating one return's copy takes tens of milliseconds; past this it is abandoned.
ANNOTATE_SECONDS = 60.0


def data(value: T) -> T:
    """`value` wrapped in Prefect's quote(): data, not futures, so Prefect does not walk it.

    Walking thousands of workbooks' bytes and frames for futures cost more than the work.
    Typed as the value itself, which is what the task receives.
    """
    return cast(T, quote(value))


class IngestResult:
    """Every file's fate, and the files left for the next run because still being written.

    Deliberately not a dataclass: Prefect walks a flow's dataclass result field by field
    looking for futures, a third of a second for a backfill's thousands of summaries; a
    plain object it leaves alone.
    """

    __slots__ = ("files", "still_changing")

    def __init__(self, files: list[FileSummary], still_changing: list[str]) -> None:
        self.files = files
        self.still_changing = still_changing

    def __repr__(self) -> str:
        return f"IngestResult({len(self.files)} files, {len(self.still_changing)} still changing)"


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


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def confirm_archived(archiving: Archiving) -> None:
    """Every received file is in the archive before anything about it is recorded."""
    archiving.confirm()


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def sort_received(received: Sequence[ReceivedFile], warehouse_url: str) -> Triage:
    known = known_files(cached_warehouse(warehouse_url), [r.sha256 for r in received])
    return triage(received, known)


@task(cache_policy=NO_CACHE)
def read_returns(new: Sequence[ReceivedFile], settings: Settings) -> list[WorkbookContent]:
    return extract_many(
        [item.data for item in new],
        RETURN_LAYOUTS,
        settings.max_file_bytes,
        settings.max_expanded_bytes,
        settings.reader_processes,
    )


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def read_register(warehouse_url: str) -> pl.DataFrame:
    """Every version of the register: third-sector returns are checked against it."""
    return all_register_versions(cached_warehouse(warehouse_url))


@task(cache_policy=NO_CACHE)
def validate_returns(
    new: Sequence[ReceivedFile], contents: Sequence[WorkbookContent], register: pl.DataFrame
) -> list[TemplateBatch]:
    return validate_by_template(new, contents, register)


@task(cache_policy=NO_CACHE)
def make_fact_rows(batches: Sequence[TemplateBatch]) -> dict[str, pl.DataFrame]:
    """The accepted returns' fact rows, by fact table."""
    return fact_rows(batches)


@task(cache_policy=NO_CACHE)
def record_outcomes(
    sorted_files: Triage, contents: Sequence[WorkbookContent], batches: Sequence[TemplateBatch]
) -> list[SubmissionRecord]:
    """Every file's status and capped issues, as the submission records to load."""
    return submission_records(sorted_files, contents, batches)


@dataclass(slots=True)
class AnnotatedCopies:
    """Marked-up workbooks being made in the worker pool while the warehouse loads."""

    copies: Future[list[bytes | None]]
    # Where each copy goes: the feedback root and the report's subject.
    destinations: list[tuple[str, FeedbackSubject]]


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def write_feedback_reports(
    records: Sequence[SubmissionRecord],
    received: Sequence[ReceivedFile],
    feedback_url: str | None,
    workers: int,
) -> AnnotatedCopies:
    """An HTML report for every return with problems (and only those), written now, and
    its annotated copy started in the worker pool.

    The copies (openpyxl, tens of milliseconds each) are made in parallel while the
    warehouse loads; `write_annotated_copies` writes them. The warehouse records only the
    HTML report, which exists before the submission is recorded.
    """
    by_key = {item.key: item for item in received}
    needing = [r for r in records if r.issues and r.status in ("accepted", "rejected")]
    jobs = [(by_key[r.key].data, r.file_name, r.issues) for r in needing]
    copies = _annotating.submit(
        map_isolated, jobs, annotate_job, workers, ANNOTATE_SECONDS, _no_copy
    )
    destinations = []
    for record in needing:
        subject = FeedbackSubject(
            reporter_code=record.reporter_code,
            reporter_name=record.reporter_name or BOARDS.get(record.reporter_code or ""),
            file_name=record.file_name,
            sha256=record.sha256,
            received_at=record.received_at,
            status=record.status,
            template=record.template,
            financial_year=record.financial_year,
            quarter=record.quarter,
        )
        root = feedback_url or feedback_root_for(by_key[record.key].landed.landing_root)
        record.feedback_url = write_html_report(root, subject, record.issues)
        destinations.append((root, subject))
    return AnnotatedCopies(copies, destinations)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def write_annotated_copies(pending: AnnotatedCopies) -> None:
    for (root, subject), copy in zip(pending.destinations, pending.copies.result(), strict=True):
        write_annotated_copy(root, subject, copy)


# One thread drives the worker pool for annotation while this one loads the warehouse.
_annotating = ThreadPoolExecutor(1, thread_name_prefix="annotate")


def _no_copy(_reason: str) -> None:
    return None


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def load_warehouse(
    records: Sequence[SubmissionRecord],
    facts: dict[str, pl.DataFrame],
    warehouse_url: str,
    chunk_size: int,
) -> dict[int, int]:
    return load_submissions(cached_warehouse(warehouse_url), records, facts, chunk_size)


# Past this many files (a backfill), the run's artifact lists only those needing attention:
# Prefect keeps every artifact in its own database, and the warehouse's `submissions`
# view already records every file's fate.
ARTIFACT_LISTS_EVERY_FILE_UP_TO = 1_000


def _summary_artifact(files: Sequence[FileSummary]) -> None:
    listed = list(files)
    description = f"{len(files)} files handled by this ingest run."
    if len(listed) > ARTIFACT_LISTS_EVERY_FILE_UP_TO:
        listed = [f for f in files if f.status != "accepted" or f.errors or f.warnings]
        description += (
            f" Listed: the {len(listed)} needing attention; every file's fate is in the "
            "warehouse's `submissions` view."
        )
    create_table_artifact(
        key="ingest-summary", table=[asdict(f) for f in listed], description=description
    )


@flow(name="ingest-returns", log_prints=False)
def ingest_returns(locations: list[str], settings: Settings | None = None) -> IngestResult:
    """Validate and load every settled file under `locations`; report every file's fate."""
    settings = settings or Settings()
    warm_reader_pool(settings.reader_processes)
    prepare_warehouse(settings.warehouse_url)
    landed, still_changing = find_returns(
        locations, settings.settle_seconds, settings.settle_timeout_seconds
    )
    received, archiving = receive_files(
        data(landed), settings.archive_url, settings.arrival_time, settings.reader_processes
    )
    sorted_files = sort_received(data(received), settings.warehouse_url)
    contents = read_returns(data(sorted_files.new), settings)
    register = read_register(settings.warehouse_url) if sorted_files.new else empty_register()
    batches = validate_returns(data(sorted_files.new), data(contents), data(register))
    facts = make_fact_rows(data(batches))
    records = record_outcomes(data(sorted_files), data(contents), data(batches))
    confirm_archived(data(archiving))
    copies = write_feedback_reports(
        data(records), data(received), settings.feedback_url, settings.reader_processes
    )
    submission_ids = load_warehouse(
        data(records), data(facts), settings.warehouse_url, settings.load_chunk_size
    )
    write_annotated_copies(data(copies))
    files = summarise(records, sorted_files.already_processed, submission_ids)
    if files:
        _summary_artifact(files)
    return IngestResult(files=files, still_changing=[f.url for f in still_changing])
