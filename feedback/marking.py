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
from feedback.html_report import format_received, plural
from feedback.subject import (
    FeedbackSubject,
    locate,
    message_shown,
    ordered_issues,
    period_label,
    reporter_label,
    severity_label,
    sheet_key,
)

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
REJECTED_NOTE: Final = (
    "Nothing from this return has been loaded. Correct the errors in your original file "
    "(and check the warnings while you do), then send the whole return again."
)
ACCEPTED_NOTE: Final = (
    "Its figures have been loaded. Warnings do not stop a return; please check each one "
    "and, if a figure is wrong, send a corrected return."
)
FEEDBACK_HEADERS: Final = ("Severity", "Where", "Value found", "What is wrong")
# Characters wide; 110 in all fits a landscape page, and the sheet is printed fit to width.
FEEDBACK_WIDTHS: Final = (10, 18, 24, 58)


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
    # Accepted or rejected, and what that means for the figures (None: not known here).
    verdict: str | None
    summary: str
    note: str
    # `Reporter: ...`, `Period: ...`, `SHA-256: ...`: which return this copy answers.
    facts: Sequence[str]
    headers: Sequence[str]
    widths: Sequence[int]
    author: str


def decide_marking(issues: Sequence[Issue], subject: FeedbackSubject | None = None) -> Marking:
    """What either writer marks: problems by cell, tab colours, the Feedback sheet.

    With the `subject`, the Feedback sheet says whether the return was accepted or rejected
    and which return it is; every sentence on it is then true of this return.
    """
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
        verdict=_verdict(ordered, subject),
        summary=_summary(ordered),
        note=_note(subject),
        facts=_facts(subject),
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
        f"{plural(errors, 'error')}, {plural(len(issues) - errors, 'warning')}. Errors are "
        "filled red and warnings amber; hover over a marked cell to read its comment."
    )


def _verdict(issues: Sequence[Issue], subject: FeedbackSubject | None) -> str | None:
    if subject is None:
        return None
    errors = sum(1 for issue in issues if issue.severity == "error")
    if not subject.accepted:
        return f"This return was rejected with {plural(errors, 'error')}."
    warnings = len(issues) - errors
    if warnings:
        return f"This return was accepted with {plural(warnings, 'warning')}."
    return "This return was accepted with no problems."


def _note(subject: FeedbackSubject | None) -> str:
    if subject is None:
        return FEEDBACK_NOTE
    return ACCEPTED_NOTE if subject.accepted else REJECTED_NOTE


def _facts(subject: FeedbackSubject | None) -> list[str]:
    if subject is None:
        return []
    facts = [
        f"Reporter: {reporter_label(subject) or 'not known'}",
        f"File: {subject.file_name}",
        f"Received: {format_received(subject.received_at)}",
        f"Period: {period_label(subject) or 'could not be read from the file'}",
        f"SHA-256: {subject.sha256}",
    ]
    return [clean_text(fact) for fact in facts]


# Points per line of text at the default font size; the title is larger.
LINE_POINTS: Final = 15.0
TITLE_POINTS: Final = 21.0


def preamble(marking: Marking) -> list[tuple[str, str]]:
    """The Feedback sheet's lines above its table, each with its kind: `title`, `verdict`
    (bold) or `text`. Each is written across the table's width, wrapped, so nothing is cut
    off on screen or on paper."""
    lines = [(marking.feedback_title, "title")]
    if marking.verdict:
        lines.append((marking.verdict, "verdict"))
    lines += [(marking.summary, "text"), (marking.note, "text")]
    lines += [(fact, "text") for fact in marking.facts]
    return lines


def header_row(marking: Marking) -> int:
    """The Feedback sheet's row of column headers (1-based): a blank row after the preamble."""
    return len(preamble(marking)) + 2


def line_height(text: str, kind: str, widths: Sequence[int]) -> float:
    """The height a preamble line needs once wrapped across the table: merged cells are not
    sized to their text by Excel, so the writers set it."""
    if kind == "title":
        return TITLE_POINTS
    per_line = max(1, int(sum(widths) * 0.9))  # proportional fonts fit a little less
    return LINE_POINTS * max(1, -(-len(text) // per_line))
