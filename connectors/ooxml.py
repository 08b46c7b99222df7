"""An Office Open XML package (an .xlsx or .xlsm file) as its parts, for reading and editing.

A workbook is a zip of XML parts tied together by `[Content_Types].xml` and relationship
parts. Code that edits a few parts in place (the annotated copy of a return) or checks how
a workbook is put together needs the same plumbing: the parts in their zip order, a part's
relationships and where they point, new parts declared with their content types, and the
package written back with every part it did not touch kept byte for byte.
"""

from __future__ import annotations

import functools
import io
import itertools
import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Final

from lxml import etree

# SpreadsheetML, the vocabulary of the workbook, worksheet, styles and comments parts.
SPREADSHEET: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Relationship ids written inside parts (`r:id`), and the types of relationships.
RELATIONSHIPS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# The vocabulary of the package's own parts: relationship parts and content types.
PACKAGE_RELATIONSHIPS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES: Final = "http://schemas.openxmlformats.org/package/2006/content-types"

WORKSHEET_RELATIONSHIP: Final = f"{RELATIONSHIPS}/worksheet"
COMMENTS_RELATIONSHIP: Final = f"{RELATIONSHIPS}/comments"
VML_DRAWING_RELATIONSHIP: Final = f"{RELATIONSHIPS}/vmlDrawing"
WORKSHEET_CONTENT_TYPE: Final = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)
COMMENTS_CONTENT_TYPE: Final = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
)
VML_DRAWING_CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.vmlDrawing"

CONTENT_TYPES_PART: Final = "[Content_Types].xml"
WORKBOOK_PART: Final = "xl/workbook.xml"

_RELATIONSHIPS_ROOT: Final = f"{{{PACKAGE_RELATIONSHIPS}}}Relationships"
_RELATIONSHIP: Final = f"{{{PACKAGE_RELATIONSHIPS}}}Relationship"
_RELATIONSHIP_ID: Final = f"{{{RELATIONSHIPS}}}id"


def spreadsheet_tag(name: str) -> str:
    """The qualified name of a SpreadsheetML element (`row` -> `{...main}row`)."""
    return f"{{{SPREADSHEET}}}{name}"


class UnsupportedPackageError(Exception):
    """The package is put together in a way the code handling it does not support."""


@dataclass(frozen=True, slots=True)
class SheetPart:
    """A worksheet as the workbook lists it: its name and the part holding its cells."""

    name: str
    path: str  # inside the package, e.g. xl/worksheets/sheet2.xml


