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

import copy
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from typing import Final
from xml.sax.saxutils import escape

from lxml import etree

from domain.cells import CellLocation
from domain.issues import Issue
from feedback.html_report import shorten
from feedback.marking import Marking, clean_text, feedback_sheet_title
from feedback.subject import locate, sheet_key, where

MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES: Final = "http://schemas.openxmlformats.org/package/2006/content-types"
_WORKSHEET_REL: Final = f"{REL}/worksheet"
_COMMENTS_REL: Final = f"{REL}/comments"
_VML_REL: Final = f"{REL}/vmlDrawing"
_WORKSHEET_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_COMMENTS_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_VML_TYPE: Final = "application/vnd.openxmlformats-officedocument.vmlDrawing"
# Children of <worksheet> that must follow <legacyDrawing> (ECMA-376 CT_Worksheet order).
_AFTER_LEGACY_DRAWING: Final = (
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)  # fmt: skip
_CELL: Final = re.compile(r"([A-Z]+)(\d+)")
_HYPERLINK_RGB: Final = "FF0563C1"


def _m(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


@dataclass(slots=True)
class _Sheet:
    name: str
    path: str  # inside the package, e.g. xl/worksheets/sheet2.xml
    tree: etree._Element | None = None
    rels: etree._Element | None = None


@dataclass(slots=True)
class _Package:
    parts: dict[str, bytes]
    order: list[str]
    changed: dict[str, bytes] = field(default_factory=dict)

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.changed.get(name, self.parts[name]))

    def put(self, name: str, element: etree._Element) -> None:
        self.changed[name] = etree.tostring(element, xml_declaration=True, encoding="UTF-8",
                                            standalone=True)  # fmt: skip

    def put_bytes(self, name: str, content: bytes) -> None:
        self.changed[name] = content

    def unused(self, pattern: str) -> str:
        number = 1
        while pattern.format(number) in self.parts or pattern.format(number) in self.changed:
            number += 1
        return pattern.format(number)


class _UnsupportedError(Exception):
    """The workbook needs openpyxl's general handling."""


def annotate_xml(workbook: bytes, marking: Marking) -> bytes | None:
    """The annotated copy, or None when this workbook needs openpyxl instead."""
    try:
        return _annotate(workbook, marking)
    except (_UnsupportedError, KeyError, etree.XMLSyntaxError, zipfile.BadZipFile):
        return None


def _annotate(workbook: bytes, marking: Marking) -> bytes:
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        infos = archive.infolist()
        package = _Package(
            {i.filename: archive.read(i) for i in infos}, [i.filename for i in infos]
        )
    book = package.xml("xl/workbook.xml")
    book_rels = package.xml("xl/_rels/workbook.xml.rels")
    sheets = _worksheets(book, book_rels)
    styles = _Styles(package.xml("xl/styles.xml"))
    types = package.xml("[Content_Types].xml")
    marked_keys = {key for key, _ in marking.cells} | set(marking.tabs)
    first_of_key: dict[str, _Sheet] = {}
    for sheet in sheets:  # of two sheets named alike, the first is marked
        first_of_key.setdefault(sheet_key(sheet.name), sheet)
    comment_number = 0
    for sheet in sheets:
        key = sheet_key(sheet.name)
        tree = package.xml(sheet.path) if b"tabSelected" in package.parts[sheet.path] else None
        if key in marked_keys and first_of_key[key] is sheet:
            tree = package.xml(sheet.path)
            if key in marking.tabs:
                _colour_tab(tree, marking.tab_colour(marking.tabs[key]), marking.tabs[key])
            cells = _by_cell(tree, {c: i for (k, c), i in marking.cells.items() if k == key})
            if cells:
                comment_number += 1
                notes = {c: (marking.fill(i), marking.comment(i)) for c, i in cells.items()}
                _mark_cells(tree, notes, styles)
                _add_comments(package, types, sheet, tree, notes, marking.author, comment_number)
        if tree is not None:
            _unselect_tree(tree)  # the Feedback sheet is the one selected
            package.put(sheet.path, tree)
    _add_feedback_sheet(package, book, book_rels, types, styles, marking)
    package.put("xl/styles.xml", styles.root)
    package.put("xl/workbook.xml", book)
    package.put("xl/_rels/workbook.xml.rels", book_rels)
    package.put("[Content_Types].xml", types)
    return _zip(package)


