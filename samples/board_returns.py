"""Board Quarterly Returns as boards really send them, for tests, demos and benchmarks.

Boards fill the template in by hand, so real returns drift from the canonical layout in
ways SPEC.md says the reader must forgive: extra title rows, header spellings, sheet name
case, blank rows, a Total row, numbers typed as text, a table shifted one column right.
`Quirks` switches each drift on so a test can aim at exactly one. Writing uses xlsxwriter
only, because benchmarks generate thousands of workbooks and openpyxl is far slower.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import xlsxwriter

from domain.cells import cell_reference
from domain.periods import quarter_bounds
from domain.reference import BOARDS, BQR_TEMPLATE_NAME, TEMPLATE_VERSION
from return_templates.bqr import COVER_LABELS, DATA_SHEETS, Column, board_services

Cell = int | float | str | None
Row = list[Cell]
HeaderStyle = Literal["canonical", "snake_case", "units_in_brackets", "upper_case"]
SheetNameStyle = Literal["canonical", "padded_lower", "upper_case"]


@dataclass(slots=True)
class BoardReturnContent:
    """What one board's return says. Cells may be strings so any quirk can be written."""

    board_code: str
    financial_year: str
    quarter: str
    board_label: str  # the Board value on the Cover, as the board wrote it
    completed_by: str = ""
    email: str = ""
    staffing: list[Row] = field(default_factory=list)
    activity: list[Row] = field(default_factory=list)
    finance: list[Row] = field(default_factory=list)

    def rows(self, sheet_name: str) -> list[Row]:
        """The data rows of a data sheet, by its canonical name."""
        return {"Staffing": self.staffing, "Activity": self.activity, "Finance": self.finance}[
            sheet_name
        ]


@dataclass(frozen=True, slots=True)
class Quirks:
    """Departures from the canonical layout that the reader must still read.

    `title_rows` is how many rows sit above each data sheet's header (3 in the blank
    template); `start_column` 1 puts tables in column B; `blank_rows_between` leaves a
    blank row after every second data row; `total_row` appends a correct Total row.
    """

    title_rows: int = 3
    header_style: HeaderStyle = "canonical"
    sheet_names: SheetNameStyle = "canonical"
    blank_rows_between: bool = False
    total_row: bool = False
    numbers_as_text: bool = False
    start_column: int = 0


CANONICAL: Final = Quirks()

# Coverage as published for August 2022: 14 CPMHT, 14 IMH and 10 MNPI services, and the
# two Mother and Baby Units. Which four boards lacked MNPI is illustrative.
_BOARDS_WITHOUT_MNPI: Final = frozenset({"S08000016", "S08000025", "S08000026", "S08000028"})
# Rough relative size (births) so that small island boards get small figures.
_BOARD_SIZE: Final[dict[str, float]] = {
    "S08000015": 0.3, "S08000016": 0.09, "S08000017": 0.11, "S08000019": 0.26,
    "S08000020": 0.47, "S08000022": 0.27, "S08000024": 0.72, "S08000025": 0.02,
    "S08000026": 0.02, "S08000028": 0.02, "S08000029": 0.3, "S08000030": 0.34,
    "S08000031": 1.0, "S08000032": 0.56,
}  # fmt: skip
_STAFF_GROUPS_BY_SERVICE: Final[dict[str, tuple[str, ...]]] = {
    "CPMHT": ("Psychiatry", "Psychology", "Mental Health Nursing", "Occupational Therapy",
              "Nursery Nursing", "Social Work", "Peer Support", "Administration"),
    "IMH": ("Psychology", "Mental Health Nursing", "Parent-Infant Therapy",
            "Child Psychotherapy", "Administration"),
    "MNPI": ("Psychology", "Midwifery", "Administration"),
    "MBU": ("Psychiatry", "Mental Health Nursing", "Nursery Nursing", "Occupational Therapy",
            "Peer Support", "Administration"),
}  # fmt: skip
_REFERRALS_PER_QUARTER: Final[dict[str, int]] = {"CPMHT": 600, "IMH": 250, "MNPI": 400}
_ANNUAL_ALLOCATION: Final[dict[str, int]] = {
    "CPMHT": 2_400_000, "IMH": 1_200_000, "MNPI": 900_000, "MBU": 1_600_000,
}  # fmt: skip
_MBU_BEDS: Final = 6
_FIRST_NAMES: Final = ("Aileen", "Calum", "Fiona", "Iain", "Morag", "Ruaridh", "Shona", "Kirsty")
_LAST_NAMES: Final = ("Campbell", "MacLeod", "Robertson", "Stewart", "Fraser", "Murray", "Reid")
# Public names for the other sample writers, so their contacts sound alike.
FIRST_NAMES: Final = _FIRST_NAMES
LAST_NAMES: Final = _LAST_NAMES


