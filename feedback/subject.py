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

from schemas.issues import Issue

STATUSES: Final[frozenset[str]] = frozenset({"accepted", "rejected"})

# Excel's limits: a reference beyond them cannot name a real cell.
_MAX_ROW: Final = 1_048_576
_MAX_COLUMN: Final = 16_384
_COORDINATE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\S*)?")
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


@dataclass(frozen=True, slots=True)
class Location:
    """Where an issue points: nowhere (the whole file), a sheet, or one cell of a sheet.

    `row` and `column` are 1-based, as Excel numbers them; a range is located by its
    top-left cell.
    """

    sheet: str | None = None
    row: int | None = None
    column: int | None = None

    @property
    def coordinate(self) -> str | None:
        """`D14`, or None when no single cell is meant."""
        if self.row is None or self.column is None:
            return None
        return f"{_column_letters(self.column)}{self.row}"


def locate(issue: Issue) -> Location:
    """Read an issue's `cell` (`Staffing!D14`, `'My sheet'!D14`, a sheet alone, or None).

    Anything that does not parse as a cell is kept as a sheet-level location rather than
    dropped: the reporter still sees the problem, just without a highlighted cell.
    """
    reference = (issue.cell or "").strip()
    fallback_sheet = (issue.sheet or "").strip() or None
    if not reference:
        return Location(sheet=fallback_sheet)
    if "!" in reference:
        sheet_part, coordinate = reference.rsplit("!", 1)
        sheet = _unquote_sheet(sheet_part) or fallback_sheet
        return _with_coordinate(sheet, coordinate)
    if fallback_sheet and _COORDINATE.fullmatch(reference):
        return _with_coordinate(fallback_sheet, reference)
    return Location(sheet=_unquote_sheet(reference) or fallback_sheet)


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


def _unquote_sheet(text: str) -> str | None:
    text = text.strip()
    if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
        text = text[1:-1].replace("''", "'")
    return text or None


def _with_coordinate(sheet: str | None, coordinate: str) -> Location:
    match = _COORDINATE.fullmatch(coordinate.strip())
    if match is None:
        return Location(sheet=sheet)
    column = _column_number(match.group(1))
    row = int(match.group(2))
    if not (1 <= row <= _MAX_ROW and 1 <= column <= _MAX_COLUMN):
        return Location(sheet=sheet)
    return Location(sheet=sheet, row=row, column=column)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (ord(letter) - 64)
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
