"""The annotated copy made through openpyxl, for the workbooks the XML writer declines.

openpyxl loads every cell and writes the whole workbook again, which is slow but copes
with whatever a reporter's workbook holds (comments and drawings of its own, unusual
packages). It marks exactly the `Marking` the XML writer would have marked.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from domain.cells import quote_sheet
from domain.issues import Issue
from feedback.html_report import shorten
from feedback.marking import (
    Marking,
    clean_text,
    comment_lines,
    comment_text,
    feedback_sheet_title,
    header_row,
    line_height,
    preamble,
)
from feedback.subject import locate, message_shown, severity_label, sheet_key, where


def annotate_openpyxl(workbook: bytes, keep_vba: bool, marking: Marking) -> bytes:
    """The annotated copy of `workbook` (macros kept when `keep_vba`, never run)."""
    book = load_workbook(io.BytesIO(workbook), keep_vba=keep_vba)
    sheets: dict[str, Worksheet] = {}
    for worksheet in book.worksheets:
        if isinstance(worksheet, Worksheet):  # chartsheets have no cells to mark
            sheets.setdefault(sheet_key(worksheet.title), worksheet)
    _mark_cells(sheets, marking)
    _add_feedback_sheet(book, sheets, marking)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _mark_cells(sheets: dict[str, Worksheet], marking: Marking) -> None:
    """Fill and comment each cell once, with every message about it; errors win the fill."""
    for key, has_error in marking.tabs.items():
        if key in sheets:
            _colour_tab(sheets[key], marking.tab_colour(has_error), has_error)
    for (key, coordinate), cell_issues in marking.cells.items():
        if key not in sheets:
            continue
        cell = _writable_cell(sheets[key], coordinate)
        colour = marking.fill(cell_issues)
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        cell.comment = _comment(cell_issues, cell.comment, marking.author)


def _writable_cell(worksheet: Worksheet, coordinate: str) -> Any:
    """The cell itself, or the top-left cell of the merged block it is hidden inside."""
    for merged in worksheet.merged_cells.ranges:
        if coordinate in merged:
            return worksheet.cell(row=merged.min_row, column=merged.min_col)
    return worksheet[coordinate]


def _colour_tab(worksheet: Worksheet, colour: str, has_error: bool) -> None:
    """Colour the sheet tab too, so a reporter sees which sheets need attention; a warning
    leaves alone a colour the reporter chose."""
    if has_error or worksheet.sheet_properties.tabColor is None:
        worksheet.sheet_properties.tabColor = colour


def _comment(issues: Sequence[Issue], existing: Any, author: str) -> Comment:
    """Our comment, with the reporter's own comment on the cell kept under it."""
    lines = comment_lines(issues)
    if existing is not None and existing.text:
        lines += ["", f"Earlier comment: {existing.text}"]
    comment = Comment(comment_text(lines), author)
    comment.width = 320
    comment.height = min(600, 40 + 20 * sum(1 + len(line) // 45 for line in lines))
    return comment


def _add_feedback_sheet(book: Any, sheets: dict[str, Worksheet], marking: Marking) -> None:
    """A first sheet listing every problem, each linked to its cell where there is one;
    printed landscape, fit to the page's width, as the XML writer lays it out."""
    sheet = book.create_sheet(feedback_sheet_title(sheets), 0)
    wrap = Alignment(wrap_text=True, vertical="top")
    fonts = {"title": Font(bold=True, size=14), "verdict": Font(bold=True)}
    for number, (text, kind) in enumerate(preamble(marking), start=1):
        cell = sheet.cell(row=number, column=1)
        _text(cell, text)
        cell.alignment = wrap
        if kind in fonts:
            cell.font = fonts[kind]
        sheet.merge_cells(start_row=number, start_column=1, end_row=number,
                          end_column=len(marking.widths))  # fmt: skip
        sheet.row_dimensions[number].height = line_height(text, kind, marking.widths)
    header_at = header_row(marking)
    columns = zip(marking.headers, marking.widths, strict=True)
    for column, (header, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=header_at, column=column, value=header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    for row, issue in enumerate(marking.issues, start=header_at + 1):
        _text(sheet.cell(row=row, column=1), severity_label(issue))
        _link(sheet.cell(row=row, column=2), issue, sheets)
        _text(sheet.cell(row=row, column=3), shorten(issue.value))
        _text(sheet.cell(row=row, column=4), message_shown(issue))
        for column in (3, 4):
            sheet.cell(row=row, column=column).alignment = wrap
    sheet.freeze_panes = f"A{header_at + 1}"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
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
    target = f"{quote_sheet(worksheet.title)}!{location.coordinate or 'A1'}"
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target, display=cell.value)
    cell.style = "Hyperlink"


def _text(cell: Any, value: str) -> None:
    """Write untrusted text as text: never as a formula, never with XML-illegal characters."""
    if value:
        cell.value = clean_text(value)
        cell.data_type = "s"
