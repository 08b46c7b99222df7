"""The ingest flow's steps that tell people what happened, each a task.

Reporters get feedback on every return with problems: an HTML report, and a marked-up
copy of their workbook. The data team gets the run's summary. Writing to storage is
retried; making the copies is not (it touches nothing outside).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import ArtifactCreate
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run as runtime_flow_run
from prefect.utilities.context import get_task_and_flow_run_ids
from sqlalchemy import Engine

from config.faults import checkpoint
from connectors.archive import read_bytes
from connectors.isolation import map_in_lanes, map_isolated
from domain.periods import Period
from domain.records import ReceivedFile, SubmissionRecord
from domain.reference import BOARDS
from feedback.annotate import AnnotateJob, annotate_job, can_be_annotated
from feedback.subject import FeedbackSubject
from feedback.writer import report_root, write_annotated_copy, write_html_report
from flows.tasks import DATABASE_DELAYS, STORAGE_DELAYS
from intake.outcome import needing_feedback
from intake.received import Archiving
from intake.summary import (
    FileSummary,
    feedback_root_for,
    quarters_touched,
    run_name,
    run_tags,
    summarise,
    tracker_key,
    tracker_markdown,
    trackers_to_publish,
)
from warehouse.engine import cached_warehouse
from warehouse.load import LoadResult
from warehouse.owed_feedback import OwedCopy, owed_copies, record_copies
from warehouse.tracker import begun_quarters, trackers

# Annotating one return's copy takes tens of milliseconds; past this it is abandoned.
ANNOTATE_SECONDS = 60.0

# Past this many files (a backfill), the run's artifact lists only those needing attention:
# Prefect keeps every artifact in its own database, and the warehouse's `submissions`
# view already records every file's fate.
ARTIFACT_LISTS_EVERY_FILE_UP_TO = 1_000

# Where a return's feedback goes: the feedback root, and the report's subject.
FeedbackPlace = tuple[str, FeedbackSubject]


def _no_copy(_reason: str) -> None:
    return None


@task(cache_policy=NO_CACHE)
def make_annotated_copies(
    records: Sequence[SubmissionRecord], received: Sequence[ReceivedFile], workers: int
) -> list[bytes | None]:
    """The workbook of every return needing feedback, its problems marked, in record order.

    Made in the worker pool (openpyxl, tens of milliseconds each): the flow submits this
    step to run while the warehouse loads. None where a copy could not be made.
    """
    by_key = {item.key: item for item in received}
    jobs: list[AnnotateJob] = [
        (by_key[r.key].data, r.file_name, r.issues, _subject(r)) for r in needing_feedback(records)
    ]
    # One process fewer than the pool has: the load, meanwhile, keeps a core to itself.
    return map_in_lanes(
        jobs, annotate_job, workers, ANNOTATE_SECONDS, _no_copy, lanes=max(1, workers - 1)
    )


def _subject(record: SubmissionRecord) -> FeedbackSubject:
    return FeedbackSubject(
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


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def write_html_reports(
    archiving: Archiving,
    records: Sequence[SubmissionRecord],
    received: Sequence[ReceivedFile],
    feedback_url: str | None,
) -> list[FeedbackPlace]:
    """Once every received file is confirmed in the archive (nothing is written or
    recorded about a file before its copy is kept), an HTML report for every return with
    problems (and only those); where each went.

    Each record is given its report's location (`feedback_url`), which the warehouse
    records: the report exists before the submission is recorded. Without a feedback
    location, feedback goes beside the landing area the file came from.
    """
    archiving.confirm()
    return _write_reports(records, received, feedback_url)


def _write_reports(
    records: Sequence[SubmissionRecord], received: Sequence[ReceivedFile], feedback_url: str | None
) -> list[FeedbackPlace]:
    by_key = {item.key: item for item in received}
    places = []
    for record in needing_feedback(records):
        subject = _subject(record)
        root = feedback_url or feedback_root_for(by_key[record.key].landed.landing_root)
        record.feedback_url = write_html_report(root, subject, record.issues)
        # Owed until written, so that a run interrupted before then is finished by the next.
        record.annotation_owed = can_be_annotated(record.file_name)
        places.append((root, subject))
    return places


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def write_refused_reports(
    refused: Sequence[SubmissionRecord], received: Sequence[ReceivedFile], feedback_url: str | None
) -> None:
    """The report, anew, of each return the warehouse would not store (now rejected)."""
    _write_reports(refused, received, feedback_url)


# Storage and the warehouse alike: the two are retried with the same delays.
@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=STORAGE_DELAYS)
def write_annotated_copies(
    copies: PrefectFuture[list[bytes | None]],
    places: Sequence[FeedbackPlace],
    records: Sequence[SubmissionRecord],
    submission_ids: dict[int, int],
    *,
    warehouse_url: str,
    workers: int,
) -> dict[int, str | None]:
    """Each annotated copy beside its HTML report, once the pool has made them all; then
    the warehouse told they are no longer owed, and any copy an earlier, interrupted run
    still owes made and written too (`finish_owed_copies`). Where each of this run's went
    (None: no copy could be made), by submission id.

    A retry writes a copy again over itself: writing and recording are both idempotent.
    """
    owed = needing_feedback(records)
    written: dict[int, str | None] = {}
    for (root, subject), copy, record in zip(places, copies.result(), owed, strict=True):
        url = write_annotated_copy(root, subject, copy)
        checkpoint("after_annotated_copy")
        if record.key in submission_ids:
            written[submission_ids[record.key]] = url
    engine = cached_warehouse(warehouse_url)
    record_copies(engine, written)
    finish_owed_copies(engine, workers)
    return written


def finish_owed_copies(engine: Engine, workers: int) -> int:
    """The annotated copies earlier, interrupted runs still owe, written now; how many."""
    owed = owed_copies(engine)
    if not owed:
        return 0
    jobs: list[AnnotateJob] = [
        (read_bytes(o.archive_url), o.file_name, o.issues, _owed_subject(o)) for o in owed
    ]
    copies = map_isolated(jobs, annotate_job, workers, ANNOTATE_SECONDS, _no_copy)
    written: dict[int, str | None] = {}
    for item, copy in zip(owed, copies, strict=True):
        written[item.submission_id] = (
            write_annotated_copy(report_root(item.feedback_url), _owed_subject(item), copy)
            if item.feedback_url
            else None
        )
    record_copies(engine, written)
    return len(written)


def _owed_subject(owed: OwedCopy) -> FeedbackSubject:
    return FeedbackSubject(
        reporter_code=owed.reporter_code,
        reporter_name=BOARDS.get(owed.reporter_code or ""),
        file_name=owed.file_name,
        sha256=owed.sha256,
        received_at=owed.received_at,
        status=owed.status if owed.status == "rejected" else "accepted",
        template=owed.template,
        financial_year=owed.financial_year,
        quarter=owed.quarter,
    )


def _artifact_row(summary: FileSummary) -> dict[str, object]:
    """One return as the data team reads it in the run's table."""
    return {
        "reporter": summary.reporter_name or "",
        "code": summary.reporter_code or "",
        "quarter": summary.period or "",
        "status": summary.status,
        "errors": summary.errors,
        "warnings": summary.warnings,
        "first problems": summary.first_problems,
        "feedback report": summary.feedback or "",
        "file": summary.file,
    }


