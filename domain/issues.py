"""The one shape every problem with a return takes, whatever found it.

Readers, schemas and the loader all report problems as `Issue`s so that the warehouse's
`validation_issues` view and the feedback reports speak with one voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from domain.text import QUOTED_CHARACTERS, shown

Severity = Literal["error", "warning"]
# An explanation is the reporter's prose, kept whole up to this length (a cell holds 32,767).
EXPLANATION_CHARACTERS: Final = 2000


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem a reporter can act on.

    `cell` is an Excel reference such as `Staffing!D14`, the sheet name alone when no single
    cell is at fault, or None for a problem with the file as a whole.

    A plausibility warning also names its `rule` and `subject` (the service, say), so that
    one its reporter has answered is known again on a resubmission with the same figure;
    `explanation` is the reporter's answer, given in the workbook itself.
    """

    severity: Severity
    message: str
    sheet: str | None = None
    cell: str | None = None
    value: str | None = None
    rule: str | None = None
    subject: str | None = None
    explanation: str | None = None

    def __post_init__(self) -> None:
        # The value found is quoted to recognise the cell, never stored or shown whole:
        # a cell may hold 32,767 characters (and a CSV field any number).
        if self.value is not None and len(self.value) > QUOTED_CHARACTERS:
            object.__setattr__(self, "value", shown(self.value))
        if self.explanation is not None and len(self.explanation) > EXPLANATION_CHARACTERS:
            object.__setattr__(self, "explanation", shown(self.explanation, EXPLANATION_CHARACTERS))

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def is_explained(self) -> bool:
        """A warning the reporter has answered in the workbook's Explanation column."""
        return self.explanation is not None


def file_problem(message: str) -> Issue:
    """An error with the file as a whole (unreadable, wrong template, wrong folder)."""
    return Issue(severity="error", message=message)
