"""Reading a return workbook into tidy string tables that remember their cells.

Every figure is kept as the text calamine gives so that the schemas, not the parser,
decide what a number is, and every row keeps its sheet row so problems can name cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import fastexcel
import polars as pl

from connectors.sniff import UnreadableWorkbookError, sniff_workbook
from connectors.text import header_keys
from schemas.issues import Issue, cell_reference, column_letter, file_problem
from schemas.layouts import SheetLayout, TemplateLayout

SHEET_ROW = "sheet_row"

# Cover labels that tell which template a workbook claims to be.
_TEMPLATE_KEYS = header_keys("Template")
_VERSION_KEYS = header_keys("Template version")


@dataclass(frozen=True, slots=True)
class CoverField:
    value: str | None
    cell: str


@dataclass(slots=True)
class SheetTable:
    """One data sheet's table: string cells by column key, plus `sheet_row`."""

    sheet: str
    frame: pl.DataFrame
    letters: dict[str, str]
    total: dict[str, str | None] | None = None
    total_row: int | None = None


@dataclass(slots=True)
class WorkbookContent:
    """What could be read from one workbook, and the problems met reading it."""

    template_name: str | None = None
    template_version: str | None = None
    cover: dict[str, CoverField] = field(default_factory=dict)
    sheets: dict[str, SheetTable] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(issue.is_error and issue.cell is None for issue in self.issues)


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _grid(reader: fastexcel.ExcelReader, sheet: str) -> tuple[pl.DataFrame, int]:
    """The sheet as strings from row 1, and the 0-based column index of its first column."""
    loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
    columns = loaded.available_columns()
    first_column = columns[0].absolute_index if columns else 0
    return loaded.to_polars(), first_column


def _read_cover(
    reader: fastexcel.ExcelReader, sheet: str, labels: dict[str, str] | None
) -> tuple[dict[str, CoverField], str | None, str | None]:
    grid, first_column = _grid(reader, sheet)
    cover: dict[str, CoverField] = {}
    name = version = None
    if grid.width < 2:
        return cover, None, None
    wanted = {key: header_keys(label) for key, label in (labels or {}).items()}
    value_letter = column_letter(first_column + 1)
    for row_index, (label, value) in enumerate(grid.select(grid.columns[:2]).iter_rows()):
        if label is None:
            continue
        keys = header_keys(str(label))
        text = _clean(value)
        if keys & _TEMPLATE_KEYS and name is None:
            name = text
        elif keys & _VERSION_KEYS and version is None:
            version = text
        for key, label_keys in wanted.items():
            if keys & label_keys and key not in cover:
                cover[key] = CoverField(text, f"Cover!{value_letter}{row_index + 1}")
    return cover, name, version


# Headers sit near the top: scan these rows in Python before asking polars for the rest.
_HEADER_SCAN_ROWS = 40


def _first_cell(row: tuple[object, ...]) -> tuple[int, object] | None:
    return next(((i, cell) for i, cell in enumerate(row) if cell is not None), None)


def _header_row(grid: pl.DataFrame, layout: SheetLayout) -> tuple[int, int] | None:
    """(row index, column index within grid) of the header, found by its first header."""
    wanted = layout.first_header.match_keys
    for offset in range(0, grid.height, _HEADER_SCAN_ROWS):
        for row_index, row in enumerate(grid.slice(offset, _HEADER_SCAN_ROWS).rows(), offset):
            first = _first_cell(row)
            if first is not None and header_keys(str(first[1])) & wanted:
                return row_index, first[0]
    return None