def services_run(board_code: str) -> tuple[str, ...]:
    """The services a board runs in the samples, matching the published 2022 coverage."""
    return tuple(
        s
        for s in board_services(board_code)
        if s != "MNPI" or board_code not in _BOARDS_WITHOUT_MNPI
    )


def sheet_title(sheet_name: str, quirks: Quirks) -> str:
    """The sheet's name as this return spells it."""
    if quirks.sheet_names == "padded_lower":
        return f" {sheet_name.lower()} "
    if quirks.sheet_names == "upper_case":
        return sheet_name.upper()
    return sheet_name


def header_text(column: Column, style: HeaderStyle) -> str:
    """A column header in one of the spellings SPEC.md says are the same header."""
    if style == "snake_case":
        return column.header.lower().replace(" ", "_")
    if style == "upper_case":
        return column.header.upper()
    if style == "units_in_brackets" and column.header.endswith(" WTE"):
        return f"{column.header.removesuffix(' WTE')} (WTE)"
    if style == "units_in_brackets" and column.kind == "pounds":
        return f"{column.header} (£)"
    return column.header


def number_value(cell: Cell) -> float | None:
    """A cell's number, reading numbers typed as text the way SPEC.md says the reader does."""
    if isinstance(cell, int | float):
        return float(cell)
    if isinstance(cell, str):
        try:
            return float(cell.strip().replace("£", "").replace(",", ""))
        except ValueError:
            return None
    return None


def total_row(sheet_name: str, rows: Sequence[Row]) -> Row:
    """A Total row whose every figure is its column's sum (empty where nothing was given)."""
    return columns_total_row(DATA_SHEETS[sheet_name], rows)


def columns_total_row(columns: Sequence[Column], rows: Sequence[Row]) -> Row:
    """`total_row` for any template's columns: the third-sector sheets share BQR's names."""
    total: Row = ["Total"]
    for index, column in enumerate(columns[1:], start=1):
        if column.kind not in {"wte", "count", "pounds"}:
            total.append(None)
            continue
        values = [number_value(row[index]) for row in rows if index < len(row)]
        given = [v for v in values if v is not None]
        if not given:
            total.append(None)
        elif column.kind == "count":
            total.append(round(sum(given)))
        else:
            total.append(round(sum(given), 2))
    return total


def _as_text(value: int | float, column: Column) -> str:
    """A number as a person types it into a text cell: ' 3.5 ', '1,200', '£1,200.50'."""
    if column.kind == "wte":
        return f" {value:g} "
    if column.kind == "count":
        return f"{round(value):,}"
    return f"£{value:,.2f}"


def _sheet_row(row_index: int, quirks: Quirks) -> int:
    """The 0-based sheet row of a table row, after the title rows and any blank rows."""
    blanks = row_index // 2 if quirks.blank_rows_between else 0
    return quirks.title_rows + 1 + row_index + blanks


def data_cell(
    sheet_name: str, row_index: int, column_index: int, quirks: Quirks = CANONICAL
) -> str:
    """The Excel reference (`Activity!C5`) where `write_board_return` puts a data cell.

    `row_index` counts the content's rows for that sheet; the quirk-made Total row, if
    any, comes after them.
    """
    row_number = _sheet_row(row_index, quirks) + 1
    return cell_reference(sheet_name, quirks.start_column + column_index, row_number)


