"""The one shape every problem with a return takes, whatever found it.

Readers, schemas and the loader all report problems as `Issue`s so that the warehouse's
`validation_issues` view and the feedback reports speak with one voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem a reporter can act on.

    `cell` is an Excel reference such as `Staffing!D14`, the sheet name alone when no single
    cell is at fault, or None for a problem with the file as a whole.
    """

    severity: Severity
    message: str
    sheet: str | None = None
    cell: str | None = None
    value: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def file_problem(message: str) -> Issue:
    """An error with the file as a whole (unreadable, wrong template, wrong folder)."""
    return Issue(severity="error", message=message)


def column_letter(index: int) -> str:
    """Excel's column letters for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_reference(sheet: str, column_index: int, row_number: int) -> str:
    """`Sheet!C7` for a 0-based column index and a 1-based sheet row, as Excel shows it."""
    return f"{sheet}!{column_letter(column_index)}{row_number}"
