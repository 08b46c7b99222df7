"""Reading return workbooks as boards really send them (SPEC.md, BQR reading rules).

The reader must forgive layout drift (title rows, a shifted table, header spellings, sheet
name case, blank rows, numbers typed as text, a Total row, .xlsm and .ods) while every
problem still names the cell Excel shows, and must turn any file it cannot read into a
plain-English file problem rather than an exception.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from polars.testing import assert_frame_equal

from connectors.workbook import extract_workbook
from domain.issues import Issue
from domain.workbook import WorkbookContent
from return_templates import write_blank_bqr
from samples.board_returns import (
    CANONICAL,
    BoardReturnContent,
    Cell,
    HeaderStyle,
    Quirks,
    SheetNameStyle,
)
from schemas.validate_batch import RETURN_LAYOUTS
from schemas.validate_bqr import BoardReturn, ValidatedBatch, validate_board_returns
from tests.builders import changed, valid_return, write

LOTHIAN, FIFE = "S08000024", "S08000029"
MAX_BYTES, MAX_EXPANDED = 20_000_000, 200_000_000
DATA_SHEETS = ("Staffing", "Activity", "Finance")


# --- helpers -------------------------------------------------------------------------------


def xlsx(tmp_path: Path, content: BoardReturnContent, quirks: Quirks = CANONICAL) -> bytes:
    return write(tmp_path / "return.xlsx", content, quirks).read_bytes()


def read(
    data: bytes, max_bytes: int = MAX_BYTES, max_expanded: int = MAX_EXPANDED
) -> WorkbookContent:
    return extract_workbook(data, RETURN_LAYOUTS, max_bytes, max_expanded)


def validated(data: bytes, folder: str = LOTHIAN) -> tuple[list[Issue], ValidatedBatch]:
    """Reader and rule problems of one return (from Lothian's folder), and the typed rows."""
    content = read(data)
    batch = validate_board_returns([BoardReturn(folder, content)] if content.readable else [])
    return [*content.issues, *batch.issues.get(0, [])], batch


def problems(data: bytes, folder: str = LOTHIAN) -> list[Issue]:
    return validated(data, folder)[0]


def edited(data: bytes, edit: Callable[[Workbook], None]) -> bytes:
    """The workbook re-saved by openpyxl after `edit`."""
    workbook = load_workbook(io.BytesIO(data))
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def set_cells(sheet: str, **cells: object) -> Callable[[Workbook], None]:
    def edit(workbook: Workbook) -> None:
        for reference, value in cells.items():
            workbook[sheet][reference] = value

    return edit


def figures(batch: ValidatedBatch) -> dict[str, pl.DataFrame]:
    """The typed rows of every sheet without what was typed: what the warehouse would load."""
    return {
        sheet: frame.select(pl.exclude("^.*_text$", "sheet_row"))
        for sheet, frame in batch.sheets.items()
    }


def rezipped(
    data: bytes,
    change: Callable[[str, bytes], bytes | None],
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """The zip with each member passed through `change` (None drops it) and `extra` added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in source.namelist():
            member = change(name, source.read(name))
            if member is not None:
                target.writestr(name, member)
        for name, member in (extra or {}).items():
            target.writestr(name, member)
    return out.getvalue()


_SHEET_MAIN = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MACRO_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_VBA_TYPE = b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
_VBA_REL = (
    b'<Relationship Id="rId99" Target="vbaProject.bin" '
    b'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/>'
)


def as_xlsm(data: bytes) -> bytes:
    """The workbook saved as macro-enabled (.xlsm), with a VBA project that must never run."""

    def change(name: str, member: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return member.replace(_SHEET_MAIN, _MACRO_MAIN).replace(
                b"<Default ", _VBA_TYPE + b"<Default ", 1
            )
        if name == "xl/_rels/workbook.xml.rels":
            return member.replace(b"</Relationships>", _VBA_REL + b"</Relationships>")
        return member

    macro = b'Attribute VB_Name = "Module1"\r\nSub Auto_Open()\r\n Kill "C:\\*.*"\r\nEnd Sub\r\n'
    return rezipped(data, change, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + macro})


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)
_ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value!r}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        "</table:table-cell>"
    )


def as_ods(data: bytes) -> bytes:
    """The same workbook, cell for cell, as an OpenDocument spreadsheet (.ods)."""
    # Written by hand: no ODS writer is installed, and an .ods is a zip of one XML file.
    workbook = load_workbook(io.BytesIO(data))
    tables = []
    for sheet in workbook.worksheets:
        rows = (
            "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
            for row in sheet.iter_rows(values_only=True)
        )
        tables.append(
            f'<table:table table:name="{escape(sheet.title)}">{"".join(rows)}</table:table>'
        )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}>'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest manifest:version="1.2" '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIME}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", _ODS_MIME)  # first and stored, as ODF requires
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def funded_error(cell: str) -> Issue:
    """The problem a Funded WTE of 250 gives, at `cell`."""
    return Issue(
        "error", "Funded WTE must be between 0 and 200; found 250.", "Staffing", cell, "250"
    )


def file_level(issues: list[Issue]) -> Issue:
    """The one problem of an unreadable file, checked to be a file-level error."""
    assert len(issues) == 1, issues
    (issue,) = issues
    assert (issue.severity, issue.sheet, issue.cell, issue.value) == ("error", None, None, None)
    return issue


# --- layout drift ------------------------------------------------------------------------


@pytest.mark.parametrize(("title_rows", "row"), [(0, 2), (1, 3), (3, 5), (7, 9)])
def test_it_skips_title_rows_and_names_cells_by_their_true_row(
    tmp_path: Path, title_rows: int, row: int
) -> None:
    """It finds the header below any number of title rows and keeps sheet row numbers."""
    content = changed(valid_return(), "Staffing", 0, 2, 250)
    data = xlsx(tmp_path, content, Quirks(title_rows=title_rows))
    assert problems(data) == [funded_error(f"Staffing!C{row}")]
    assert read(data).sheets["Staffing"].frame["sheet_row"].to_list() == [
        row,
        row + 1,
        row + 2,
        row + 3,
    ]


def test_it_ignores_title_rows_that_mention_a_service(tmp_path: Path) -> None:
    """It does not take a title that merely starts with a word like 'Services' for the header."""
    data = xlsx(tmp_path, valid_return())
    data = edited(data, set_cells("Staffing", A1="Services: staffing", A2="Service lines"))
    assert problems(data) == []


def test_it_reads_tables_that_start_in_column_b(tmp_path: Path) -> None:
    """It shifts every cell letter when the tables start in column B."""
    content = changed(valid_return(), "Staffing", 0, 2, 250)
    content = changed(content, "Activity", 1, 2, 31)
    issues = problems(xlsx(tmp_path, content, Quirks(start_column=1)))
    assert issues == [
        funded_error("Staffing!D5"),
        Issue(
            "error",
            "Referrals accepted (31) cannot be more than referrals received (30).",
            "Activity",
            "Activity!D6",
            "31",
        ),
    ]


def test_it_reads_a_table_with_notes_to_its_left(tmp_path: Path) -> None:
    """It finds a header that starts in column B below titles written in column A."""

    def shift(workbook: Workbook) -> None:
        sheet = workbook["Staffing"]
        sheet.insert_cols(1)
        sheet["A1"] = "Staffing return"

    data = edited(xlsx(tmp_path, changed(valid_return(), "Staffing", 0, 2, 250)), shift)
    assert problems(data) == [funded_error("Staffing!D5")]


@pytest.mark.parametrize("style", ["canonical", "snake_case", "units_in_brackets", "upper_case"])
def test_it_reads_every_header_spelling_the_same(tmp_path: Path, style: HeaderStyle) -> None:
    """It reads `Funded WTE`, `funded_wte`, `Funded (WTE)` and `FUNDED WTE` as one header."""
    canonical = validated(xlsx(tmp_path / "a", valid_return()))[1]
    issues, batch = validated(xlsx(tmp_path / "b", valid_return(), Quirks(header_style=style)))
    assert issues == []
    for sheet, frame in figures(batch).items():
        assert_frame_equal(frame, figures(canonical)[sheet])


@pytest.mark.parametrize(
    "header", ["Funded WTE", "funded_wte", "Funded (WTE)", "FUNDED WTE", " Funded  wte ", "Funded"]
)
def test_it_matches_a_header_whatever_its_spelling(tmp_path: Path, header: str) -> None:
    """It maps each spelling of Funded WTE to the Funded WTE column, in the column it is in."""
    data = xlsx(tmp_path, changed(valid_return(), "Staffing", 0, 2, 250))
    assert problems(edited(data, set_cells("Staffing", C4=header))) == [funded_error("Staffing!C5")]


def test_it_matches_columns_by_header_not_position(tmp_path: Path) -> None:
    """It reads columns put in another order by their headers, and names their true cells."""

    def swap(workbook: Workbook) -> None:
        sheet = workbook["Staffing"]
        for row in sheet.iter_rows(min_row=4, min_col=3, max_col=4):
            row[0].value, row[1].value = row[1].value, row[0].value

    data = edited(xlsx(tmp_path, changed(valid_return(), "Staffing", 0, 2, 250)), swap)
    assert problems(data) == [funded_error("Staffing!D5")]


@pytest.mark.parametrize("names", ["canonical", "padded_lower", "upper_case"])
def test_it_matches_sheet_names_in_any_case_and_with_spaces(
    tmp_path: Path, names: SheetNameStyle
) -> None:
    """It finds ` staffing `, `STAFFING` and `Staffing` alike, and names cells by the template."""
    content = changed(valid_return(), "Staffing", 0, 2, 250)
    data = xlsx(tmp_path, content, Quirks(sheet_names=names))
    assert problems(data) == [funded_error("Staffing!C5")]
    assert sorted(read(data).sheets) == sorted(DATA_SHEETS)


def test_it_ignores_blank_rows_but_keeps_true_row_numbers(tmp_path: Path) -> None:
    """It skips blank rows between data rows yet names each cell by its row in the sheet."""
    content = changed(valid_return(), "Staffing", 3, 2, 250)
    data = xlsx(tmp_path, content, Quirks(blank_rows_between=True))
    # Rows 5 and 6, a blank row 7, rows 8 and 9: the fourth data row is sheet row 9.
    assert problems(data) == [funded_error("Staffing!C9")]
    assert read(data).sheets["Staffing"].frame["sheet_row"].to_list() == [5, 6, 8, 9]


def test_it_ignores_rows_of_spaces(tmp_path: Path) -> None:
    """It treats a row whose cells hold only spaces as blank."""
    data = edited(xlsx(tmp_path, valid_return()), set_cells("Finance", A9="  ", B9=" "))
    assert problems(data) == []
    assert read(data).sheets["Finance"].frame.height == 3


def test_it_reads_numbers_typed_as_text(tmp_path: Path) -> None:
    """It reads ' 3.5 ', '1,200' and '£500,000.00' typed as text as the numbers they show."""
    canonical = validated(xlsx(tmp_path / "a", valid_return()))[1]
    data = xlsx(tmp_path / "b", valid_return(), Quirks(numbers_as_text=True))
    issues, batch = validated(data)
    assert issues == []
    assert read(data).sheets["Finance"].frame["allocation_gbp"][0] == "£500,000.00"
    for sheet, frame in figures(batch).items():
        assert_frame_equal(frame, figures(canonical)[sheet])


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        (" 1,200 ", 1200.0),
        ("£1,200.50", 1200.5),
        ("£ 1,200", 1200.0),
        ("1,234,567.89", 1234567.89),
        ("\u00a0250\u00a0", 250.0),
        ("0", 0.0),
    ],
)
def test_it_reads_pounds_typed_as_text(tmp_path: Path, typed: str, value: float) -> None:
    """It reads spaces, thousands separators and a pound sign in an amount typed as text."""
    data = edited(xlsx(tmp_path, valid_return()), set_cells("Finance", C5=typed))
    issues, batch = validated(data)
    assert issues == []
    assert batch.sheets["Finance"]["spend_gbp"][0] == value


@pytest.mark.parametrize("total", [False, True])
def test_a_total_row_is_optional(tmp_path: Path, total: bool) -> None:
    """It reads the same rows with or without a Total row, and keeps the Total's row."""
    data = xlsx(tmp_path, valid_return(), Quirks(total_row=total))
    issues, batch = validated(data)
    assert issues == []
    assert batch.sheets["Staffing"]["sheet_row"].to_list() == [5, 6, 7, 8]
    table = read(data).sheets["Staffing"]
    assert table.total_row == (9 if total else None)
    assert (table.total is not None) == total


def test_it_reads_a_return_with_every_quirk_at_once(tmp_path: Path) -> None:
    """It reads a return with all the drift at once as it reads the canonical one."""
    quirks = Quirks(
        title_rows=1,
        header_style="units_in_brackets",
        sheet_names="padded_lower",
        blank_rows_between=True,
        total_row=True,
        numbers_as_text=True,
        start_column=1,
    )
    canonical = validated(xlsx(tmp_path / "a", valid_return()))[1]
    issues, batch = validated(xlsx(tmp_path / "b", valid_return(), quirks))
    assert issues == []
    for sheet, frame in figures(batch).items():
        assert_frame_equal(frame, figures(canonical)[sheet])


def test_it_reads_a_return_filled_in_on_the_blank_template(tmp_path: Path) -> None:
    """It reads the data team's blank template, with its formatted empty rows, once filled in."""
    path = tmp_path / "blank.xlsx"
    write_blank_bqr(path, LOTHIAN, "2022-23", "Q1")

    first_rows: dict[str, list[Cell]] = {
        "Staffing": ["CPMHT", "Psychiatry", 2, 250, None],
        "Activity": ["CPMHT", 10, 8, 8, 20, 3, 0],
        "Finance": ["CPMHT", 1000, 250, 1000],
    }

    def fill(workbook: Workbook) -> None:
        for sheet, row in first_rows.items():
            for column, value in zip("ABCDEFG", row, strict=False):
                workbook[sheet][f"{column}5"] = value

    issues, batch = validated(edited(path.read_bytes(), fill))
    assert [(i.severity, i.cell) for i in issues] == [
        ("error", "Staffing!D5"),
        ("warning", "Staffing!D5"),
    ]
    assert {sheet: frame.height for sheet, frame in batch.sheets.items()} == {
        "Staffing": 1,
        "Activity": 1,
        "Finance": 1,
    }


# --- other formats -------------------------------------------------------------------------


def _same_reading(first: WorkbookContent, second: WorkbookContent) -> None:
    assert (first.template_name, first.template_version) == (
        second.template_name,
        second.template_version,
    )
    assert first.cover == second.cover
    assert first.issues == second.issues
    assert sorted(first.sheets) == sorted(second.sheets)
    for name, table in first.sheets.items():
        other = second.sheets[name]
        assert_frame_equal(table.frame, other.frame)
        assert (table.letters, table.total, table.total_row) == (
            other.letters,
            other.total,
            other.total_row,
        )


@pytest.mark.parametrize("convert", [as_xlsm, as_ods], ids=["xlsm", "ods"])
@pytest.mark.parametrize(
    "quirks",
    [CANONICAL, Quirks(title_rows=1, start_column=1, total_row=True, blank_rows_between=True)],
    ids=["canonical", "quirky"],
)
def test_xlsm_and_ods_read_the_same_as_xlsx(
    tmp_path: Path, convert: Callable[[bytes], bytes], quirks: Quirks
) -> None:
    """It reads a macro-enabled or OpenDocument copy cell for cell as it reads the .xlsx."""
    content = changed(valid_return(), "Staffing", 0, 2, 250)
    content = changed(content, "Finance", 1, 2, " £1,200.50 ")
    data = xlsx(tmp_path, content, quirks)
    copy = convert(data)
    assert copy[:4] == b"PK\x03\x04"
    _same_reading(read(data), read(copy))
    assert problems(copy) == problems(data) != []


# --- file- and sheet-level problems ---------------------------------------------------------


def _drop(sheet: str) -> Callable[[Workbook], None]:
    def edit(workbook: Workbook) -> None:
        del workbook[sheet]

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _drop("Finance"),
            "The workbook has no 'Finance' sheet. Use the return template, which has all its "
            "sheets.",
        ),
        (
            _drop("Cover"),
            "The workbook has no 'Cover' sheet, so it is not a PIMH return. Use the return "
            "template.",
        ),
        (
            set_cells("Cover", B3="PIMH Quarterly Return"),
            "The Cover sheet names template 'PIMH Quarterly Return' version '1'; expected 'PIMH "
            "Board Quarterly Return' or 'PIMH Third Sector Return', version 1. Use the current "
            "return template.",
        ),
        (
            set_cells("Cover", B3=None),
            "The Cover sheet names template '(blank)' version '1'; expected 'PIMH Board "
            "Quarterly Return' or 'PIMH Third Sector Return', version 1. Use the current return "
            "template.",
        ),
        (
            set_cells("Cover", B4="2"),
            "The Cover sheet names template 'PIMH Board Quarterly Return' version '2'; expected "
            "'PIMH Board Quarterly Return' or 'PIMH Third Sector Return', version 1. Use the "
            "current return template.",
        ),
    ],
    ids=["missing sheet", "missing cover", "unknown template", "no template", "version 2"],
)
def test_it_rejects_a_workbook_that_is_not_this_template(
    tmp_path: Path, edit: Callable[[Workbook], None], message: str
) -> None:
    """It rejects the whole file, naming no cell, when a sheet or the template is wrong."""
    content = read(edited(xlsx(tmp_path, valid_return()), edit))
    assert file_level(content.issues).message == message
    assert not content.readable


