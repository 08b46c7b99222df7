"""The annotated copy made by editing the workbook's XML parts directly.

openpyxl loads every cell of a workbook into Python objects and writes them all back: 20 to
25 ms for a small return, the largest single cost of a backfill with a few percent of
returns in error. A return's annotations touch only a few parts: the styles (two fills),
the sheets with marked cells (a style on each cell, a tab colour, a comments part and its
VML drawing), and the workbook (a first Feedback sheet). This module edits just those
parts with lxml, which keeps every namespace prefix and every part it does not touch
byte for byte, and copies the rest of the package as it is.

It handles the common case only. Whenever a workbook is unusual in a way that matters
(a marked sheet already has comments or drawings of its own, an unexpected package
layout), `annotate_xml` returns None and `feedback.annotate` falls back to openpyxl.
"""

from __future__ import annotations

import zipfile

from lxml import etree

from connectors.ooxml import Package, SheetPart, UnsupportedPackageError, worksheets
from feedback.marking import Marking
from feedback.subject import sheet_key
from feedback.xml_comments import add_comments
from feedback.xml_feedback_sheet import add_feedback_sheet
from feedback.xml_styles import STYLES_PART, Styles
from feedback.xml_worksheet import Note, colour_tab, mark_cells, shown_on, unselect


def annotate_xml(workbook: bytes, marking: Marking) -> bytes | None:
    """The annotated copy, or None when this workbook needs openpyxl instead."""
    try:
        return _annotate(workbook, marking)
    except (UnsupportedPackageError, KeyError, etree.XMLSyntaxError, zipfile.BadZipFile):
        return None


def _annotate(workbook: bytes, marking: Marking) -> bytes:
    package = Package.read(workbook)
    sheets = worksheets(package)
    styles = Styles(package.part(STYLES_PART))
    marked_keys = {key for key, _ in marking.cells} | set(marking.tabs)
    first_of_key: dict[str, SheetPart] = {}
    for sheet in sheets:  # of two sheets named alike, the first is marked
        first_of_key.setdefault(sheet_key(sheet.name), sheet)
    drawings = 0
    for sheet in sheets:
        key = sheet_key(sheet.name)
        marked = key in marked_keys and first_of_key[key] is sheet
        if marked and _mark_sheet(package, sheet, styles, marking, key, drawings + 1):
            drawings += 1
        if marked or b"tabSelected" in package.raw(sheet.path):
            unselect(package.part(sheet.path))  # the Feedback sheet is the one selected
    add_feedback_sheet(package, styles, marking)
    return package.to_bytes()


def _mark_sheet(  # noqa: PLR0917 - what marking one sheet needs
    package: Package, sheet: SheetPart, styles: Styles, marking: Marking, key: str, drawing: int
) -> bool:
    """Colour the sheet's tab, fill and comment its cells; whether it added drawing number
    `drawing` (only a sheet with marked cells needs one)."""
    tree = package.part(sheet.path)
    if key in marking.tabs:
        colour_tab(tree, marking.tab_colour(marking.tabs[key]), marking.tabs[key])
    problems = {cell: issues for (k, cell), issues in marking.cells.items() if k == key}
    cells = shown_on(tree, sheet.name, problems)
    if not cells:
        return False
    notes = {
        cell: Note(marking.fill(issues), marking.comment(issues)) for cell, issues in cells.items()
    }
    mark_cells(tree, sheet.name, notes, styles)
    add_comments(package, sheet, tree, notes, marking.author, drawing)
    return True
