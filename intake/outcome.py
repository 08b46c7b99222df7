"""Deciding what became of each file and writing it down as submission records.

A return with any error is rejected whole; one with warnings only is accepted. Duplicates
and misplaced files are recorded too, so the audit trail accounts for every file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from domain.issues import Issue, file_problem
from domain.layouts import BQR, TSR
from domain.records import RETURN_INDEX, ReceivedFile, SubmissionRecord
from domain.reference import BOARDS, BQR_TEMPLATE_NAME, TSR_TEMPLATE_NAME
from domain.register import empty_register
from domain.workbook import WorkbookContent
from intake.triage import Triage
from schemas.batch import ReturnInput, ValidatedBatch
from schemas.validate_bqr import validate_board_returns
from schemas.validate_tsr import validate_third_sector_returns
from transforms.bqr_facts import board_facts
from transforms.tsr_facts import third_sector_facts

# The templates the reader knows, by the name on their Cover sheet.
RETURN_LAYOUTS = {BQR_TEMPLATE_NAME: BQR, TSR_TEMPLATE_NAME: TSR}

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


Validator = Callable[[Sequence[ReturnInput], pl.DataFrame], ValidatedBatch]
Shaper = Callable[[ValidatedBatch, Collection[int]], dict[str, pl.DataFrame]]


@dataclass(frozen=True, slots=True)
class _Template:
    """How one template's returns are validated, named and turned into fact rows."""

    name: str
    code: str
    validate: Validator
    shape: Shaper


def _validate_bqr(returns: Sequence[ReturnInput], _register: pl.DataFrame) -> ValidatedBatch:
    return validate_board_returns(returns)


TEMPLATES: Final = (
    _Template(BQR_TEMPLATE_NAME, "BQR", _validate_bqr, board_facts),
    _Template(TSR_TEMPLATE_NAME, "TSR", validate_third_sector_returns, third_sector_facts),
)
TEMPLATE_CODES: Final = {t.name: t.code for t in TEMPLATES}


def _readable(
    new: Sequence[ReceivedFile], contents: Sequence[WorkbookContent], template_name: str
) -> list[tuple[ReceivedFile, WorkbookContent]]:
    return [
        (item, content)
        for item, content in zip(new, contents, strict=True)
        if content.readable and content.template_name == template_name
    ]


def _reporter_name(template: str, row: dict[str, object], folder_code: str | None) -> str | None:
    if template == "BQR":
        return BOARDS.get(folder_code or "")
    name = row.get("register_name") or row.get("organisation")
    return str(name) if name else None


def _validated_records(
    pairs: Sequence[tuple[ReceivedFile, WorkbookContent]], batch: ValidatedBatch, template: str
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
                template=template,
                template_version=content.template_version,
                financial_year=row["financial_year"],
                quarter=row["quarter"],
                completed_by=row["completed_by"],
                contact_email=row["email"],
                reporter_name=_reporter_name(template, row, item.landed.reporter_code),
                issues=issues,
            )
        )
    return records


def decide(
    sorted_files: Triage,
    contents: Sequence[WorkbookContent],
    register: pl.DataFrame | None = None,
) -> Outcome:
    """Validate the readable returns, one batch per template, and record every file's fate.

    `contents` are the reader's results for `sorted_files.new`, in the same order;
    `register` holds every version of the register of funded organisations.
    """
    outcome = Outcome()
    register = register if register is not None else empty_register()
    by_key: dict[int, SubmissionRecord] = {}
    for template in TEMPLATES:
        pairs = _readable(sorted_files.new, contents, template.name)
        if not pairs:
            continue
        batch = template.validate(
            [ReturnInput(i.landed.reporter_code, c) for i, c in pairs], register
        )
        validated = _validated_records(pairs, batch, template.code)
        by_key.update({r.key: r for r in validated})
        accepted = [position for position, r in enumerate(validated) if r.status == "accepted"]
        keys = {position: item.key for position, (item, _) in enumerate(pairs)}
        outcome.facts.update(
            {
                table: rows.with_columns(
                    pl.col(RETURN_INDEX).replace_strict(keys, return_dtype=pl.Int64)
                )
                for table, rows in template.shape(batch, accepted).items()
            }
        )
    for item, content in zip(sorted_files.new, contents, strict=True):
        if item.key not in by_key:
            template_code = TEMPLATE_CODES.get(content.template_name or "")
            by_key[item.key] = _record(
                item, status="rejected", template=template_code, issues=list(content.issues)
            )
    for item in sorted_files.outside_reporter_folders:
        by_key[item.key] = _record(item, status="rejected", issues=[_outside_problem(item)])
    for item in sorted_files.duplicates:
        by_key[item.key] = _record(item, status="duplicate")
    outcome.records = [by_key[key] for key in sorted(by_key)]
    return outcome