def _worksheets(book: etree._Element, rels: etree._Element) -> list[_Sheet]:
    targets = {
        r.get("Id"): (r.get("Type"), r.get("Target", ""))
        for r in rels.iter(f"{{{PKG_REL}}}Relationship")
    }
    found = []
    for sheet in book.iter(_m("sheet")):
        kind, target = targets[sheet.get(f"{{{REL}}}id")]
        if kind != _WORKSHEET_REL:
            continue  # chartsheets have no cells to mark
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        found.append(_Sheet(sheet.get("name", ""), posixpath.normpath(path)))
    return found


class _Styles:
    """The stylesheet, with the fills, fonts and cell formats annotations add."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.fills = self._section("fills")
        self.fonts = self._section("fonts")
        self.xfs = self._section("cellXfs")
        self._fill_ids: dict[str, int] = {}
        self._filled: dict[tuple[int, str], int] = {}

    def _section(self, tag: str) -> etree._Element:
        found = self.root.find(_m(tag))
        if found is None or len(found) == 0:
            raise _UnsupportedError(f"styles without {tag}")
        return found

    @staticmethod
    def _append(section: etree._Element, element: etree._Element) -> int:
        section.append(element)
        section.set("count", str(len(section)))
        return len(section) - 1

    def fill(self, argb: str) -> int:
        if argb not in self._fill_ids:
            fill = etree.Element(_m("fill"))
            pattern = etree.SubElement(fill, _m("patternFill"), patternType="solid")
            etree.SubElement(pattern, _m("fgColor"), rgb=argb)
            etree.SubElement(pattern, _m("bgColor"), indexed="64")
            self._fill_ids[argb] = self._append(self.fills, fill)
        return self._fill_ids[argb]

    def filled(self, style: int, argb: str) -> int:
        """A cell format like `style` but filled with `argb`."""
        if (style, argb) not in self._filled:
            if style >= len(self.xfs):
                raise _UnsupportedError("a cell refers to a style the workbook lacks")
            xf = copy.deepcopy(self.xfs[style])
            xf.set("fillId", str(self.fill(argb)))
            xf.set("applyFill", "1")
            self._filled[(style, argb)] = self._append(self.xfs, xf)
        return self._filled[(style, argb)]

    def font(self, *, bold: bool = False, size: str | None = None, link: bool = False) -> int:
        """A cell format with the workbook's default font made bold, larger or a link."""
        base = self.fonts[0]
        font = etree.Element(_m("font"))
        if bold:
            etree.SubElement(font, _m("b"))
        if link:
            etree.SubElement(font, _m("u"))
        default_size = base.find(_m("sz"))
        etree.SubElement(
            font,
            _m("sz"),
            val=size or (default_size.get("val", "11") if default_size is not None else "11"),
        )
        if link:
            etree.SubElement(font, _m("color"), rgb=_HYPERLINK_RGB)
        elif base.find(_m("color")) is not None:
            font.append(copy.deepcopy(base.find(_m("color"))))
        for tag in ("name", "family", "charset", "scheme"):
            found = base.find(_m(tag))
            if found is not None:
                font.append(copy.deepcopy(found))
        font_id = self._append(self.fonts, font)
        xf = etree.Element(_m("xf"), numFmtId="0", fontId=str(font_id), fillId="0",
                           borderId="0", xfId="0", applyFont="1")  # fmt: skip
        return self._append(self.xfs, xf)

    def wrapped(self) -> int:
        xf = etree.Element(_m("xf"), numFmtId="0", fontId="0", fillId="0", borderId="0",
                           xfId="0", applyAlignment="1")  # fmt: skip
        etree.SubElement(xf, _m("alignment"), wrapText="1", vertical="top")
        return self._append(self.xfs, xf)


