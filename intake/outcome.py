"""What became of each received file, written down as its submission record.

Every file gets one, so the audit trail accounts for every file: validated returns
(accepted or rejected, their problems capped), unreadable workbooks, files outside any
reporter's folder, and duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.issues import Issue, file_problem
from domain.records import RETURN_INDEX, ReceivedFile, SubmissionRecord
from domain.reference import BOARDS
from domain.workbook import WorkbookContent
from intake.triage import Triage
from schemas.validate_batch import RETURN_LAYOUTS, TemplateBatch

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


def _reporter_name(template: str, row: dict[str, object], folder_code: str | None) -> str | None:
    if template == "BQR":
        return BOARDS.get(folder_code or "")
    name = row.get("register_name") or row.get("organisation")
    return str(name) if name else None


def _validated_records(
    batch: TemplateBatch, received: Mapping[int, ReceivedFile]
) -> list[SubmissionRecord]:
    cover = batch.validated.cover.rows_by_key(RETURN_INDEX, named=True, unique=True)
    records = []
    for position, key in enumerate(batch.keys):
        item = received[key]
        row = cover[position]
        records.append(
            _record(
                item,
                status="accepted" if batch.is_accepted(position) else "rejected",
                template=batch.template,
                template_version=batch.returns[position].content.template_version,
                financial_year=row["financial_year"],
                quarter=row["quarter"],
                completed_by=row["completed_by"],
                contact_email=row["email"],
                reporter_name=_reporter_name(batch.template, row, item.landed.reporter_code),
                issues=capped(batch.issues(position), unlisted=batch.unlisted(position)),
            )
        )
    return records


def submission_records(
    sorted_files: Triage, contents: Sequence[WorkbookContent], batches: Sequence[TemplateBatch]
) -> list[SubmissionRecord]:
    """Every received file's record but the already processed ones', in arrival order.

    `contents` are the reader's results for `sorted_files.new`, in the same order;
    `batches` the validated returns among them.
    """
    received = {item.key: item for item in sorted_files.new}
    by_key: dict[int, SubmissionRecord] = {}
    for batch in batches:
        by_key.update({record.key: record for record in _validated_records(batch, received)})
    for item, content in zip(sorted_files.new, contents, strict=True):
        if item.key not in by_key:
            layout = RETURN_LAYOUTS.get(content.template_name or "")
            by_key[item.key] = _record(
                item,
                status="rejected",
                template=layout.code if layout else None,
                issues=list(content.issues),
            )
    for item in sorted_files.outside_reporter_folders:
        by_key[item.key] = _record(item, status="rejected", issues=[_outside_problem(item)])
    for item in sorted_files.duplicates:
        by_key[item.key] = _record(item, status="duplicate")
    return [by_key[key] for key in sorted(by_key)]


def needing_feedback(records: Sequence[SubmissionRecord]) -> list[SubmissionRecord]:
    """The returns a feedback report is written for: judged ones with problems, only those."""
    return [r for r in records if r.issues and r.status in ("accepted", "rejected")]