class Package:
    """The parts of one package; parts read through `part` are edited in place and written
    back by `to_bytes`, every other part is copied as it came."""

    def __init__(self, parts: dict[str, bytes]) -> None:
        self._parts = parts  # in zip order
        self._trees: dict[str, etree._Element] = {}
        self._declared: dict[str, bool] = {}  # part -> whether it opens with <?xml ...?>

    @classmethod
    def read(cls, data: bytes) -> Package:
        """The parts of the zip `data` (zipfile.BadZipFile when it is not one)."""
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return cls({info.filename: archive.read(info) for info in archive.infolist()})

    def __contains__(self, name: str) -> bool:
        return name in self._parts or name in self._trees

    def raw(self, name: str) -> bytes:
        """The part's bytes as received (KeyError when the package has no such part)."""
        return self._parts[name]

    def part(self, name: str) -> etree._Element:
        """The part's XML, parsed once; what the caller changes in it is written back."""
        if name not in self._trees:
            self._trees[name] = etree.fromstring(self._parts[name])
            self._declared[name] = True
        return self._trees[name]

    def add(self, name: str, root: etree._Element, *, declaration: bool = True) -> None:
        """A new part (see `declare`), written with an XML declaration unless told not to
        (Office writes its legacy VML drawings without one)."""
        self._trees[name] = root
        self._declared[name] = declaration

    def unused(self, pattern: str) -> str:
        """The first free part name of a numbered `pattern` (`xl/comments{}.xml`)."""
        return next(
            pattern.format(number)
            for number in itertools.count(1)
            if pattern.format(number) not in self
        )

    def declare(self, name: str, content_type: str) -> None:
        """Give a new part its content type, as every part of a package must have."""
        etree.SubElement(
            self.part(CONTENT_TYPES_PART),
            f"{{{CONTENT_TYPES}}}Override",
            PartName=f"/{name}",
            ContentType=content_type,
        )

    def declare_extension(self, extension: str, content_type: str) -> None:
        """Give every part named `*.extension` a content type, unless one is given already
        (extensions match ignoring case, as the package format says)."""
        types = self.part(CONTENT_TYPES_PART)
        defaults = types.iter(f"{{{CONTENT_TYPES}}}Default")
        if not any(d.get("Extension", "").lower() == extension.lower() for d in defaults):
            etree.SubElement(
                types, f"{{{CONTENT_TYPES}}}Default", Extension=extension, ContentType=content_type
            )

    def relationships(self, source: str) -> etree._Element:
        """The relationships of part `source`, begun empty (and then written) if it has none."""
        name = relationships_part(source)
        if name not in self:
            self.add(name, etree.Element(_RELATIONSHIPS_ROOT, nsmap={None: PACKAGE_RELATIONSHIPS}))
        return self.part(name)

    def targets(self, source: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (relationship type, target part) for part `source`."""
        if relationships_part(source) not in self:
            return {}
        return {
            relation.get("Id", ""): (
                relation.get("Type", ""),
                _resolve(source, relation.get("Target", "")),
            )
            for relation in self.relationships(source).iter(_RELATIONSHIP)
        }

    def relate(self, source: str, kind: str, target: str) -> str:
        """Add a relationship of type `kind` from part `source` to part `target`; its id."""
        relations = self.relationships(source)
        taken = {relation.get("Id") for relation in relations}
        relation_id = next(f"rId{n}" for n in itertools.count(1) if f"rId{n}" not in taken)
        etree.SubElement(
            relations,
            _RELATIONSHIP,
            Id=relation_id,
            Type=kind,
            Target=posixpath.relpath(target, posixpath.dirname(source)),
        )
        return relation_id

    def to_bytes(self) -> bytes:
        """The package as a zip: content types first (as Office writes it), then the parts
        in their original order, then the new parts."""
        names = [CONTENT_TYPES_PART]
        names += [name for name in self._parts if name != CONTENT_TYPES_PART]
        names += [name for name in self._trees if name not in self._parts]
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in names:
                archive.writestr(name, self._content(name))
        return output.getvalue()

    def _content(self, name: str) -> bytes:
        tree = self._trees.get(name)
        if tree is None:
            return self._parts[name]
        content: bytes
        if self._declared[name]:
            content = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
        else:
            content = etree.tostring(tree, xml_declaration=False, encoding="UTF-8")
        return content


def relationships_part(source: str) -> str:
    """Where the relationships of part `source` live (`xl/_rels/workbook.xml.rels`)."""
    folder, name = posixpath.split(source)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _resolve(source: str, target: str) -> str:
    """The part a relationship of `source` points at: targets are relative to the source's
    folder unless they start at the package root."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def worksheets(package: Package) -> list[SheetPart]:
    """The workbook's worksheets in tab order (chartsheets, which hold no cells, left out).

    KeyError when the workbook names a sheet its relationships do not hold.
    """
    targets = package.targets(WORKBOOK_PART)
    found = []
    for sheet in package.part(WORKBOOK_PART).iter(spreadsheet_tag("sheet")):
        kind, path = targets[sheet.get(_RELATIONSHIP_ID)]
        if kind == WORKSHEET_RELATIONSHIP:
            found.append(SheetPart(sheet.get("name", ""), path))
    return found


_OFFICE_DOCUMENT: Final = f"{RELATIONSHIPS}/officeDocument"
# The workbook part's content type in an .xlsx, an .xlsm and a template (ECMA-376, 12.3.23).
WORKBOOK_CONTENT_TYPES: Final = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "application/vnd.ms-excel.template.macroEnabled.main+xml",
    }
)
_OVERRIDE: Final = f"{{{CONTENT_TYPES}}}Override"
_DEFAULT: Final = f"{{{CONTENT_TYPES}}}Default"
_SAFE_PARSER: Final = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def structure_problem(archive: zipfile.ZipFile, data: bytes | None = None) -> str | None:
    """What the package lacks of the structure Excel needs to open it, or None.

    ECMA-376 Part 2: `[Content_Types].xml` declares every part's type; the package's
    relationships (`_rels/.rels`) point to the main part, here a workbook whose declared
    type is a spreadsheet's. A package without them is one Excel calls corrupt, and no
    copy of it marked up for the reporter would open either. Given the zip's bytes as
    `data`, its two parts are taken from them directly (`member_bytes`).
    """
    names = set(archive.namelist())
    if CONTENT_TYPES_PART not in names:
        return "it has no [Content_Types].xml part"
    if "_rels/.rels" not in names:
        return "it has no package relationships (_rels/.rels)"
    if data is None:
        types_xml, rels_xml = archive.read(CONTENT_TYPES_PART), archive.read("_rels/.rels")
    else:
        types_xml = member_bytes(data, archive.getinfo(CONTENT_TYPES_PART))
        rels_xml = member_bytes(data, archive.getinfo("_rels/.rels"))
    main, problem = _main_part(types_xml, rels_xml)
    if main is not None and main not in names:
        return f"its main part {main} is missing"
    return problem