def test_it_accepts_a_version_typed_as_a_number(tmp_path: Path) -> None:
    """It reads a Template version typed as the number 1 as version 1."""
    assert problems(edited(xlsx(tmp_path, valid_return()), set_cells("Cover", B4=1))) == []


@pytest.mark.parametrize(
    ("sheet", "cells", "issue"),
    [
        (
            "Staffing",
            {"D4": None},
            Issue(
                "error",
                "The Staffing sheet has no 'In post WTE' column in its header row (row 4).",
                "Staffing",
                "Staffing",
            ),
        ),
        (
            "Finance",
            {"D4": "Forecast"},
            Issue(
                "error",
                "The Finance sheet has no 'Forecast full year' column in its header row (row 4).",
                "Finance",
                "Finance",
            ),
        ),
        (
            "Staffing",
            {"F4": "Funded (WTE)", "F5": 3},
            Issue(
                "error",
                "The column 'Funded WTE' appears twice; keep one and delete the other.",
                "Staffing",
                "Staffing!F4",
                "Funded (WTE)",
            ),
        ),
        (
            "Activity",
            {"A4": "Service line"},
            Issue(
                "error",
                "The Activity sheet has no table: no row starts with the header 'Service'.",
                "Activity",
                "Activity",
            ),
        ),
    ],
    ids=["missing column", "missing pounds column", "duplicate column", "no header row"],
)
def test_it_rejects_a_sheet_whose_header_row_is_wrong(
    tmp_path: Path, sheet: str, cells: dict[str, object], issue: Issue
) -> None:
    """It rejects a missing or doubled column, or a missing header, naming the sheet."""
    data = edited(xlsx(tmp_path, valid_return()), set_cells(sheet, **cells))
    content = read(data)
    assert content.issues == [issue]
    assert content.readable, "a sheet-level problem still lets the other sheets be checked"
    assert problems(data) == [issue]