def _summary_artifact(files: Sequence[FileSummary]) -> None:
    listed = list(files)
    description = f"{len(files)} files handled by this ingest run."
    if len(listed) > ARTIFACT_LISTS_EVERY_FILE_UP_TO:
        listed = [f for f in files if f.status != "accepted" or f.errors or f.warnings]
        description += (
            f" Listed: the {len(listed)} needing attention; every file's fate is in the "
            "warehouse's `submissions` view."
        )
    table = json.dumps([_artifact_row(f) for f in listed])
    with get_client(sync_client=True) as client:
        client.create_artifact(_artifact_of_this_run("table", "ingest-summary", table, description))


def _artifact_of_this_run(kind: str, key: str, data: str, description: str) -> ArtifactCreate:
    """An artifact of the running task and flow, for a client the caller holds: Prefect's
    `create_*_artifact` helpers open a client of their own each time, 50-80 ms here."""
    task_run_id, flow_run_id = get_task_and_flow_run_ids()
    return ArtifactCreate(
        type=kind,
        key=key,
        data=data,
        description=description,
        flow_run_id=flow_run_id,
        task_run_id=task_run_id,
    )


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 3])
def name_this_run(records: Sequence[SubmissionRecord]) -> str:
    """Name the run for what it holds and tag it with its reporters and quarters, once its
    returns are read (the UI lists runs by name; a deployment's run starts generically)."""
    name = run_name(records)
    run_id = runtime_flow_run.get_id()
    if run_id is not None:  # the tags it started with (its deployment's) are kept
        tags = sorted({*runtime_flow_run.tags, *run_tags(records)})
        with get_client(sync_client=True) as client:
            client.update_flow_run(UUID(run_id), name=name, tags=tags)
    return name


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=DATABASE_DELAYS)
def publish_trackers(
    records: Sequence[SubmissionRecord], warehouse_url: str, most_new: int
) -> list[str]:
    """The tracker of the quarters the run touched, each as a Markdown artifact of its own
    (`tracker-2022-23-q1`): who has sent, who is late or missing, one click away.

    Every quarter whose tracker is in the UI already is brought up to date; of the others,
    the latest `most_new` are published (`trackers_to_publish`). A tracker that reads as
    the one shown already (the run changed nothing the tracker says: a file sent twice, a
    backfill loaded again) is not published again: Prefect keeps every version. A
    quarter that has not begun has no tracker. Returns the keys published.
    """
    with cached_warehouse(warehouse_url).connect() as connection:
        touched = begun_quarters(connection, quarters_touched(records))
        if not touched:
            return []
        with get_client(sync_client=True) as client:  # one client: each costs a connection
            shown = _published_trackers(client, touched)
            chosen = trackers_to_publish(touched, list(shown), most_new)
            progress = trackers(connection, chosen)
            pages = {period: tracker_markdown(str(period), progress[period]) for period in chosen}
            changed = [period for period in chosen if shown.get(period) != pages[period]]
            for period in changed:
                client.create_artifact(
                    _artifact_of_this_run(
                        "markdown",
                        tracker_key(period),
                        pages[period],
                        f"The submission tracker for {period}, as of this run.",
                    )
                )
    return [tracker_key(period) for period in changed]


def _published_trackers(client: SyncPrefectClient, quarters: Sequence[Period]) -> dict[Period, str]:
    """Those of `quarters` with a tracker artifact in Prefect, with its latest Markdown,
    asked in one call."""
    by_key = {tracker_key(period): period for period in quarters}
    found = client.read_latest_artifacts(
        artifact_filter=ArtifactCollectionFilter(
            key=ArtifactCollectionFilterKey(any_=list(by_key))
        ),
        limit=len(by_key),
    )
    return {by_key[a.key]: str(a.data) for a in found if a.key in by_key}


@task(cache_policy=NO_CACHE)
def publish_summary(
    records: Sequence[SubmissionRecord],
    already_processed: Sequence[ReceivedFile],
    loaded: LoadResult,
    taken_elsewhere: Sequence[ReceivedFile],
) -> list[FileSummary]:
    """One line per file, published as the run's `ingest-summary` artifact."""
    files = summarise(records, already_processed, loaded.ids, loaded.statuses, taken_elsewhere)
    if files:
        _summary_artifact(files)
    return files
