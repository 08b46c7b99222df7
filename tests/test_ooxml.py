"""The OOXML package: a workbook's parts, relationships and content types, read and written."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree
from openpyxl import Workbook

from connectors.ooxml import (
    COMMENTS_RELATIONSHIP,
    CONTENT_TYPES,
    CONTENT_TYPES_PART,
    Package,
    SheetPart,
    worksheets,
)


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Cover"
    book.create_chartsheet("Chart")
    book.create_sheet("Staffing")
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_package_written_back_untouched_keeps_every_part_byte_for_byte() -> None:
    workbook = _workbook()

    written = Package.read(workbook).to_bytes()

    assert _parts(written) == _parts(workbook)
    assert zipfile.ZipFile(io.BytesIO(written)).namelist()[0] == CONTENT_TYPES_PART


def test_it_lists_the_worksheets_in_tab_order_with_their_parts_and_no_chartsheets() -> None:
    assert worksheets(Package.read(_workbook())) == [
        SheetPart("Cover", "xl/worksheets/sheet1.xml"),
        SheetPart("Staffing", "xl/worksheets/sheet2.xml"),
    ]


def test_a_new_part_is_related_declared_and_written_after_the_others() -> None:
    package = Package.read(_workbook())
    name = package.unused("xl/comments{}.xml")

    relation_id = package.relate("xl/worksheets/sheet1.xml", COMMENTS_RELATIONSHIP, name)
    package.add(name, etree.Element("comments"))
    package.declare(name, "application/x-comments")
    package.declare_extension("vml", "application/x-vml")
    package.declare_extension("VML", "application/x-other")
    written = Package.read(package.to_bytes())

    assert name == "xl/comments1.xml"
    assert relation_id == "rId1"
    assert written.targets("xl/worksheets/sheet1.xml") == {
        "rId1": (COMMENTS_RELATIONSHIP, "xl/comments1.xml")
    }
    assert written.raw("xl/worksheets/_rels/sheet1.xml.rels").startswith(b"<?xml")
    types = written.part(CONTENT_TYPES_PART)
    overrides = {
        o.get("PartName"): o.get("ContentType") for o in types.iter(f"{{{CONTENT_TYPES}}}Override")
    }
    defaults = [d.get("Extension") for d in types.iter(f"{{{CONTENT_TYPES}}}Default")]
    assert overrides["/xl/comments1.xml"] == "application/x-comments"
    assert defaults.count("vml") == 1
    assert "VML" not in defaults
    assert zipfile.ZipFile(io.BytesIO(package.to_bytes())).namelist()[-1] == name


def test_a_part_can_be_written_without_an_xml_declaration() -> None:
    package = Package.read(_workbook())
    package.add("xl/drawings/vmlDrawing1.vml", etree.Element("xml"), declaration=False)

    assert Package.read(package.to_bytes()).raw("xl/drawings/vmlDrawing1.vml") == b"<xml/>"


def test_a_missing_part_is_a_key_error_and_a_non_zip_a_bad_zip() -> None:
    with pytest.raises(KeyError):
        Package.read(_workbook()).part("xl/nothing.xml")
    with pytest.raises(zipfile.BadZipFile):
        Package.read(b"not a zip")
