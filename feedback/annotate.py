"""The reporter's own workbook, handed back with every problem marked where it sits.

A list of cell references is easy to misread; a red cell in the reporter's own file is
not. Annotation is a courtesy on top of the HTML report, never a substitute: whenever
the workbook cannot be marked up safely (not a workbook openpyxl can read, an .ods,
too large, or anything openpyxl chokes on), `annotate_workbook` returns None and the
reporter still gets the HTML.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, Final

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from connectors.sniff import unpacked_size
from domain.issues import Issue
from feedback.annotate_xml import Marking, annotate_xml, clean_text, feedback_sheet_title
from feedback.html_report import shorten
from feedback.subject import locate, ordered_issues, sheet_key, where

logger = logging.getLogger(__name__)

AUTHOR: Final = "PIMH data team"
# Excel's own "Bad" and "Neutral" cell-style fills, which reporters already recognise.
ERROR_FILL_RGB: Final = "FFFFC7CE"
WARNING_FILL_RGB: Final = "FFFFEB9C"
ANNOTATABLE_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
# A small zip can unpack into gigabytes; real returns unpack to a few times their size.
MAX_UNPACK_RATIO: Final = 10
_HEADERS: Final = ("Severity", "Where", "Value found", "What is wrong")
_WIDTHS: Final = (11, 22, 30, 90)


# openpyxl holds every cell as a Python object: a workbook whose sheets unzip past this
# (a real return's are tens of kilobytes) would cost hundreds of megabytes to annotate,
# and a copy of 100,000 rows helps nobody. Such a return gets the HTML report alone.
MAX_SHEET_BYTES = 5_000_000


def annotate_workbook(
    workbook: bytes,
    file_name: str,
    issues: Sequence[Issue],
    max_bytes: int = 20_000_000,
    max_sheet_bytes: int = MAX_SHEET_BYTES,
) -> bytes | None:
    """A copy of `workbook` with offending cells filled and commented and a Feedback sheet.

    Returns None, and never raises, when the file cannot be annotated; the caller then
    sends the HTML report alone. The output keeps the input's format (.xlsx or .xlsm,
    macros carried over but never run).
    """
    suffix = PurePath(file_name.strip()).suffix.lower()
    if suffix not in ANNOTATABLE_SUFFIXES or len(workbook) > max_bytes:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
            if unpacked_size(archive) > max_bytes * MAX_UNPACK_RATIO:
                return None
            if unpacked_size(archive, "xl/worksheets/") > max_sheet_bytes:
                return None
        marking = _marking(issues)
        fast = annotate_xml(workbook, marking)
        if fast is not None:
            return fast
        return _annotate(workbook, suffix == ".xlsm", marking)
    except Exception as error:  # openpyxl fails in many ways on odd files; none may escape
        logger.warning("Could not annotate %r: %s: %s", file_name, type(error).__name__, error)
        return None


def annotate_job(job: tuple[bytes, str, Sequence[Issue]]) -> bytes | None:
    """`annotate_workbook` on one (workbook, file name, issues): picklable for a pool."""
    workbook, file_name, issues = job
    return annotate_workbook(workbook, file_name, issues)


def _annotate(workbook: bytes, keep_vba: bool, marking: Marking) -> bytes:
    """The general writer, through openpyxl, of the same `Marking` as `annotate_xml`."""
    book = load_workbook(io.BytesIO(workbook), keep_vba=keep_vba)
    sheets: dict[str, Worksheet] = {}
    for worksheet in book.worksheets:
        if isinstance(worksheet, Worksheet):  # chartsheets have no cells to mark
            sheets.setdefault(sheet_key(worksheet.title), worksheet)
    _mark_cells(sheets, marking)
    _add_feedback_sheet(book, sheets, marking.issues)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _mark_cells(sheets: dict[str, Worksheet], marking: Marking) -> None:
    """Fill and comment each cell once, with every message about it; errors win the fill."""
    for key, has_error in marking.tabs.items():
        if key in sheets:
            _colour_tab(sheets[key], has_error)
    for (key, coordinate), cell_issues in marking.cells.items():
        if key not in sheets:
            continue
        cell = _writable_cell(sheets[key], coordinate)
        colour = marking.fill(cell_issues)
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        cell.comment = _comment(cell_issues, cell.comment)


def _writable_cell(worksheet: Worksheet, coordinate: str) -> Any:
    """The cell itself, or the top-left cell of the merged block it is hidden inside."""
    for merged in worksheet.merged_cells.ranges:
        if coordinate in merged:
            return worksheet.cell(row=merged.min_row, column=merged.min_col)
    return worksheet[coordinate]


def _colour_tab(worksheet: Worksheet, has_error: bool) -> None:
    """Colour the sheet tab too, so a reporter sees which sheets need attention; a warning
    leaves alone a colour the reporter chose."""
    if has_error or worksheet.sheet_properties.tabColor is None:
        worksheet.sheet_properties.tabColor = _tab_colour(has_error)


def _comment_lines(issues: Sequence[Issue]) -> list[str]:
    lines = [f"{AUTHOR}:"]
    lines += [f"{'Error' if i.severity == 'error' else 'Warning'}: {i.message}" for i in issues]
    return lines


def _comment_text(issues: Sequence[Issue]) -> str:
    return clean_text("\n".join(_comment_lines(issues)))[:30_000]


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


_TITLE: Final = "Feedback from the PIMH data team"
_NOTE: Final = (
    "A return with any error has not been loaded: correct your original file and send "
    "the whole return again."
)


def _marking(issues: Sequence[Issue]) -> Marking:
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
        comment=_comment_text,
        fill=_fill_of,
        tab_colour=_tab_colour,
        feedback_title=_TITLE,
        summary=_summary(ordered),
        note=_NOTE,
        headers=_HEADERS,
        widths=_WIDTHS,
        author=AUTHOR,
    )


def _comment(issues: Sequence[Issue], existing: Any) -> Comment:
    lines = _comment_lines(issues)
    if existing is not None and existing.text:
        lines += ["", f"Earlier comment: {existing.text}"]
    text = clean_text("\n".join(lines))[:30_000]
    comment = Comment(text, AUTHOR)
    comment.width = 320
    comment.height = min(600, 40 + 20 * sum(1 + len(line) // 45 for line in lines))
    return comment


def _add_feedback_sheet(book: Any, sheets: dict[str, Worksheet], issues: Sequence[Issue]) -> None:
    """A first sheet listing every problem, each linked to its cell where there is one."""
    sheet = book.create_sheet(feedback_sheet_title(sheets), 0)
    sheet["A1"] = _TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = _summary(issues)
    sheet["A3"] = _NOTE
    for column, (header, width) in enumerate(zip(_HEADERS, _WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=5, column=column, value=header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    for row, issue in enumerate(issues, start=6):
        _text(sheet.cell(row=row, column=1), "Error" if issue.severity == "error" else "Warning")
        _link(sheet.cell(row=row, column=2), issue, sheets)
        _text(sheet.cell(row=row, column=3), shorten(issue.value))
        _text(sheet.cell(row=row, column=4), issue.message)
        sheet.cell(row=row, column=4).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A6"
    for worksheet in sheets.values():
        worksheet.sheet_view.tabSelected = False
    sheet.sheet_view.tabSelected = True
    book.active = 0
    for view in book.views:  # the tab bar may have been scrolled past the first sheet
        view.firstSheet = 0


def _link(cell: Any, issue: Issue, sheets: dict[str, Worksheet]) -> None:
    _text(cell, where(issue))
    location = locate(issue)
    worksheet = sheets.get(sheet_key(location.sheet or ""))
    if worksheet is None:
        return
    quoted = "'" + worksheet.title.replace("'", "''") + "'"
    target = f"{quoted}!{location.coordinate or 'A1'}"
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target, display=cell.value)
    cell.style = "Hyperlink"


def _text(cell: Any, value: str) -> None:
    """Write untrusted text as text: never as a formula, never with XML-illegal characters."""
    if value:
        cell.value = clean_text(value)
        cell.data_type = "s"
