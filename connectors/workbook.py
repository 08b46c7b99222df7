"""Reading a return workbook into tidy string tables that remember their cells.

Every figure is kept as the text calamine gives (`domain.workbook` says why), and every
row keeps its sheet row so problems can name cells.
"""

from __future__ import annotations

from collections.abc import Sequence

import fastexcel
import polars as pl

from connectors.locate import Grid, Located, locate_tables
from connectors.sniff import UnreadableWorkbookError, sniff_workbook
from domain.cells import column_letter
from domain.headers import header_keys
from domain.issues import file_problem
from domain.layouts import SheetLayout, TemplateLayout
from domain.text import without_controls
from domain.workbook import CoverField, WorkbookContent

# Cover labels that tell which template a workbook claims to be.
_TEMPLATE_KEYS = header_keys("Template")
_VERSION_KEYS = header_keys("Template version")


def clean_cell(value: object) -> str | None:
    """A Cover cell as stored: its text without control characters or surrounding blanks,
    None when nothing is left."""
    if value is None:
        return None
    text = str(value)
    # Most cells hold printable text only, which has no control character to take out.
    text = (text if text.isprintable() else without_controls(text)).strip()
    return text or None


def _grid(reader: fastexcel.ExcelReader, sheet: str) -> tuple[pl.DataFrame, int]:
    """The sheet as strings from row 1, and the 0-based column index of its first column."""
    loaded = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
    columns = loaded.available_columns()
    first_column = columns[0].absolute_index if columns else 0
    return loaded.to_polars(), first_column


def _cover_rows(reader: fastexcel.ExcelReader, sheet: str) -> tuple[list[tuple[object, ...]], str]:
    """The Cover's (label, value) pairs by sheet row, and the letter of its value column."""
    grid, first_column = _grid(reader, sheet)
    if grid.width < 2:
        return [], "B"
    return [row[:2] for row in grid.rows()], column_letter(first_column + 1)


def _template_named(rows: list[tuple[object, ...]]) -> tuple[str | None, str | None]:
    """The template name and version the Cover claims (first of each wins)."""
    name = version = None
    for label, value in rows:
        if label is None:
            continue
        keys = header_keys(str(label))
        if keys & _TEMPLATE_KEYS and name is None:
            name = clean_cell(value)
        elif keys & _VERSION_KEYS and version is None:
            version = clean_cell(value)
    return name, version


def _cover_fields(
    rows: list[tuple[object, ...]], value_letter: str, labels: dict[str, str]
) -> dict[str, CoverField]:
    wanted = {key: header_keys(label) for key, label in labels.items()}
    cover: dict[str, CoverField] = {}
    for row_index, (label, value) in enumerate(rows):
        if label is None:
            continue
        keys = header_keys(str(label))
        for key, label_keys in wanted.items():
            if keys & label_keys and key not in cover:
                cover[key] = CoverField(clean_cell(value), f"Cover!{value_letter}{row_index + 1}")
    return cover


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
    return extract_workbooks([data], layouts, max_bytes, max_expanded_bytes)[0]


_DAMAGED_SHEET = (
    "Part of the workbook could not be read (a sheet is damaged). Save it again from Excel "
    "and resend."
)

# Sheets of one layout from many workbooks: (workbook index, its grid).
_Gathered = dict[tuple[str, str], list[tuple[int, Grid]]]


def extract_workbooks(
    items: Sequence[bytes],
    layouts: dict[str, TemplateLayout],
    max_bytes: int,
    max_expanded_bytes: int,
) -> list[WorkbookContent]:
    """Everything readable in each return, in order; never raises for a problem in a file.

    Each workbook is opened and its sheets loaded on its own; the tables are then located
    for all of them at once (`connectors.locate`), which is what makes a backfill fast.
    """
    contents = [WorkbookContent() for _ in items]
    gathered: _Gathered = {}
    for index, data in enumerate(items):
        reader = _open(data, max_bytes, max_expanded_bytes, contents[index])
        if reader is None:
            continue
        try:
            _gather(reader, layouts, contents[index], index, gathered)
        except Exception:  # calamine's many parse errors share no base class
            contents[index].issues.append(file_problem(_DAMAGED_SHEET))
    for (template, sheet), found in gathered.items():
        layout = next(s for s in layouts[template].sheets if s.name == sheet)
        for (index, _), located in zip(found, _locate(layout, [g for _, g in found]), strict=True):
            contents[index].issues.extend(located.issues)
            if located.table is not None:
                contents[index].sheets[sheet] = located.table
    return contents


def _locate(layout: SheetLayout, grids: list[Grid]) -> list[Located]:
    """All grids' tables at once; should that fail on some oddity, one grid at a time, so
    that only the odd workbook is lost."""
    try:
        return locate_tables(layout, grids)
    except Exception:
        if len(grids) == 1:
            return [Located(issues=[file_problem(_DAMAGED_SHEET)])]
        return [_locate(layout, [grid])[0] for grid in grids]


def _open(
    data: bytes, max_bytes: int, max_expanded_bytes: int, content: WorkbookContent
) -> fastexcel.ExcelReader | None:
    try:
        sniff_workbook(data, max_bytes, max_expanded_bytes)
        return fastexcel.read_excel(data)
    except UnreadableWorkbookError as exc:
        content.issues.append(file_problem(str(exc)))
    except Exception:  # calamine's many parse errors share no base class
        content.issues.append(
            file_problem(
                "The workbook is damaged and cannot be opened. Save it again from Excel and resend."
            )
        )
    return None


def _gather(
    reader: fastexcel.ExcelReader,
    layouts: dict[str, TemplateLayout],
    content: WorkbookContent,
    index: int,
    gathered: _Gathered,
) -> None:
    """Read the Cover, decide the template, and load each data sheet's grid for locating."""
    sheets = _sheet_lookup(reader.sheet_names)
    if "cover" not in sheets:
        content.issues.append(
            file_problem(
                "The workbook has no 'Cover' sheet, so it is not a PIMH return. Use the "
                "return template."
            )
        )
        return
    rows, value_letter = _cover_rows(reader, sheets["cover"])
    name, version = _template_named(rows)
    content.template_name, content.template_version = name, version
    layout = layouts.get(name or "")
    if name is None or layout is None or version != "1":
        known = " or ".join(f"'{n}'" for n in layouts)
        content.issues.append(
            file_problem(
                f"The Cover sheet names template '{name or '(blank)'}' version "
                f"'{version or '(blank)'}'; expected {known}, version 1. Use the current "
                "return template."
            )
        )
        return
    content.cover = _cover_fields(rows, value_letter, layout.cover_labels)
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
        grid, first_column = _grid(reader, actual)
        gathered.setdefault((name, sheet_layout.name), []).append((index, Grid(grid, first_column)))