def _colour_tab(tree: etree._Element, argb: str, error: bool) -> None:
    """Colour the tab; a warning leaves alone a colour the reporter chose."""
    properties = tree.find(_m("sheetPr"))
    if properties is None:
        properties = etree.Element(_m("sheetPr"))
        tree.insert(0, properties)
    tab = properties.find(_m("tabColor"))
    if tab is not None and not error:
        return
    if tab is None:
        tab = etree.Element(_m("tabColor"))
        properties.insert(0, tab)
    tab.attrib.clear()
    tab.set("rgb", argb)


def _split(coordinate: str) -> tuple[int, int]:
    match = _CELL.fullmatch(coordinate)
    if match is None:
        raise _UnsupportedError(f"odd cell reference {coordinate}")
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)), column


def _merged_top_left(tree: etree._Element, coordinate: str) -> str:
    row, column = _split(coordinate)
    for merged in tree.iter(_m("mergeCell")):
        first, _, last = (merged.get("ref") or "").partition(":")
        if not last:
            continue
        top, left = _split(first)
        bottom, right = _split(last)
        if top <= row <= bottom and left <= column <= right:
            return first
    return coordinate


def _cell(tree: etree._Element, coordinate: str) -> etree._Element:
    """The <c> element of `coordinate`, created (in order) when the cell is blank."""
    data = tree.find(_m("sheetData"))
    if data is None:
        raise _UnsupportedError("a worksheet without sheetData")
    row_number, column = _split(coordinate)
    row = None
    for index, candidate in enumerate(data):
        number = int(candidate.get("r", "0"))
        if number == row_number:
            row = candidate
            break
        if number > row_number:
            row = etree.Element(_m("row"), r=str(row_number))
            data.insert(index, row)
            break
    if row is None:
        row = etree.SubElement(data, _m("row"), r=str(row_number))
    row.attrib.pop("spans", None)  # a hint only; a new cell may fall outside it
    for index, cell in enumerate(row):
        reference = cell.get("r")
        if reference is None:
            raise _UnsupportedError("cells without references")
        if reference == coordinate:
            return cell
        if _split(reference)[1] > column:
            new = etree.Element(_m("c"), r=coordinate)
            row.insert(index, new)
            return new
    return etree.SubElement(row, _m("c"), r=coordinate)


def _by_cell(tree: etree._Element, problems: dict[str, list[Issue]]) -> dict[str, list[Issue]]:
    """Problems by the cell that shows them: a cell hidden in a merged block is shown on
    the block's top-left cell, with any problems of that cell itself."""
    shown: dict[str, list[Issue]] = {}
    for coordinate, issues in problems.items():
        shown.setdefault(_merged_top_left(tree, coordinate), []).extend(issues)
    return shown