def write_board_return(path: Path, content: BoardReturnContent, quirks: Quirks = CANONICAL) -> None:
    """Write a BQR workbook as a board might send it: the content, bent by the quirks."""
    end = quarter_bounds(content.financial_year, content.quarter)[1]
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    try:
        # A fixed creation date makes the bytes a function of the content alone.
        workbook.set_properties({"created": dt.datetime.combine(end, dt.time())})
        values = (BQR_TEMPLATE_NAME, TEMPLATE_VERSION, content.board_label, content.financial_year,
                  content.quarter, content.completed_by, content.email)  # fmt: skip
        write_cover_sheet(workbook, quirks, COVER_LABELS, values)
        for sheet_name in DATA_SHEETS:
            sheet = workbook.add_worksheet(sheet_title(sheet_name, quirks))
            _write_data_sheet(sheet, sheet_name, content, quirks)
    finally:
        workbook.close()


def write_cover_sheet(
    workbook: Any, quirks: Quirks, labels: Sequence[str], values: Sequence[str]
) -> None:
    """A Cover with the template name as its title and each label's value beside it.

    `values[0]` is the template name; an empty value leaves its cell empty.
    """
    cover = workbook.add_worksheet(sheet_title("Cover", quirks))
    cover.write_string(0, 0, values[0])
    for offset, (label, value) in enumerate(zip(labels, values, strict=True)):
        cover.write_string(2 + offset, 0, label)
        if value:
            cover.write_string(2 + offset, 1, value)


def _write_data_sheet(
    sheet: Any, sheet_name: str, content: BoardReturnContent, quirks: Quirks
) -> None:
    """Title rows, the header in the quirks' spelling, then the rows and any Total."""
    columns = DATA_SHEETS[sheet_name]
    titles = (f"{sheet_name}: {content.board_label}", f"{content.financial_year} {content.quarter}")
    rows = content.rows(sheet_name)
    if quirks.total_row:
        rows = [*rows, total_row(sheet_name, rows)]
    write_table(sheet, columns, titles, rows, quirks)


def write_table(
    sheet: Any,
    columns: Sequence[Column],
    titles: Sequence[str],
    rows: Sequence[Row],
    quirks: Quirks,
) -> None:
    """Titles, the header in the quirks' spelling, then `rows` as given (any Total included)."""
    left = quirks.start_column
    for row_index, title in enumerate(titles[: quirks.title_rows]):
        sheet.write_string(row_index, left, title)
    for col, column in enumerate(columns):
        sheet.write_string(quirks.title_rows, left + col, header_text(column, quirks.header_style))
    for row_index, row in enumerate(rows):
        sheet_row = _sheet_row(row_index, quirks)
        for col, cell in enumerate(row):
            if isinstance(cell, str):
                sheet.write_string(sheet_row, left + col, cell)
            elif cell is not None and quirks.numbers_as_text and col < len(columns):
                sheet.write_string(sheet_row, left + col, _as_text(cell, columns[col]))
            elif cell is not None:
                sheet.write_number(sheet_row, left + col, cell)


