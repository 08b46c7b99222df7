"""The ingest flow: landing area to warehouse, one batch of files per flow run.

The flow only wires its steps (`flows.tasks`, `flows.report_tasks`) in order; every
large value passes between them wrapped in `data()`.
"""

from __future__ import annotations

from typing import TypeVar, cast

import polars as pl
from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture, as_completed
from prefect.utilities.annotations import quote

from config.faults import checkpoint
from config.settings import Settings, current_settings, using_settings
from connectors.isolation import warm_reader_pool
from domain.records import ReceivedFile
from domain.register import empty_register
from domain.workbook import WorkbookContent
from flows.email_tasks import send_reporter_emails
from flows.long_lived import freeze_long_lived_objects
from flows.progress import report
from flows.report_tasks import (
    make_annotated_copies,
    name_this_run,
    publish_summary,
    publish_trackers,
    write_annotated_copies,
    write_html_reports,
    write_refused_reports,
)
from flows.tasks import (
    add_plausibility_warnings,
    claim_files,
    find_returns,
    load_warehouse,
    make_fact_rows,
    prepare_warehouse,
    read_register,
    read_returns,
    receive_files,
    record_outcomes,
    validate_returns,
)
from intake.plausibility import thresholds_of
from intake.received import Archiving
from intake.summary import FileSummary
from schemas.validate_batch import TEMPLATE_CODES, TemplateBatch
from transforms.run_facts import merged_fact_rows
from warehouse.claims import Claimant, release_claims
from warehouse.engine import cached_warehouse

T = TypeVar("T")


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


@flow(name="ingest-returns", log_prints=False)
def ingest_returns(locations: list[str], settled: bool = False) -> IngestResult:
    """Validate and load every settled file under `locations`; report every file's fate.

    Its parameters say only where the files are, and whether the caller (the watcher)
    has already seen each of them stop changing, so this run need not wait the quiet time
    again: the settings (the warehouse URL with its password among them) come from
    `config.settings.current_settings`, never through Prefect, which shows parameters in
    its UI. Each file is claimed in the warehouse first, so that any number of runs at
    once record and load it once; a run that fails gives its unrecorded claims back.
    """
    freeze_long_lived_objects()
    settings = current_settings()
    workers = settings.reader_processes
    warm_reader_pool(workers, settings.reader_memory_mb)
    url = settings.warehouse_url
    prepare_warehouse(url)
    landed, still_changing = find_returns(
        locations, 0 if settled else settings.settle_seconds, settings.settle_timeout_seconds
    )
    received, archiving = receive_files(
        data(landed), settings.archive_url, settings.arrival_time, workers
    )
    report("received", len(received))
    checkpoint("after_receive")
    claimant = Claimant.for_this_process()
    try:
        files = _ingest_claimed(received, archiving, claimant, settings)
    except BaseException:
        release_claims(cached_warehouse(url), claimant)
        raise
    return IngestResult(files=files, still_changing=[f.url for f in still_changing])


def _ingest_claimed(
    received: list[ReceivedFile], archiving: Archiving, claimant: Claimant, settings: Settings
) -> list[FileSummary]:
    """The flow's steps from claiming the received files to the run's summary."""
    url, workers = settings.warehouse_url, settings.reader_processes
    sorted_files, recorded, elsewhere = claim_files(
        data(received), url, claimant, settings.claim_lease_seconds
    )
    report("new", len(sorted_files.new))
    contents = read_returns(data(sorted_files.new), data(archiving), settings)
    report("read", len(contents))
    checkpoint("after_read")
    register = read_register(url) if sorted_files.new else empty_register()
    batches, facts = _checked(sorted_files.new, contents, register, settings)
    records = record_outcomes(data(sorted_files), data(contents), data(batches))
    report("validated", len(records))
    # Naming the run is a call on Prefect's API alone: it is made meanwhile, and a run
    # that could not be renamed still completes (`_say_if_unnamed`).
    naming = name_this_run.submit(data(records)) if records else None
    # The copies are made in the worker pool while the reports are written (once the
    # archive holds every file) and the warehouse loads; it records only the HTML report.
    copies = make_annotated_copies.submit(data(records), data(received), workers)
    places = write_html_reports(
        data(archiving), data(records), data(received), settings.feedback_url
    )
    checkpoint("after_html_reports")
    loaded = load_warehouse(
        data(records), data(facts), url, settings.load_chunk_size, claimant.token
    )
    report("loaded", len(loaded.ids))
    if loaded.refused:
        write_refused_reports(data(loaded.refused), data(received), settings.feedback_url)
    # The trackers and the summary wait mostly on Prefect's API: published meanwhile.
    trackers = publish_trackers.submit(data(records), url, settings.trackers_per_run)
    summary = publish_summary.submit(
        data(records),
        data([*sorted_files.already_processed, *recorded]),
        data(loaded),
        data(elsewhere),
    )
    checkpoint("before_annotated_copies")
    write_annotated_copies(
        data(copies),
        data(places),
        data(records),
        data(loaded.ids),
        warehouse_url=url,
        workers=workers,
    )
    # A mail server down (after the task's retries) fails this step only: the emails wait.
    send_reporter_emails(url, return_state=True)
    trackers.result()  # a tracker that could not be published fails the run, as before
    files = summary.result()
    if naming is not None:
        _say_if_unnamed(naming)
    return files


def _say_if_unnamed(naming: PrefectFuture[str]) -> None:
    """A run whose renaming failed (Prefect's API, after the task's retries) has still
    done its work, which is loaded by then: it completes, and says so in its log."""
    naming.wait()
    if naming.state.is_failed():
        get_run_logger().warning(
            "This run keeps the name it started with: naming it for its returns failed (%s).",
            naming.state.message,
        )


def _checked(
    new: list[ReceivedFile],
    contents: list[WorkbookContent],
    register: pl.DataFrame,
    settings: Settings,
) -> tuple[list[TemplateBatch], dict[str, pl.DataFrame]]:
    """Each template's returns validated, shaped into fact rows, then compared with their
    previous quarters: the batches, and the run's fact rows.

    The templates' batches are checked at once, on the flow's task runner: much of the
    work is in polars, which lets go of the interpreter, so two batches take less than
    the time of one after the other. Whichever template's validation ends first is shaped
    and compared while the other is still validated. Shaping comes before the comparison
    (a return it rejects is no longer accepted, so is neither warned about nor anyone's
    previous quarter) and both before the records are made.
    """
    url = settings.warehouse_url
    validating = {
        validate_returns.submit(data(new), data(contents), data(register), code): code
        for code in TEMPLATE_CODES
    }
    batches: dict[str, list[TemplateBatch]] = {}
    facts: dict[str, dict[str, pl.DataFrame]] = {}
    comparing = []
    for validation in as_completed(list(validating)):
        code = validating[validation]
        batches[code] = validation.result()
        facts[code] = make_fact_rows(data(batches[code])) if batches[code] else {}
        if any(batch.accepted for batch in batches[code]):
            comparing.append(
                add_plausibility_warnings.submit(
                    data(batches[code]), data(new), url, thresholds_of(settings)
                )
            )
    for comparison in comparing:
        comparison.result()
    return (
        [batch for code in TEMPLATE_CODES for batch in batches[code]],
        merged_fact_rows([facts[code] for code in TEMPLATE_CODES]),
    )


def ingest(
    locations: list[str], settings: Settings | None = None, *, settled: bool = False
) -> IngestResult:
    """The ingest flow run in this process with `settings` (by default the environment's):
    for the command line, the embedded watcher, tests and benchmarks."""
    with using_settings(settings or Settings()):
        return ingest_returns(locations, settled)