def _mark_cells(tree: etree._Element, cells: dict[str, tuple[str, str]], styles: _Styles) -> None:
    for coordinate, (argb, _) in cells.items():
        cell = _cell(tree, coordinate)
        cell.set("s", str(styles.filled(int(cell.get("s", "0")), argb)))


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _add_comments(  # noqa: PLR0917 - the parts one sheet's comments touch
    package: _Package,
    types: etree._Element,
    sheet: _Sheet,
    tree: etree._Element,
    cells: dict[str, tuple[str, str]],
    author: str,
    number: int,
) -> None:
    if tree.find(_m("legacyDrawing")) is not None:
        raise _UnsupportedError("the sheet already has comments or form controls")
    rels_name = _rels_path(sheet.path)
    rels = (
        package.xml(rels_name)
        if rels_name in package.parts
        else etree.Element(f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})
    )
    if any(r.get("Type") == _COMMENTS_REL for r in rels):
        raise _UnsupportedError("the sheet already has comments")
    comments_name = package.unused("xl/comments{}.xml")
    vml_name = package.unused("xl/drawings/vmlDrawing{}.vml")
    ids = {r.get("Id") for r in rels}
    comment_id = next(f"rId{n}" for n in range(1, 10_000) if f"rId{n}" not in ids)
    ids.add(comment_id)
    vml_id = next(f"rId{n}" for n in range(1, 10_000) if f"rId{n}" not in ids)
    folder = posixpath.dirname(sheet.path)
    for rel_id, kind, target in (
        (comment_id, _COMMENTS_REL, comments_name),
        (vml_id, _VML_REL, vml_name),
    ):
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rel_id, Type=kind,
                         Target=posixpath.relpath(target, folder))  # fmt: skip
    package.put(rels_name, rels)
    drawing = etree.Element(_m("legacyDrawing"))
    drawing.set(f"{{{REL}}}id", vml_id)
    following = [tree.find(_m(tag)) for tag in _AFTER_LEGACY_DRAWING]
    anchor = next((f for f in following if f is not None), None)
    if anchor is None:
        tree.append(drawing)
    else:
        anchor.addprevious(drawing)
    package.put_bytes(comments_name, _comments_xml(cells, author))
    package.put_bytes(vml_name, _vml(cells, number))
    _override(types, f"/{comments_name}", _COMMENTS_TYPE)
    if not any(d.get("Extension", "").lower() == "vml" for d in types.iter(f"{{{TYPES}}}Default")):
        etree.SubElement(types, f"{{{TYPES}}}Default", Extension="vml", ContentType=_VML_TYPE)


def _comments_xml(cells: dict[str, tuple[str, str]], author: str) -> bytes:
    entries = "".join(
        f'<comment ref="{coordinate}" authorId="0"><text><r>'
        f'<t xml:space="preserve">{escape(text)}</t></r></text></comment>'
        for coordinate, (_, text) in cells.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{MAIN}"><authors><author>{escape(author)}</author></authors>'
        f"<commentList>{entries}</commentList></comments>"
    ).encode()


def _vml(cells: dict[str, tuple[str, str]], number: int) -> bytes:
    shapes = []
    for index, (coordinate, (_, text)) in enumerate(cells.items(), start=1):
        row, column = _split(coordinate)
        lines = text.count("\n") + 1 + len(text) // 45
        height = min(450, 30 + 15 * lines)
        shapes.append(
            f'<v:shape id="_x0000_s{number * 1024 + index}" type="#_x0000_t202" '
            f'style="position:absolute;margin-left:60pt;margin-top:2pt;width:240pt;'
            f'height:{height}pt;z-index:{index};visibility:hidden" fillcolor="#ffffe1" '
            'o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div>'
            '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{column}, 15, {max(row - 2, 0)}, 10, {column + 4}, 15, "
            f"{row + 8}, 4</x:Anchor><x:AutoFill>False</x:AutoFill>"
            f"<x:Row>{row - 1}</x:Row><x:Column>{column - 1}</x:Column></x:ClientData>"
            "</v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{number}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
        'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
        '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
        f"{''.join(shapes)}</xml>"
    ).encode()


def _override(types: etree._Element, part: str, content_type: str) -> None:
    etree.SubElement(types, f"{{{TYPES}}}Override", PartName=part, ContentType=content_type)


def _unselect_tree(tree: etree._Element) -> None:
    for view in tree.iter(_m("sheetView")):
        view.attrib.pop("tabSelected", None)


def _text_cell(reference: str, text: str, style: int | None = None) -> str:
    style_attribute = f' s="{style}"' if style is not None else ""
    return (
        f'<c r="{reference}" t="inlineStr"{style_attribute}><is>'
        f'<t xml:space="preserve">{escape(clean_text(text))}</t></is></c>'
    )


def _column(number: int) -> str:
    return "ABCD"[number - 1]


