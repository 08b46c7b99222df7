"""The workbook's stylesheet, with the few formats the annotated copy adds to it.

A cell's look is an index into the stylesheet's cell formats (`cellXfs`), which point in
turn at fills and fonts. Marking a cell red must keep its number format, borders and font,
so each marked cell gets a copy of its own format with only the fill changed; the Feedback
sheet's title, headers, links and wrapped messages get formats of their own.
"""

from __future__ import annotations

import copy
from typing import Final

from lxml import etree

from connectors.ooxml import UnsupportedPackageError, spreadsheet_tag

STYLES_PART: Final = "xl/styles.xml"
# Excel's own colour for its Hyperlink cell style.
_HYPERLINK_RGB: Final = "FF0563C1"
# What the new fonts keep of the workbook's default font: its face.
_FONT_FACE: Final = ("name", "family", "charset", "scheme")


class Styles:
    """The stylesheet being edited; every method returns the index of a cell format."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._fills = self._section("fills")
        self._fonts = self._section("fonts")
        self._formats = self._section("cellXfs")
        self._fill_ids: dict[str, int] = {}
        self._filled: dict[tuple[int, str], int] = {}

    def _section(self, tag: str) -> etree._Element:
        found = self.root.find(spreadsheet_tag(tag))
        if found is None or len(found) == 0:
            raise UnsupportedPackageError(f"styles without {tag}")
        return found

    @staticmethod
    def _append(section: etree._Element, element: etree._Element) -> int:
        section.append(element)
        section.set("count", str(len(section)))
        return len(section) - 1

    def _fill(self, argb: str) -> int:
        """The index of a solid fill of `argb`, added once however many cells use it."""
        if argb not in self._fill_ids:
            fill = etree.Element(spreadsheet_tag("fill"))
            pattern = etree.SubElement(fill, spreadsheet_tag("patternFill"), patternType="solid")
            etree.SubElement(pattern, spreadsheet_tag("fgColor"), rgb=argb)
            etree.SubElement(pattern, spreadsheet_tag("bgColor"), indexed="64")
            self._fill_ids[argb] = self._append(self._fills, fill)
        return self._fill_ids[argb]

    def filled(self, style: int, argb: str) -> int:
        """A cell format like `style` but filled with `argb`."""
        if (style, argb) not in self._filled:
            if style >= len(self._formats):
                raise UnsupportedPackageError("a cell refers to a style the workbook lacks")
            cell_format = copy.deepcopy(self._formats[style])
            cell_format.set("fillId", str(self._fill(argb)))
            cell_format.set("applyFill", "1")
            self._filled[(style, argb)] = self._append(self._formats, cell_format)
        return self._filled[(style, argb)]

    def font(self, *, bold: bool = False, size: str | None = None, link: bool = False) -> int:
        """A cell format with the workbook's default font made bold, larger or a link."""
        base = self._fonts[0]
        font = etree.Element(spreadsheet_tag("font"))
        if bold:
            etree.SubElement(font, spreadsheet_tag("b"))
        if link:
            etree.SubElement(font, spreadsheet_tag("u"))
        default_size = base.find(spreadsheet_tag("sz"))
        if size is None:
            size = default_size.get("val", "11") if default_size is not None else "11"
        etree.SubElement(font, spreadsheet_tag("sz"), val=size)
        colour = base.find(spreadsheet_tag("color"))
        if link:
            etree.SubElement(font, spreadsheet_tag("color"), rgb=_HYPERLINK_RGB)
        elif colour is not None:
            font.append(copy.deepcopy(colour))
        for tag in _FONT_FACE:
            found = base.find(spreadsheet_tag(tag))
            if found is not None:
                font.append(copy.deepcopy(found))
        font_id = self._append(self._fonts, font)
        cell_format = etree.Element(
            spreadsheet_tag("xf"),
            numFmtId="0",
            fontId=str(font_id),
            fillId="0",
            borderId="0",
            xfId="0",
            applyFont="1",
        )
        return self._append(self._formats, cell_format)

    def wrapped(self) -> int:
        """A cell format whose text wraps, top-aligned, for long messages."""
        cell_format = etree.Element(
            spreadsheet_tag("xf"),
            numFmtId="0",
            fontId="0",
            fillId="0",
            borderId="0",
            xfId="0",
            applyAlignment="1",
        )
        etree.SubElement(cell_format, spreadsheet_tag("alignment"), wrapText="1", vertical="top")
        return self._append(self._formats, cell_format)
