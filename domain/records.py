"""The records that pass between the pipeline's steps, from landing to the warehouse.

A `LandedFile` is found in the landing area; once its bytes are read and fingerprinted
it is a `ReceivedFile`; once judged, a `SubmissionRecord` says everything the audit trail
keeps about that arrival.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final, Literal

from domain.issues import Issue

# The column tying a batch's typed rows and fact rows to their return: the received
# file's `key` within its batch.
RETURN_INDEX: Final = "return_index"

SubmissionStatus = Literal["accepted", "rejected", "superseded", "duplicate"]


@dataclass(frozen=True, slots=True)
class LandedFile:
    """A file found in a landing area, and the reporter folder it sits in (None: outside)."""

    url: str
    landing_root: str
    folder: str
    reporter_code: str | None
    file_name: str
    size: int
    # When the storage says it last changed (seconds since the epoch), where it says.
    modified: float | None = None


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A landed file taken in: its bytes, their SHA-256, and where the archive keeps them.

    `key` numbers the file within its batch; every later record of it carries the key.
    """

    key: int
    landed: LandedFile
    data: bytes
    sha256: str
    archive_url: str
    received_at: dt.datetime


@dataclass(slots=True)
class SubmissionRecord:
    """Everything the audit trail keeps about one file arrival."""

    key: int
    sha256: str
    size_bytes: int
    archive_url: str
    file_name: str
    origin_path: str
    received_at: dt.datetime
    status: SubmissionStatus
    template: str | None = None
    template_version: str | None = None
    reporter_code: str | None = None
    financial_year: str | None = None
    quarter: str | None = None
    completed_by: str | None = None
    contact_email: str | None = None
    feedback_url: str | None = None
    # Its annotated copy is owed until written: what a run still owes is found and finished.
    annotation_owed: bool = False
    # For feedback reports only (the warehouse has the board and register dimensions).
    reporter_name: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(issue.is_error for issue in self.issues)

    @property
    def warnings(self) -> int:
        return sum(not issue.is_error for issue in self.issues)
