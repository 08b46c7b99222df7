"""The comments on a worksheet's marked cells, and the VML drawing Excel shows them with.

A comment needs three things in the package: the comments part (who wrote what on which
cell), a legacy VML drawing with one hidden note shape per comment (without it Excel
shows no comment at all), and the worksheet's relationships and `<legacyDrawing>` tying
both to the sheet. A sheet that already has either is left to openpyxl, which merges.
"""

from __future__ import annotations

import copy
from typing import Final

from lxml import etree
from lxml.builder import ElementMaker

from connectors.ooxml import (
    COMMENTS_CONTENT_TYPE,
    COMMENTS_RELATIONSHIP,
    RELATIONSHIPS,
    SPREADSHEET,
    VML_DRAWING_CONTENT_TYPE,
    VML_DRAWING_RELATIONSHIP,
    Package,
    SheetPart,
    UnsupportedPackageError,
    spreadsheet_tag,
)
from feedback.xml_text import XML_SPACE, line_feeds
from feedback.xml_worksheet import Note, position

_VML: Final = "urn:schemas-microsoft-com:vml"
_OFFICE: Final = "urn:schemas-microsoft-com:office:office"
_EXCEL: Final = "urn:schemas-microsoft-com:office:excel"
_VML_NAMESPACES: Final = {"v": _VML, "o": _OFFICE, "x": _EXCEL}
# Children of <worksheet> that must follow <legacyDrawing> (ECMA-376 CT_Worksheet order).
_AFTER_LEGACY_DRAWING: Final = (
    "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst",
)  # fmt: skip
_VML_EXT: Final = f"{{{_VML}}}ext"
_V = ElementMaker(namespace=_VML, nsmap=_VML_NAMESPACES)
_X = ElementMaker(namespace=_EXCEL, nsmap=_VML_NAMESPACES)
_PLAIN = ElementMaker()
_NOTE_SHAPE_TYPE_ID: Final = "_x0000_t202"
_ANCHOR: Final = f"{{{_EXCEL}}}Anchor"
_ROW: Final = f"{{{_EXCEL}}}Row"
_COLUMN: Final = f"{{{_EXCEL}}}Column"
# Each drawing's shape ids start at a multiple of 1024, its `o:idmap` block.
_SHAPES_PER_BLOCK: Final = 1024


def add_comments(  # noqa: PLR0917 - the parts one sheet's comments touch
    package: Package,
    sheet: SheetPart,
    tree: etree._Element,
    notes: dict[str, Note],
    author: str,
    number: int,
) -> None:
    """Comment the noted cells of `sheet` (whose part is `tree`) with drawing `number`."""
    if tree.find(spreadsheet_tag("legacyDrawing")) is not None:
        raise UnsupportedPackageError("the sheet already has comments or form controls")
    kinds = {kind for kind, _ in package.targets(sheet.path).values()}
    if COMMENTS_RELATIONSHIP in kinds:
        raise UnsupportedPackageError("the sheet already has comments")
    comments_name = package.unused("xl/comments{}.xml")
    vml_name = package.unused("xl/drawings/vmlDrawing{}.vml")
    package.relate(sheet.path, COMMENTS_RELATIONSHIP, comments_name)
    vml_id = package.relate(sheet.path, VML_DRAWING_RELATIONSHIP, vml_name)
    _add_legacy_drawing(tree, vml_id)
    package.add(comments_name, _comments(notes, author))
    package.add(vml_name, _drawing(sheet.name, notes, number), declaration=False)
    package.declare(comments_name, COMMENTS_CONTENT_TYPE)
    package.declare_extension("vml", VML_DRAWING_CONTENT_TYPE)


def _add_legacy_drawing(tree: etree._Element, relation_id: str) -> None:
    drawing = etree.Element(spreadsheet_tag("legacyDrawing"))
    drawing.set(f"{{{RELATIONSHIPS}}}id", relation_id)
    following = (tree.find(spreadsheet_tag(tag)) for tag in _AFTER_LEGACY_DRAWING)
    anchor = next((element for element in following if element is not None), None)
    if anchor is None:
        tree.append(drawing)
    else:
        anchor.addprevious(drawing)


def _comments(notes: dict[str, Note], author: str) -> etree._Element:
    """The comments part: one author, one comment of plain text per noted cell."""
    root = etree.Element(spreadsheet_tag("comments"), nsmap={None: SPREADSHEET})
    authors = etree.SubElement(root, spreadsheet_tag("authors"))
    etree.SubElement(authors, spreadsheet_tag("author")).text = author
    entries = etree.SubElement(root, spreadsheet_tag("commentList"))
    for coordinate, note in notes.items():
        entry = copy.deepcopy(_COMMENT)  # far quicker than building its four elements anew
        entry.set("ref", coordinate)
        next(entry.iter(_TEXT)).text = line_feeds(note.comment)
        entries.append(entry)
    return root


