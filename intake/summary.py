"""The one-line-per-file account of an ingest run that the CLI and the Prefect UI show."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from domain.records import ReceivedFile, SubmissionRecord


@dataclass(frozen=True, slots=True)
class FileSummary:
    file: str
    reporter_code: str | None
    status: str
    errors: int
    warnings: int
    feedback: str | None
    submission_id: int | None


def feedback_root_for(landing_root: str) -> str:
    """The `feedback` folder beside a landing area (local path or fsspec URL)."""
    protocol, separator, path = landing_root.rpartition("://")
    parent = posixpath.dirname(path.rstrip("/")) if path.rstrip("/") else ""
    joined = posixpath.join(parent, "feedback") if parent else "feedback"
    return f"{protocol}{separator}{joined}" if separator else joined


TAKEN_ELSEWHERE = "taken by another run"


def summarise(
    records: Sequence[SubmissionRecord],
    already_processed: Sequence[ReceivedFile],
    submission_ids: Mapping[int, int],
    statuses: Mapping[int, str] | None = None,
    taken_elsewhere: Sequence[ReceivedFile] = (),
) -> list[FileSummary]:
    """One line per file: its record's fate as the warehouse recorded it (`statuses`, by
    key, where loading decided otherwise), then the files passed over."""
    statuses = statuses or {}
    rows = [
        FileSummary(
            file=record.origin_path,
            reporter_code=record.reporter_code,
            status=statuses.get(record.key, record.status),
            errors=sum(i.is_error for i in record.issues),
            warnings=sum(not i.is_error for i in record.issues),
            feedback=record.feedback_url,
            submission_id=submission_ids.get(record.key),
        )
        for record in records
    ]
    rows += [
        FileSummary(
            item.landed.url, item.landed.reporter_code, "already processed", 0, 0, None, None
        )
        for item in already_processed
    ]
    rows += [
        FileSummary(item.landed.url, item.landed.reporter_code, TAKEN_ELSEWHERE, 0, 0, None, None)
        for item in taken_elsewhere
    ]
    return rows