def realistic_board_return(
    board_code: str,
    financial_year: str,
    quarter: str,
    rng: random.Random,
    *,
    services: Sequence[str] | None = None,
) -> BoardReturnContent:
    """A plausible return with no errors or warnings, sized to the board.

    `services` defaults to the services the board runs (`services_run`). A board's levels
    (its staff groups and their funded posts, its referrals, its allocation for the year)
    are the board's own, the same whatever `rng`; `rng` draws only the quarter's variation
    on them, small enough that consecutive quarters raise no plausibility warning (WTE
    within 50%, counts within a factor of 2, allocation unchanged within the year).
    """
    if board_code not in BOARDS:
        raise ValueError(f"{board_code!r} is not a territorial board code")
    size = _BOARD_SIZE[board_code]
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    content = BoardReturnContent(
        board_code=board_code,
        financial_year=financial_year,
        quarter=quarter,
        board_label=BOARDS[board_code],
        completed_by=f"{first} {last}",
        email=f"{first}.{last}@nhs.scot".lower(),
    )
    start, end = quarter_bounds(financial_year, quarter)
    days = (end - start).days + 1
    for service in services if services is not None else services_run(board_code):
        groups = _STAFF_GROUPS_BY_SERVICE[service]
        level = _level(board_code, service)
        chosen = set(level.sample(groups, k=level.randint(min(2, len(groups)), len(groups))))
        for group in (g for g in groups if g in chosen):
            funded = _funded_level(board_code, service, group, size)
            content.staffing.append(_staffing_row(service, group, funded, rng))
        usual = _REFERRALS_PER_QUARTER.get(service, 0) * size * level.uniform(0.7, 1.3)
        referrals = max(8.0, usual)
        content.activity.append(_activity_row(service, referrals, days, rng))
        for_year = _level(board_code, service, financial_year)
        allocation = float(
            round(_ANNUAL_ALLOCATION[service] * (0.05 + size) * for_year.uniform(0.9, 1.1), -3)
        )
        spend = round(allocation / 4 * rng.uniform(0.8, 1.05), 2)
        content.finance.append(
            [service, allocation, spend, round(allocation * rng.uniform(0.9, 1.05), 2)]
        )
    return content


def _level(*parts: str) -> random.Random:
    """The random source of what stays the same from quarter to quarter (a board's staff
    groups, its funded posts, its referrals, a year's allocation): seeded by what it is for."""
    return random.Random(":".join(parts))  # noqa: S311 - sample figures, not secrets


def _funded_level(board_code: str, service: str, group: str, size: float) -> float:
    """The funded WTE a board's staff group has, before a quarter's variation."""
    ward = (
        3.0 if service == "MBU" and group in {"Mental Health Nursing", "Nursery Nursing"} else 1.0
    )
    level = _level(board_code, service, group)
    return (level.uniform(0.2, 1.0) + level.uniform(0.5, 1.5) * 5 * size) * ward


def _staffing_row(service: str, group: str, funded_level: float, rng: random.Random) -> Row:
    """Funded and in-post WTE with two decimals; vacant is consistent or left to derive."""
    funded = round(funded_level * rng.uniform(0.9, 1.1), 2)
    in_post = funded if rng.random() < 0.6 else round(funded * rng.uniform(0.5, 0.95), 2)
    vacant = None if rng.random() < 0.25 else round(max(0.0, funded - in_post), 2)
    return [service, group, funded, in_post, vacant]


def _activity_row(service: str, referrals: float, days: int, rng: random.Random) -> Row:
    """Counts that keep accepted <= received and occupied <= available bed days, within
    a factor of 2 of any other quarter's drawn from the same `referrals` level."""
    if service == "MBU":
        received = rng.randint(25, 35)
        accepted = round(received * rng.uniform(0.7, 0.85))
        admissions = round(accepted * rng.uniform(0.8, 1.0))
        discharges = max(0, admissions + rng.randint(-3, 3))
        available = _MBU_BEDS * days
        occupied = round(available * rng.uniform(0.55, 0.9))
        caseload = round(_MBU_BEDS * rng.uniform(0.6, 1.0))
        return [service, received, accepted, accepted, caseload, discharges, 0,
                admissions, occupied, available]  # fmt: skip
    received = round(referrals * rng.uniform(0.85, 1.15))
    accepted = round(received * rng.uniform(0.75, 0.9))
    return [
        service,
        received,
        accepted,
        round(accepted * rng.uniform(0.7, 1.0)),
        round(accepted * rng.uniform(2.0, 2.4)),
        round(accepted * rng.uniform(0.5, 1.0)),
        round(accepted * rng.uniform(0.0, 0.1)),
        None,
        None,
        None,
    ]