_LOCAL_HEADER: Final = struct.Struct("<4s5H3I2H")
_LOCAL_MAGIC: Final = b"PK\x03\x04"


def member_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A stored or deflated member's bytes, read from the zip's bytes as ZipFile.read reads
    them (its local header and name, its data, never past its declared size, its CRC
    checked), without the file objects ZipFile.read makes: a backfill reads two such parts
    of every return.

    zipfile.BadZipFile when the member is not where the directory says, is compressed or
    encrypted otherwise, holds more than it declares or does not match its CRC;
    zlib.error when it does not inflate; struct.error when its header is cut off.
    """
    header = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    if header[0] != _LOCAL_MAGIC or info.flag_bits & 0x1:
        raise zipfile.BadZipFile(f"{info.filename}: no readable local header")
    name_start = info.header_offset + _LOCAL_HEADER.size
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if data[name_start : name_start + header[-2]] != info.orig_filename.encode(encoding):
        raise zipfile.BadZipFile(f"{info.filename}: its local header names another member")
    start = name_start + header[-2] + header[-1]
    raw = data[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        content = raw
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        # At most a byte past the declared size: a member holding more is refused unread.
        content = zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, info.file_size + 1)
    else:
        raise zipfile.BadZipFile(f"{info.filename}: compressed otherwise than Excel does")
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename}: its contents do not match their CRC")
    return content


# Every return made from a template carries the same two parts, byte for byte: a reader
# parses each distinct pair of ordinary size once (parsing was a tenth of the time a
# return takes to read). Larger parts are parsed each time, so that no file can make a
# long-lived reader hold what it sent.
_REMEMBERED_PARTS_BYTES: Final = 64 * 1024


def _main_part(types_xml: bytes, rels_xml: bytes) -> tuple[str | None, str | None]:
    """(the main part the relationships name, what is wrong with the two parts or None)."""
    if len(types_xml) + len(rels_xml) <= _REMEMBERED_PARTS_BYTES:
        return _remembered_main_part(types_xml, rels_xml)
    return _parsed_main_part(types_xml, rels_xml)


def _parsed_main_part(types_xml: bytes, rels_xml: bytes) -> tuple[str | None, str | None]:
    """(the main part the relationships name, what is wrong with the two parts or None)."""
    try:
        types = etree.fromstring(types_xml, _SAFE_PARSER)
        rels = etree.fromstring(rels_xml, _SAFE_PARSER)
    except etree.XMLSyntaxError:
        return None, "its [Content_Types].xml or _rels/.rels part is not well-formed XML"
    main = [
        r.get("Target", "")
        for r in rels.iterfind(_RELATIONSHIP)
        if r.get("Type") == _OFFICE_DOCUMENT
    ]
    if len(main) != 1:
        return None, "its package relationships do not name one main part"
    part = _resolve("", main[0])
    # The last declaration of a name counts, as in a dict built from them in order.
    declared = {
        o.get("PartName", "").lstrip("/"): o.get("ContentType") for o in types.iterfind(_OVERRIDE)
    }
    by_extension = {
        d.get("Extension", "").lower(): d.get("ContentType") for d in types.iterfind(_DEFAULT)
    }
    extension = posixpath.splitext(part)[1].lstrip(".").lower()
    if declared.get(part, by_extension.get(extension)) not in WORKBOOK_CONTENT_TYPES:
        return part, f"its main part {part} is not declared as a workbook"
    return part, None


_remembered_main_part = functools.lru_cache(maxsize=64)(_parsed_main_part)
