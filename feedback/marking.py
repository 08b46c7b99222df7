"""What the annotated copy of a return shows, decided once for both writers.

The copy is made either by editing the workbook's XML (`feedback.annotate_xml`) or, for
unusual workbooks, through openpyxl (`feedback.annotate_openpyxl`). A reporter must see
the same thing whichever wrote it, so the words, colours and placement of every mark are
worked out here, before either writer starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from domain.issues import Issue
from feedback.subject import locate, message_shown, ordered_issues, severity_label, sheet_key

AUTHOR: Final = "PIMH data team"
# Excel's own "Bad" and "Neutral" cell-style fills, which reporters already recognise.
ERROR_FILL_RGB: Final = "FFFFC7CE"
WARNING_FILL_RGB: Final = "FFFFEB9C"
# Comments are cut well short of the 32,767 characters a cell can hold.
MAX_COMMENT_CHARS: Final = 30_000
FEEDBACK_TITLE: Final = "Feedback from the PIMH data team"
FEEDBACK_NOTE: Final = (
    "A return with any error has not been loaded: correct your original file and send "
    "the whole return again."
)
FEEDBACK_HEADERS: Final = ("Severity", "Where", "Value found", "What is wrong")
FEEDBACK_WIDTHS: Final = (11, 22, 30, 90)


@dataclass(frozen=True, slots=True)
class Marking:
    """What the annotated copy shows: the problems on each cell, the sheets whose tabs are
    coloured, and the Feedback sheet's text."""

    # (sheet key, coordinate) -> the problems there, in reading order
    cells: dict[tuple[str, str], list[Issue]]
    # sheet key -> whether any problem on the sheet is an error
    tabs: dict[str, bool]
    issues: Sequence[Issue]
    comment: Callable[[Sequence[Issue]], str]
    fill: Callable[[Sequence[Issue]], str]
    tab_colour: Callable[[bool], str]
    feedback_title: str
    summary: str
    note: str
    headers: Sequence[str]
    widths: Sequence[int]
    author: str


def decide_marking(issues: Sequence[Issue]) -> Marking:
    """What either writer marks: problems by cell, tab colours, the Feedback sheet."""
    ordered = ordered_issues(issues)
    cells: dict[tuple[str, str], list[Issue]] = {}
    tabs: dict[str, bool] = {}
    for issue in ordered:
        location = locate(issue)
        if location.sheet is None:
            continue
        key = sheet_key(location.sheet)
        tabs[key] = tabs.get(key, False) or issue.severity == "error"
        if location.coordinate is not None:
            cells.setdefault((key, location.coordinate), []).append(issue)
    return Marking(
        cells=cells,
        tabs=tabs,
        issues=ordered,
        comment=_comment_of,
        fill=_fill_of,
        tab_colour=_tab_colour,
        feedback_title=FEEDBACK_TITLE,
        summary=_summary(ordered),
        note=FEEDBACK_NOTE,
        headers=FEEDBACK_HEADERS,
        widths=FEEDBACK_WIDTHS,
        author=AUTHOR,
    )


def comment_lines(issues: Sequence[Issue]) -> list[str]:
    """The lines of the comment on one cell: who wrote it, then each problem there."""
    lines = [f"{AUTHOR}:"]
    lines += [f"{severity_label(i)}: {message_shown(i)}" for i in issues]
    return lines


def comment_text(lines: Sequence[str]) -> str:
    """A comment's text from its lines, as a cell can hold it."""
    return clean_text("\n".join(lines))[:MAX_COMMENT_CHARS]


def clean_text(text: str) -> str:
    """Text safe in a cell: without the control characters XML cannot hold."""
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def feedback_sheet_title(names: Iterable[str]) -> str:
    """`Feedback`, unless the reporter already has a sheet of that name (any case).

    `names` are the workbook's sheet names as `sheet_key` gives them."""
    names = set(names)
    title, number = "Feedback", 1
    while sheet_key(title) in names:
        number += 1
        title = f"Feedback {number}"
    return title


def _comment_of(issues: Sequence[Issue]) -> str:
    return comment_text(comment_lines(issues))


def _fill_of(issues: Sequence[Issue]) -> str:
    return ERROR_FILL_RGB if any(i.severity == "error" for i in issues) else WARNING_FILL_RGB


def _tab_colour(has_error: bool) -> str:
    return ERROR_FILL_RGB if has_error else WARNING_FILL_RGB


def _summary(issues: Sequence[Issue]) -> str:
    errors = sum(1 for issue in issues if issue.severity == "error")
    return (
        f"{errors} error(s), {len(issues) - errors} warning(s). Errors are filled red and "
        "warnings amber; hover over a marked cell to read its comment."
    )