def _read_table(
    reader: fastexcel.ExcelReader, sheet: str, layout: SheetLayout, issues: list[Issue]
) -> SheetTable | None:
    grid, first_column = _grid(reader, sheet)
    found = _header_row(grid, layout) if grid.height else None
    if found is None:
        issues.append(
            Issue(
                "error",
                f"The {layout.name} sheet has no table: no row starts with the header "
                f"'{layout.first_header.header}'.",
                sheet=layout.name,
                cell=layout.name,
            )
        )
        return None
    header_index, start = found
    header_row_number = header_index + 1
    source: dict[str, str] = {}
    letters: dict[str, str] = {}
    for grid_column, text in list(enumerate(grid.row(header_index)))[start:]:
        if text is None:
            continue
        keys = header_keys(text)
        match = next((c for c in layout.columns if c.match_keys & keys), None)
        if match is None:
            continue
        letter = column_letter(first_column + grid_column)
        if match.key in source:
            issues.append(
                Issue(
                    "error",
                    f"The column '{match.printed}' appears twice; keep one and delete the other.",
                    sheet=layout.name,
                    cell=f"{layout.name}!{letter}{header_row_number}",
                    value=text,
                )
            )
            continue
        source[match.key] = grid.columns[grid_column]
        letters[match.key] = letter
    missing = [c for c in layout.columns if c.key not in source and not c.optional]
    for column in missing:
        issues.append(
            Issue(
                "error",
                f"The {layout.name} sheet has no '{column.printed}' column in its header row "
                f"(row {header_row_number}).",
                sheet=layout.name,
                cell=layout.name,
            )
        )
    if missing:
        return None
    names = [c.key for c in layout.columns]

    def cleaned(key: str) -> pl.Expr:
        if key not in source:
            return pl.lit(None, pl.String).alias(key)
        text = pl.col(source[key]).cast(pl.String).str.strip_chars()
        return pl.when(text != "").then(text).alias(key)

    # Few polars calls per sheet: their fixed cost, not the data, dominates small sheets.
    body = (
        grid.slice(header_index + 1)
        .select(
            (pl.int_range(pl.len(), dtype=pl.Int64) + header_index + 2).alias(SHEET_ROW),
            *(cleaned(key) for key in names),
        )
        .filter(~pl.all_horizontal(pl.col(k).is_null() for k in names))
    )
    table = SheetTable(sheet=layout.name, frame=body, letters=letters)
    if body.height:
        last = body.row(body.height - 1, named=True)
        first_key = layout.first_header.key
        if str(last[first_key] or "").strip().lower() == "total":
            table.total = {k: last[k] for k in names[1:]}
            table.total_row = int(last[SHEET_ROW])
            table.frame = body.slice(0, body.height - 1)
    return table


def _sheet_lookup(names: list[str]) -> dict[str, str]:
    """Sheet names by their case- and space-insensitive form; the first of twins wins."""
    lookup: dict[str, str] = {}
    for name in names:
        lookup.setdefault(name.strip().lower(), name)
    return lookup


def extract_workbook(
    data: bytes,
    layouts: dict[str, TemplateLayout],
    max_bytes: int,
    max_expanded_bytes: int,
) -> WorkbookContent:
    """Everything readable in one return; never raises for a problem in the file.

    `layouts` maps a template name on the Cover sheet to the layout to read it with.
    """
    content = WorkbookContent()
    try:
        sniff_workbook(data, max_bytes, max_expanded_bytes)
        reader = fastexcel.read_excel(data)
        sheets = _sheet_lookup(reader.sheet_names)
    except UnreadableWorkbookError as exc:
        content.issues.append(file_problem(str(exc)))
        return content
    except Exception:  # calamine's many parse errors share no base class
        content.issues.append(
            file_problem(
                "The workbook is damaged and cannot be opened. Save it again from Excel and resend."
            )
        )
        return content
    try:
        _read_sheets(reader, sheets, layouts, content)
    except Exception:
        content.issues.append(
            file_problem(
                "Part of the workbook could not be read (a sheet is damaged). Save it again "
                "from Excel and resend."
            )
        )
    return content


def _read_sheets(
    reader: fastexcel.ExcelReader,
    sheets: dict[str, str],
    layouts: dict[str, TemplateLayout],
    content: WorkbookContent,
) -> None:
    if "cover" not in sheets:
        content.issues.append(
            file_problem(
                "The workbook has no 'Cover' sheet, so it is not a PIMH return. Use the "
                "return template."
            )
        )
        return
    _, name, version = _read_cover(reader, sheets["cover"], None)
    content.template_name, content.template_version = name, version
    layout = layouts.get(name or "")
    if layout is None or version != "1":
        known = " or ".join(f"'{n}'" for n in layouts)
        content.issues.append(
            file_problem(
                f"The Cover sheet names template '{name or '(blank)'}' version "
                f"'{version or '(blank)'}'; expected {known}, version 1. Use the current "
                "return template."
            )
        )
        return
    content.cover, _, _ = _read_cover(reader, sheets["cover"], layout.cover_labels)
    for sheet_layout in layout.sheets:
        actual = sheets.get(sheet_layout.name.lower())
        if actual is None:
            content.issues.append(
                file_problem(
                    f"The workbook has no '{sheet_layout.name}' sheet. Use the return "
                    "template, which has all its sheets."
                )
            )
            continue
        table = _read_table(reader, actual, sheet_layout, content.issues)
        if table is not None:
            content.sheets[sheet_layout.name] = table


__all__ = [
    "SHEET_ROW",
    "CoverField",
    "SheetTable",
    "WorkbookContent",
    "cell_reference",
    "extract_workbook",
]
