"""Marks made on a reporter's worksheet part: filled cells, a coloured tab, no selection.

A worksheet part lists only the cells that hold something, in row and column order, so a
blank cell with a problem must be created in its place. A cell hidden inside a merged
block cannot be seen, so its problems are shown on the block's top-left cell.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from lxml import etree

from connectors.ooxml import UnsupportedPackageError, spreadsheet_tag
from domain.cells import parse_reference
from domain.issues import Issue
from feedback.xml_styles import Styles


class Note(NamedTuple):
    """What one marked cell shows: its fill and its comment."""

    fill: str  # ARGB
    comment: str


@lru_cache(maxsize=4096)  # placing one cell compares it with every cell before it
def position(sheet: str, coordinate: str) -> tuple[int, int]:
    """The row and column of a coordinate (`D14`) written in the part of worksheet `sheet`."""
    location = parse_reference(coordinate, sheet)
    if location.row is None or location.column is None:
        raise UnsupportedPackageError(f"odd cell reference {coordinate}")
    return location.row, location.column


def colour_tab(tree: etree._Element, argb: str, error: bool) -> None:
    """Colour the tab; a warning leaves alone a colour the reporter chose."""
    properties = tree.find(spreadsheet_tag("sheetPr"))
    if properties is None:
        properties = etree.Element(spreadsheet_tag("sheetPr"))
        tree.insert(0, properties)
    tab = properties.find(spreadsheet_tag("tabColor"))
    if tab is not None and not error:
        return
    if tab is None:
        tab = etree.Element(spreadsheet_tag("tabColor"))
        properties.insert(0, tab)
    tab.attrib.clear()
    tab.set("rgb", argb)


def shown_on(
    tree: etree._Element, sheet: str, problems: dict[str, list[Issue]]
) -> dict[str, list[Issue]]:
    """Problems by the cell that shows them: a cell hidden in a merged block is shown on
    the block's top-left cell, with any problems of that cell itself."""
    shown: dict[str, list[Issue]] = {}
    for coordinate, issues in problems.items():
        shown.setdefault(_top_left(tree, sheet, coordinate), []).extend(issues)
    return shown


def _top_left(tree: etree._Element, sheet: str, coordinate: str) -> str:
    """The top-left cell of the merged block `coordinate` lies in, or `coordinate` itself."""
    row, column = position(sheet, coordinate)
    for merged in tree.iter(spreadsheet_tag("mergeCell")):
        first, _, last = (merged.get("ref") or "").partition(":")
        if not last:
            continue
        top, left = position(sheet, first)
        bottom, right = position(sheet, last)
        if top <= row <= bottom and left <= column <= right:
            return first
    return coordinate


def mark_cells(tree: etree._Element, sheet: str, notes: dict[str, Note], styles: Styles) -> None:
    """Fill each noted cell, keeping the rest of its format."""
    for coordinate, note in notes.items():
        cell = _cell(tree, sheet, coordinate)
        cell.set("s", str(styles.filled(int(cell.get("s", "0")), note.fill)))


def _cell(tree: etree._Element, sheet: str, coordinate: str) -> etree._Element:
    """The <c> element of `coordinate`, created (in order) when the cell is blank."""
    data = tree.find(spreadsheet_tag("sheetData"))
    if data is None:
        raise UnsupportedPackageError("a worksheet without sheetData")
    row_number, column = position(sheet, coordinate)
    row = None
    for index, candidate in enumerate(data):
        number = int(candidate.get("r", "0"))
        if number == row_number:
            row = candidate
            break
        if number > row_number:
            row = etree.Element(spreadsheet_tag("row"), r=str(row_number))
            data.insert(index, row)
            break
    if row is None:
        row = etree.SubElement(data, spreadsheet_tag("row"), r=str(row_number))
    row.attrib.pop("spans", None)  # a hint only; a new cell may fall outside it
    for index, cell in enumerate(row):
        reference = cell.get("r")
        if reference is None:
            raise UnsupportedPackageError("cells without references")
        _, found = position(sheet, reference)
        if found == column:
            return cell
        if found > column:
            new = etree.Element(spreadsheet_tag("c"), r=coordinate)
            row.insert(index, new)
            return new
    return etree.SubElement(row, spreadsheet_tag("c"), r=coordinate)


def unselect(tree: etree._Element) -> None:
    """Clear the sheet's selected tab: the Feedback sheet is the one selected."""
    for view in tree.iter(spreadsheet_tag("sheetView")):
        view.attrib.pop("tabSelected", None)
