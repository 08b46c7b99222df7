"""What a feedback report is about: the return received, and the places in it issues point at.

Both renderings of feedback (the HTML page and the annotated workbook) need the same facts
about the return and must list its problems in the same order, so the reporter can read
one beside the other. That shared ground lives here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from domain.cells import CellLocation, parse_reference
from domain.issues import Issue
from domain.reference import BOARDS

STATUSES: Final[frozenset[str]] = frozenset({"accepted", "rejected"})

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True, slots=True)
class FeedbackSubject:
    """The return a feedback report answers, as the reporter will recognise it.

    Deliberately holds no Completed by or Email: feedback never repeats personal details.
    """

    reporter_code: str | None
    reporter_name: str | None
    file_name: str
    sha256: str
    received_at: dt.datetime
    status: str  # "accepted" or "rejected"
    template: str | None
    financial_year: str | None
    quarter: str | None

    def __post_init__(self) -> None:
        # Fail where the subject is built, not half-way through writing a report.
        if self.status not in STATUSES:
            raise ValueError(f"status must be 'accepted' or 'rejected', not {self.status!r}")
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError(f"sha256 must be 64 hexadecimal digits, not {self.sha256!r}")

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


def reporter_label(subject: FeedbackSubject) -> str | None:
    """`NHS Fife (S08000029)`: the reporter as both reports name it."""
    name = subject.reporter_name or BOARDS.get(subject.reporter_code or "")
    if name and subject.reporter_code:
        return f"{name} ({subject.reporter_code})"
    return name or subject.reporter_code


def period_label(subject: FeedbackSubject) -> str | None:
    """`2022-23 Q1`, or None when the file did not say."""
    parts = [part for part in (subject.financial_year, subject.quarter) if part]
    return " ".join(parts) or None


def locate(issue: Issue) -> CellLocation:
    """Where an issue points (see `domain.cells.parse_reference`).

    Anything that does not parse as a cell is kept as a sheet-level location rather than
    dropped: the reporter still sees the problem, just without a highlighted cell.
    """
    return parse_reference(issue.cell, issue.sheet)


def where(issue: Issue) -> str:
    """The place to show the reporter, exactly as the issue names it."""
    return (issue.cell or "").strip() or (issue.sheet or "").strip() or "Whole file"


def ordered_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Issues in reading order: file-level first, then by sheet, row and column.

    Columns and rows compare as numbers (D9 before D10, Z5 before AA5), and on one cell
    errors come before warnings; otherwise the order the checks found them is kept.
    """
    return sorted(issues, key=_sort_key)


def _sort_key(issue: Issue) -> tuple[int, str, int, int, int]:
    location = locate(issue)
    has_sheet = 0 if location.sheet is None else 1
    sheet = sheet_key(location.sheet or "")
    severity = 0 if issue.severity == "error" else 1
    return (has_sheet, sheet, location.row or 0, location.column or 0, severity)


def sheet_key(name: str) -> str:
    """Sheet names match case-insensitively and ignoring surrounding spaces (SPEC.md)."""
    return name.strip().casefold()


def severity_label(issue: Issue) -> str:
    """`Error`, `Warning`, or `Warning, explained` for one the reporter has answered."""
    if issue.is_error:
        return "Error"
    return "Warning, explained" if issue.is_explained else "Warning"


def message_shown(issue: Issue) -> str:
    """The issue's message, followed by the reporter's explanation when there is one."""
    if issue.explanation is None:
        return issue.message
    return f"{issue.message} Explained: \u201c{issue.explanation}\u201d"
