"""Deciding what became of each file and writing it down as submission records.

A return with any error is rejected whole; one with warnings only is accepted. Duplicates
and misplaced files are recorded too, so the audit trail accounts for every file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from connectors.workbook import WorkbookContent
from intake.received import ReceivedFile
from intake.triage import Triage
from schemas.issues import Issue, file_problem
from schemas.layouts import BQR
from schemas.prepare import RETURN_INDEX
from schemas.reference import BQR_TEMPLATE_NAME
from schemas.validate_bqr import BoardReturn, ValidatedBatch, validate_board_returns
from transforms.bqr_facts import board_facts
from warehouse.load import SubmissionRecord

BQR_LAYOUTS = {BQR_TEMPLATE_NAME: BQR}

# Past this many, more problems help nobody: the board fixes these and sends it again.
MAX_ISSUES_PER_RETURN = 1000


def capped(
    issues: list[Issue],
    limit: int = MAX_ISSUES_PER_RETURN,
    unlisted: tuple[int, int] = (0, 0),
) -> list[Issue]:
    """The first `limit` problems (errors first), and one line saying how many more.

    `unlisted` counts (errors, warnings) that validation found but never listed.
    """
    if len(issues) <= limit and unlisted == (0, 0):
        return issues
    ordered = sorted(issues, key=lambda issue: not issue.is_error)
    hidden = ordered[limit:]
    errors = sum(issue.is_error for issue in hidden) + unlisted[0]
    count = len(hidden) + unlisted[0] + unlisted[1]
    more = Issue(
        "error" if errors else "warning",
        f"{count:,} more problems ({errors:,} errors) were found but are not listed. "
        "Correct the problems above, check the rest of the return for the same mistakes, "
        "and send it again.",
    )
    return [*ordered[:limit], more]


@dataclass(slots=True)
class Outcome:
    """Records for every received file, and the fact rows of the accepted ones."""

    records: list[SubmissionRecord] = field(default_factory=list)
    facts: dict[str, pl.DataFrame] = field(default_factory=dict)


def _record(item: ReceivedFile, **values: object) -> SubmissionRecord:
    return SubmissionRecord(
        key=item.key,
        sha256=item.sha256,
        size_bytes=len(item.data),
        archive_url=item.archive_url,
        file_name=item.landed.file_name,
        origin_path=item.landed.url,
        received_at=item.received_at,
        reporter_code=item.landed.reporter_code,
        **values,  # type: ignore[arg-type]
    )


def _outside_problem(item: ReceivedFile) -> Issue:
    place = f"the folder '{item.landed.folder}'" if item.landed.folder else "the landing area"
    return file_problem(
        f"The file was put in {place}, which is not a reporter's folder, so it was not "
        "loaded. Returns go in the folder named by the board code or charity number, for "
        "example S08000024/ or SC012345/."
    )


def _readable_board_returns(
    new: Sequence[ReceivedFile], contents: Sequence[WorkbookContent]
) -> list[tuple[ReceivedFile, WorkbookContent]]:
    return [
        (item, content)
        for item, content in zip(new, contents, strict=True)
        if content.readable and content.template_name == BQR_TEMPLATE_NAME
    ]


def _validated_records(
    pairs: Sequence[tuple[ReceivedFile, WorkbookContent]], batch: ValidatedBatch
) -> list[SubmissionRecord]:
    cover = batch.cover.rows_by_key(RETURN_INDEX, named=True, unique=True)
    records = []
    for position, (item, content) in enumerate(pairs):
        issues = capped(
            [*content.issues, *batch.issues.get(position, [])],
            unlisted=batch.unlisted.get(position, (0, 0)),
        )
        row = cover[position]
        records.append(
            _record(
                item,
                status="rejected" if any(i.is_error for i in issues) else "accepted",
                template="BQR",
                template_version=content.template_version,
                financial_year=row["financial_year"],
                quarter=row["quarter"],
                completed_by=row["completed_by"],
                contact_email=row["email"],
                issues=issues,
            )
        )
    return records


def decide(sorted_files: Triage, contents: Sequence[WorkbookContent]) -> Outcome:
    """Validate the readable board returns as one batch and record every file's fate.

    `contents` are the reader's results for `sorted_files.new`, in the same order.
    """
    outcome = Outcome()
    pairs = _readable_board_returns(sorted_files.new, contents)
    # A run with nothing readable to validate (all seen before, duplicates, unreadable).
    batch = (
        validate_board_returns([BoardReturn(i.landed.reporter_code, c) for i, c in pairs])
        if pairs
        else None
    )
    validated = _validated_records(pairs, batch) if batch is not None else []
    by_key = {r.key: r for r in validated}
    for item, content in zip(sorted_files.new, contents, strict=True):
        if item.key not in by_key:
            template = "BQR" if content.template_name == BQR_TEMPLATE_NAME else None
            by_key[item.key] = _record(
                item, status="rejected", template=template, issues=list(content.issues)
            )
    for item in sorted_files.outside_reporter_folders:
        by_key[item.key] = _record(item, status="rejected", issues=[_outside_problem(item)])
    for item in sorted_files.duplicates:
        by_key[item.key] = _record(item, status="duplicate")
    outcome.records = [by_key[key] for key in sorted(by_key)]
    if batch is None:
        return outcome
    accepted = [position for position, r in enumerate(validated) if r.status == "accepted"]
    keys = {position: item.key for position, (item, _) in enumerate(pairs)}
    outcome.facts = {
        sheet: rows.with_columns(pl.col(RETURN_INDEX).replace_strict(keys, return_dtype=pl.Int64))
        for sheet, rows in board_facts(batch, accepted).items()
    }
    return outcome
