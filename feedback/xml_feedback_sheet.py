"""The Feedback sheet added first to the annotated copy: every problem, linked to its cell.

The sheet is a new worksheet part written from scratch, then made the workbook's first,
selected and active sheet, so it is what the reporter sees on opening the copy. Every
piece of text in it may be the reporter's own (a value, a sheet name), so it is written
as inline text, never as a formula.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Final

from lxml import etree

from connectors.ooxml import (
    RELATIONSHIPS,
    SPREADSHEET,
    WORKBOOK_PART,
    WORKSHEET_CONTENT_TYPE,
    WORKSHEET_RELATIONSHIP,
    Package,
    UnsupportedPackageError,
    spreadsheet_tag,
)
from domain.cells import column_letter, quote_sheet
from domain.issues import Issue
from feedback.html_report import shorten
from feedback.marking import (
    Marking,
    clean_text,
    feedback_sheet_title,
    header_row,
    line_height,
    preamble,
)
from feedback.subject import locate, message_shown, severity_label, sheet_key, where
from feedback.xml_styles import Styles
from feedback.xml_text import XML_SPACE, line_feeds

_NAMESPACES: Final = {None: SPREADSHEET, "r": RELATIONSHIPS}


def add_feedback_sheet(package: Package, styles: Styles, marking: Marking) -> None:
    """Write the Feedback sheet and make it the workbook's first and active sheet."""
    book = package.part(WORKBOOK_PART)
    sheets = book.find(spreadsheet_tag("sheets"))
    if sheets is None:
        raise UnsupportedPackageError("a workbook without sheets")
    names = {sheet_key(s.get("name", "")): s.get("name", "") for s in sheets}
    path = package.unused("xl/worksheets/sheet{}.xml")
    package.add(path, _feedback_sheet(marking, styles, names))
    relation_id = package.relate(WORKBOOK_PART, WORKSHEET_RELATIONSHIP, path)
    sheet_id = 1 + max((int(s.get("sheetId", "0")) for s in sheets), default=0)
    entry = etree.Element(spreadsheet_tag("sheet"))
    entry.set("name", feedback_sheet_title(names))
    entry.set("sheetId", str(sheet_id))
    entry.set(f"{{{RELATIONSHIPS}}}id", relation_id)
    sheets.insert(0, entry)
    for name in book.iter(spreadsheet_tag("definedName")):  # sheet-scoped names move along
        if name.get("localSheetId") is not None:
            name.set("localSheetId", str(int(name.get("localSheetId", "0")) + 1))
    views = book.find(spreadsheet_tag("bookViews"))
    if views is None:
        views = etree.Element(spreadsheet_tag("bookViews"))
        sheets.addprevious(views)
        etree.SubElement(views, spreadsheet_tag("workbookView"))
    for view in views:  # the tab bar may have been scrolled past the first sheet
        view.set("activeTab", "0")
        view.set("firstSheet", "0")
    package.declare(path, WORKSHEET_CONTENT_TYPE)