def _comment_template() -> etree._Element:
    """`<comment ref="" authorId="0"><text><r><t xml:space="preserve"/></r></text></comment>`:
    one run of plain text by the only author, filled in per comment."""
    comment = etree.Element(
        spreadsheet_tag("comment"), {"ref": "", "authorId": "0"}, nsmap={None: SPREADSHEET}
    )
    run = etree.SubElement(etree.SubElement(comment, spreadsheet_tag("text")), spreadsheet_tag("r"))
    etree.SubElement(run, _TEXT, {XML_SPACE: "preserve"})
    return comment


def _drawing(sheet: str, notes: dict[str, Note], number: int) -> etree._Element:
    """The VML drawing: a hidden note shape beside each commented cell, sized to its text."""
    root = etree.Element("xml", nsmap=_VML_NAMESPACES)
    layout = etree.SubElement(root, f"{{{_OFFICE}}}shapelayout", {_VML_EXT: "edit"})
    etree.SubElement(layout, f"{{{_OFFICE}}}idmap", {_VML_EXT: "edit", "data": str(number)})
    root.append(copy.deepcopy(_NOTE_SHAPE_TYPE))
    for index, (coordinate, note) in enumerate(notes.items(), start=1):
        row, column = position(sheet, coordinate)
        root.append(_note_shape(number * _SHAPES_PER_BLOCK + index, index, (row, column), note))
    return root


def _note_shape(shape_id: int, index: int, cell: tuple[int, int], note: Note) -> etree._Element:
    """One comment's note, anchored beside its cell (1-based row and column)."""
    row, column = cell
    lines = note.comment.count("\n") + 1 + len(note.comment) // 45
    height = min(450, 30 + 15 * lines)
    shape = copy.deepcopy(_NOTE_SHAPE)  # far quicker than building its dozen elements anew
    shape.set("id", f"_x0000_s{shape_id}")
    shape.set(
        "style",
        "position:absolute;margin-left:60pt;margin-top:2pt;width:240pt;"
        f"height:{height}pt;z-index:{index};visibility:hidden",
    )
    anchor, row_index, column_index = shape.iter(_ANCHOR, _ROW, _COLUMN)
    # Left column, offset, top row, offset, right column, offset, bottom row, offset: all
    # 0-based, so the note starts in the column right of its (1-based) cell.
    anchor.text = f"{column}, 15, {max(row - 2, 0)}, 10, {column + 4}, 15, {row + 8}, 4"
    row_index.text = str(row - 1)
    column_index.text = str(column - 1)
    return shape


def _note_shape_type() -> etree._Element:
    """Excel's note shape type (202, a text box), which every note shape refers to."""
    return _V.shapetype(
        _V.stroke(joinstyle="miter"),
        _V.path({f"{{{_OFFICE}}}connecttype": "rect"}, gradientshapeok="t"),
        {f"{{{_OFFICE}}}spt": "202"},
        id=_NOTE_SHAPE_TYPE_ID,
        coordsize="21600,21600",
        path="m,l,21600r21600,l21600,xe",
    )


def _note_shape_template() -> etree._Element:
    """A note as Excel draws a comment: hidden, pale yellow, shadowed, moving and sizing
    with its cell. `_note_shape` fills in what differs: id, size, place."""
    return _V.shape(
        _V.fill(color2="#ffffe1"),
        _V.shadow(on="t", color="black", obscured="t"),
        _V.path({f"{{{_OFFICE}}}connecttype": "none"}),
        _V.textbox(_PLAIN.div(style="text-align:left"), style="mso-direction-alt:auto"),
        _X.ClientData(
            _X.MoveWithCells(),
            _X.SizeWithCells(),
            _X.Anchor(),
            _X.AutoFill("False"),
            _X.Row(),
            _X.Column(),
            ObjectType="Note",
        ),
        {f"{{{_OFFICE}}}insetmode": "auto"},
        id="",
        type=f"#{_NOTE_SHAPE_TYPE_ID}",
        style="",
        fillcolor="#ffffe1",
    )


_TEXT: Final = spreadsheet_tag("t")
_COMMENT: Final = _comment_template()
_NOTE_SHAPE_TYPE: Final = _note_shape_type()
_NOTE_SHAPE: Final = _note_shape_template()