@pytest.mark.parametrize("column", ["E", "H", "I", "J"])
def test_optional_columns_may_be_left_off(tmp_path: Path, column: str) -> None:
    """It accepts a sheet without Vacant WTE or a Mother and Baby Unit column."""
    content = valid_return(FIFE)  # no Mother and Baby Unit, so no MBU figures
    sheet = "Staffing" if column == "E" else "Activity"

    def drop(workbook: Workbook) -> None:
        workbook[sheet].delete_cols(ord(column) - ord("A") + 1)

    assert problems(edited(xlsx(tmp_path, content), drop), FIFE) == []


# --- unreadable files ------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, member in members.items():
            archive.writestr(name, member)
    return out.getvalue()


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def _damaged_sheet(data: bytes) -> bytes:
    def change(name: str, member: bytes) -> bytes:
        return b"<worksheet><sheetData><row><c r='A1' t='s'><v>9" if "sheet2" in name else member

    return rezipped(data, change)


UNREADABLE: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("empty", lambda _: b"", "The file is empty."),
    (
        "csv",
        lambda _: b"Service,Funded WTE\nCPMHT,2\n",
        "The file is not an Excel (.xlsx, .xlsm) or OpenDocument (.ods) workbook.",
    ),
    (
        "pdf",
        lambda _: b"%PDF-1.7\n" + bytes(2000),
        "The file is not an Excel (.xlsx, .xlsm) or OpenDocument (.ods) workbook.",
    ),
    (
        "truncated",
        lambda data: data[: len(data) // 2],
        "The workbook is damaged and cannot be opened. Save it again from Excel and resend.",
    ),
    (
        "damaged sheet",
        _damaged_sheet,
        "Part of the workbook could not be read (a sheet is damaged). Save it again from Excel "
        "and resend.",
    ),
    (
        "not a workbook zip",
        lambda _: _zip({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"}),
        "The file is a zip archive but not an Excel (.xlsx, .xlsm) or OpenDocument (.ods) "
        "workbook.",
    ),
    (
        "password-protected",
        lambda _: (
            _OLE + "EncryptedInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le")
        ),
        "The workbook is password-protected, so it cannot be read. Remove the password (File > "
        "Info > Protect Workbook) and send it again.",
    ),
    (
        "old xls",
        lambda _: _OLE + "Workbook".encode("utf-16-le") + bytes(1000),
        "This is an old-style Excel 97-2003 (.xls) file. Save it as an Excel Workbook (.xlsx) "
        "using the return template and send it again.",
    ),
]


@pytest.mark.parametrize(
    ("make", "message"),
    [(make, message) for _, make, message in UNREADABLE],
    ids=[u[0] for u in UNREADABLE],
)
def test_it_rejects_an_unreadable_file_with_a_file_problem(
    tmp_path: Path, make: Callable[[bytes], bytes], message: str
) -> None:
    """It turns a file that is no readable workbook into one file-level error, never raising."""
    content = read(make(xlsx(tmp_path, valid_return())))
    assert file_level(content.issues).message == message
    assert not content.readable


def test_it_rejects_a_file_above_the_size_limit(tmp_path: Path) -> None:
    """It refuses a file larger than the limit before parsing it."""
    data = xlsx(tmp_path, valid_return())
    assert read(data, max_bytes=len(data)).issues == []
    issue = file_level(read(data, max_bytes=len(data) - 1).issues)
    assert "above the" in issue.message
    assert "limit for a return" in issue.message


def test_it_rejects_a_zip_bomb(tmp_path: Path) -> None:
    """It refuses a workbook that would expand beyond the limit, before unpacking it."""
    data = xlsx(tmp_path, valid_return())
    bomb = rezipped(data, lambda _, member: member, {"xl/media/image1.bin": bytes(30_000_000)})
    assert len(bomb) < 100_000
    issue = file_level(read(bomb, max_expanded=10_000_000).issues)
    assert issue.message.startswith(
        "The workbook expands to 30.0 MB when opened, above the 10.0 MB"
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_it_never_raises_on_a_damaged_workbook(tmp_path: Path, data: st.DataObject) -> None:
    """It reports, never raises, whatever bytes of a real workbook are overwritten or cut."""
    original = bytearray(xlsx(tmp_path, valid_return()))
    damage = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)),
            min_size=1,
            max_size=8,
        )
    )
    for position, byte in damage:
        original[position] = byte
    cut = data.draw(st.integers(1, len(original)))
    content = read(bytes(original[:cut]))
    if content.readable:
        validate_board_returns([BoardReturn(LOTHIAN, content)])
    assert all(isinstance(issue, Issue) for issue in content.issues)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    typed=st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
        str.strip
    ),
    sheet=st.sampled_from(DATA_SHEETS),
    column=st.integers(0, 3),
)
def test_whatever_is_typed_in_a_cell_it_reports_rather_than_raises(
    tmp_path: Path, typed: str, sheet: str, column: int
) -> None:
    """It validates any text in any data cell without raising, naming cells on that sheet."""
    content = changed(valid_return(), sheet, 0, column, typed)
    issues = problems(xlsx(tmp_path, content))
    assert all(i.cell is not None and i.cell.startswith(sheet) for i in issues)