def _feedback_sheet_xml(marking: Marking, styles: _Styles, sheet_names: dict[str, str]) -> bytes:
    title, bold, link, wrap = (
        styles.font(bold=True, size="14"),
        styles.font(bold=True),
        styles.font(link=True),
        styles.wrapped(),
    )
    rows = [
        f'<row r="1">{_text_cell("A1", marking.feedback_title, title)}</row>',
        f'<row r="2">{_text_cell("A2", marking.summary)}</row>',
        f'<row r="3">{_text_cell("A3", marking.note)}</row>',
        '<row r="5">'
        + "".join(_text_cell(f"{_column(i)}5", h, bold) for i, h in enumerate(marking.headers, 1))
        + "</row>",
    ]
    links = []
    for number, issue in enumerate(marking.issues, start=6):
        location: CellLocation = locate(issue)
        target_sheet = sheet_names.get(sheet_key(location.sheet or ""))
        cells = [
            _text_cell(f"A{number}", "Error" if issue.severity == "error" else "Warning"),
            _text_cell(f"B{number}", where(issue), link if target_sheet else None),
        ]
        value = shorten(issue.value)
        if value:
            cells.append(_text_cell(f"C{number}", value))
        cells.append(_text_cell(f"D{number}", issue.message, wrap))
        rows.append(f'<row r="{number}">{"".join(cells)}</row>')
        if target_sheet is not None:
            quoted = "'" + target_sheet.replace("'", "''") + "'"
            links.append(
                f'<hyperlink ref="B{number}" '
                f'location="{escape(quoted, {chr(34): "&quot;"})}!{location.coordinate or "A1"}" '
                f'display="{escape(clean_text(where(issue)), {chr(34): "&quot;"})}"/>'
            )
    columns = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(marking.widths, start=1)
    )
    hyperlinks = f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="5" topLeftCell="A6" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A6" sqref="A6"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{columns}</cols><sheetData>{''.join(rows)}</sheetData>{hyperlinks}"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/></worksheet>'
    ).encode()


def _add_feedback_sheet(  # noqa: PLR0917 - the parts a new sheet touches
    package: _Package,
    book: etree._Element,
    book_rels: etree._Element,
    types: etree._Element,
    styles: _Styles,
    marking: Marking,
) -> None:
    sheets = book.find(_m("sheets"))
    if sheets is None:
        raise _UnsupportedError("a workbook without sheets")
    names = {sheet_key(s.get("name", "")): s.get("name", "") for s in sheets}
    path = package.unused("xl/worksheets/sheet{}.xml")
    package.put_bytes(path, _feedback_sheet_xml(marking, styles, names))
    ids = {r.get("Id") for r in book_rels}
    rel_id = next(f"rId{n}" for n in range(1, 10_000) if f"rId{n}" not in ids)
    etree.SubElement(book_rels, f"{{{PKG_REL}}}Relationship", Id=rel_id, Type=_WORKSHEET_REL,
                     Target=posixpath.relpath(path, "xl"))  # fmt: skip
    sheet_id = 1 + max((int(s.get("sheetId", "0")) for s in sheets), default=0)
    entry = etree.Element(_m("sheet"))
    entry.set("name", feedback_sheet_title(names))
    entry.set("sheetId", str(sheet_id))
    entry.set(f"{{{REL}}}id", rel_id)
    sheets.insert(0, entry)
    for name in book.iter(_m("definedName")):
        if name.get("localSheetId") is not None:
            name.set("localSheetId", str(int(name.get("localSheetId", "0")) + 1))
    views = book.find(_m("bookViews"))
    if views is None:
        views = etree.Element(_m("bookViews"))
        sheets.addprevious(views)
        etree.SubElement(views, _m("workbookView"))
    for view in views:
        view.set("activeTab", "0")
        view.set("firstSheet", "0")
    _override(types, f"/{path}", _WORKSHEET_TYPE)


def _zip(package: _Package) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        names = ["[Content_Types].xml"]
        names += [n for n in package.order if n != "[Content_Types].xml"]
        names += [n for n in package.changed if n not in package.parts]
        for name in names:
            archive.writestr(name, package.changed.get(name, package.parts.get(name, b"")))
    return output.getvalue()