def _feedback_sheet(
    marking: Marking, styles: Styles, sheet_names: dict[str, str]
) -> etree._Element:
    """The worksheet part: title, verdict, summary, note and which return it is, then a
    header row and one row a problem; printed landscape, fit to the page's width.

    `sheet_names` maps each sheet key of the workbook to the sheet's name, for the links.
    """
    bold, link, wrap = styles.font(bold=True), styles.font(link=True), styles.wrapped()
    kinds = {"title": styles.font(bold=True, size="14"), "verdict": bold, "text": wrap}
    header_at = header_row(marking)
    worksheet = etree.Element(spreadsheet_tag("worksheet"), nsmap=_NAMESPACES)
    _add(_add(worksheet, "sheetPr"), "pageSetUpPr", fitToPage="1")
    _add_frozen_view(worksheet, header_at)
    _add(worksheet, "sheetFormatPr", defaultRowHeight="15")
    columns = _add(worksheet, "cols")
    for number, width in enumerate(marking.widths, start=1):
        _add(columns, "col", min=str(number), max=str(number), width=str(width), customWidth="1")
    data = _add(worksheet, "sheetData")
    lines = preamble(marking)
    for number, (text, kind) in enumerate(lines, start=1):
        height = f"{line_height(text, kind, marking.widths):g}"
        row = _add(data, "row", r=str(number), ht=height, customHeight="1")
        _add_text_cell(row, number, 1, text, kinds[kind])
    headers = _add(data, "row", r=str(header_at))
    for column, header in enumerate(marking.headers, start=1):
        _add_text_cell(headers, header_at, column, header, bold)
    links: list[tuple[int, Issue, str]] = []
    for number, issue in enumerate(marking.issues, start=header_at + 1):
        location = locate(issue)
        target = sheet_names.get(sheet_key(location.sheet or ""))
        _add_problem_row(data, number, issue, link if target else None, wrap)
        if target is not None:
            links.append((number, issue, f"{quote_sheet(target)}!{location.coordinate or 'A1'}"))
    last = _letter(len(marking.widths))
    merges = _add(worksheet, "mergeCells", count=str(len(lines)))
    for number in range(1, len(lines) + 1):
        _add(merges, "mergeCell", ref=f"A{number}:{last}{number}")
    if links:
        hyperlinks = _add(worksheet, "hyperlinks")
        for number, issue, target in links:
            _add(hyperlinks, "hyperlink", ref=_coordinate(number, 2), location=target,
                 display=clean_text(where(issue)))  # fmt: skip
    _add(worksheet, "pageMargins", left="0.7", right="0.7", top="0.75", bottom="0.75",
         header="0.3", footer="0.3")  # fmt: skip
    # One page wide, as many long as it takes: no sentence cut off at a page's edge.
    _add(worksheet, "pageSetup", paperSize="9", orientation="landscape", fitToWidth="1",
         fitToHeight="0")  # fmt: skip
    return worksheet


def _add_frozen_view(worksheet: etree._Element, header_at: int) -> None:
    """The sheet selected, with the rows above the first problem frozen in place."""
    views = _add(worksheet, "sheetViews")
    view = _add(views, "sheetView", tabSelected="1", workbookViewId="0")
    first_problem = _coordinate(header_at + 1, 1)
    _add(view, "pane", ySplit=str(header_at), topLeftCell=first_problem,
         activePane="bottomLeft", state="frozen")  # fmt: skip
    _add(view, "selection", pane="bottomLeft", activeCell=first_problem, sqref=first_problem)


def _add_problem_row(
    data: etree._Element, number: int, issue: Issue, link: int | None, wrap: int
) -> None:
    """Severity, where (a link when the sheet exists), the value found if any, the message;
    values and messages wrap at spaces within their columns."""
    row = _add(data, "row", r=str(number))
    _add_text_cell(row, number, 1, severity_label(issue))
    _add_text_cell(row, number, 2, where(issue), link)
    value = shorten(issue.value)
    if value:
        _add_text_cell(row, number, 3, value, wrap)
    _add_text_cell(row, number, 4, message_shown(issue), wrap)


def _add_text_cell(
    row: etree._Element, number: int, column: int, text: str, style: int | None = None
) -> None:
    """A cell of text written as text (inline, never a formula), with the given format."""
    cell = copy.deepcopy(_TEXT_CELL)  # three times quicker than building it anew
    cell.set("r", _coordinate(number, column))
    if style is not None:
        cell.set("s", str(style))
    cell[0][0].text = line_feeds(clean_text(text))
    row.append(cell)


def _add(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, spreadsheet_tag(tag), **attributes)


def _text_cell_template() -> etree._Element:
    """`<c r="" t="inlineStr"><is><t xml:space="preserve"/></is></c>`, filled in per cell."""
    cell = etree.Element(spreadsheet_tag("c"), {"r": "", "t": "inlineStr"}, nsmap=_NAMESPACES)
    etree.SubElement(
        etree.SubElement(cell, spreadsheet_tag("is")), spreadsheet_tag("t"), {XML_SPACE: "preserve"}
    )
    return cell


_TEXT_CELL: Final = _text_cell_template()


def _coordinate(row: int, column: int) -> str:
    return f"{_letter(column)}{row}"


@cache  # the sheet has four columns and many rows
def _letter(column: int) -> str:
    return column_letter(column - 1)
