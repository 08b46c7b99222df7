"""What every blank return template shares: look, layout, input checks and period rules.

The board and third-sector blanks must look and behave alike (title, guidance, header on
row 4, yellow input cells with Excel data validation) so that a reporter who has filled
one in knows the other, and so that the one reader reads both. Keeping the workbook
mechanics here lets each template module say only what differs: its columns and lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import xlsxwriter

from domain.layouts import CodeList, ColumnLayout, MeasureKind, SheetLayout
from domain.periods import Period, quarter_bounds
from domain.reference import BOARDS, OUTCOMES, SERVICES, STAFF_GROUPS, SUPPORT_TYPES

# What a blank's input cells take: a code list's dropdown, free text, or a figure.
ColumnKind = Literal[CodeList, MeasureKind, "text"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column as the blank shows it: its printed header, what its cells take, its help.

    `help` is the input message Excel shows on the header cell (at most 255 characters).
    """

    header: str
    kind: ColumnKind
    help: str

    @classmethod
    def of(cls, column: ColumnLayout) -> Column:
        if column.codes is not None:
            return cls(column.printed, column.codes, column.help)
        if column.kind == "code":  # the layout refuses this; mypy cannot know it
            raise ValueError(f"{column.key} names no code list")
        return cls(column.printed, column.kind, column.help)


def blank_columns(sheet: SheetLayout) -> tuple[Column, ...]:
    return tuple(Column.of(column) for column in sheet.columns)


HEADER_ROW: Final = 4  # 1-based, as Excel shows it; rows 1-3 are title, guidance, spacer
COVER_FIRST_LABEL_ROW: Final = 3

NUMBER_FORMATS: Final[dict[ColumnKind, str]] = {
    "wte": "0.00",
    "count": "0",
    "pounds": "£#,##0.00",
}
VALIDATION_ERRORS: Final[dict[ColumnKind, str]] = {
    "wte": "Enter a WTE between 0 and 200.",
    "count": "Enter a whole number, 0 or more.",
    "pounds": "Enter an amount in pounds, 0 or more.",
    "service": "Choose a service code from the list.",
    "staff_group": "Choose a staff group from the list.",
    "board": "Choose the NHS board area from the list.",
    "support_type": "Choose a support type from the list.",
    "outcome": "Choose an outcome code from the list.",
}
# Wider columns where the dropdown's longest entry would otherwise be cut off.
_COLUMN_WIDTHS: Final[dict[ColumnKind, int]] = {
    "staff_group": 24,
    "board": 26,
    "support_type": 20,
    "outcome": 22,
    # Room for a sentence answering a warning.
    "text": 48,
}

# What each code list's dropdown offers. Boards are listed by name, alphabetically, as
# people look a name up; the reader accepts names or codes.
CODE_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "service": tuple(SERVICES),
    "staff_group": STAFF_GROUPS,
    "board": tuple(sorted(BOARDS.values())),
    "support_type": SUPPORT_TYPES,
    "outcome": tuple(OUTCOMES),
}

Validation = dict[str, Any]


def check_period(financial_year: str, quarter: str) -> None:
    """Refuse a period the reader would refuse, before anyone fills a template in for it.

    A blank prints its period on the Cover, so only the canonical form (`2022-23`, `Q1`)
    is taken here; commands read what a person typed with `Period.parse` first."""
    Period.exact(financial_year, quarter)


def number_validation(column: Column) -> Validation:
    """Excel's check for a figure column: WTE 0..200, whole counts >= 0, pounds >= 0."""
    if column.kind == "wte":
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 200}
    if column.kind == "count":
        return {"validate": "integer", "criteria": ">=", "value": 0}
    return {"validate": "decimal", "criteria": ">=", "value": 0}


def input_validation(
    column: Column, choices: Mapping[str, Sequence[str]] = CODE_CHOICES
) -> Validation | None:
    """Excel's check for a column's input cells: its code list's dropdown, or its figure's range.

    `choices` may narrow a code list, e.g. to the services one board may report. Free
    text is not checked.
    """
    options: Validation
    if column.kind in choices:
        options = {"validate": "list", "source": list(choices[column.kind])}
    elif column.kind == "text":
        return None
    else:
        options = number_validation(column)
    return with_error(options, column)


def with_error(options: Validation, column: Column) -> Validation:
    """Name the column and say what it wants when Excel refuses an entry."""
    options.update(
        {
            "error_title": f"{column.header}"[:32],
            "error_message": VALIDATION_ERRORS[column.kind],
        }
    )
    return options


def input_message(title: str, message: str) -> Validation:
    """A validation that checks nothing and only shows guidance when the cell is selected."""
    return {"validate": "any", "input_title": title[:32], "input_message": message}


@contextmanager
def template_workbook(
    path: Path, title: str, financial_year: str, quarter: str
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """An xlsxwriter workbook with the templates' shared formats, closed (written) on exit."""
    # A fixed creation date keeps the bytes identical for identical inputs.
    created = dt.datetime.combine(quarter_bounds(financial_year, quarter)[1], dt.time())
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    try:
        workbook.set_properties({"title": title, "created": created})
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "guidance": workbook.add_format({"italic": True, "font_color": "#595959"}),
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
            ),
            "label": workbook.add_format({"bold": True}),
            "input": workbook.add_format({"bg_color": "#FFF2CC", "border": 1}),
        }
        for kind, number_format in NUMBER_FORMATS.items():
            formats[kind] = workbook.add_format(
                {"num_format": number_format, "bg_color": "#FFF2CC", "border": 1}
            )
        yield workbook, formats
    finally:
        workbook.close()


def write_cover(
    workbook: Any,
    formats: dict[str, Any],
    template_name: str,
    *,
    labels: Sequence[str],
    values: Mapping[str, str],
    validations: Mapping[str, Validation],
) -> None:
    """The Cover: labels in column A from row 3, known values beside them, the rest to fill.

    `validations` are applied to value cells by label, in their order.
    """
    sheet = workbook.add_worksheet("Cover")
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 40)
    sheet.write_string(0, 0, template_name, formats["title"])
    for offset, label in enumerate(labels):
        row = COVER_FIRST_LABEL_ROW - 1 + offset
        sheet.write_string(row, 0, label, formats["label"])
        if values.get(label):
            sheet.write_string(row, 1, values[label])
        else:
            sheet.write_blank(row, 1, None, formats["input"])
    for label, options in validations.items():
        row = COVER_FIRST_LABEL_ROW - 1 + list(labels).index(label)
        sheet.data_validation(row, 1, row, 1, options)


def write_data_sheet(
    workbook: Any,
    formats: dict[str, Any],
    layout: SheetLayout,
    *,
    title: str,
    validation: Callable[[Column], Validation | None] = input_validation,
    prefilled: Mapping[int, Sequence[str]] | None = None,
) -> Any:
    """Title, guidance, header on row 4, then validated input rows; returns the sheet.

    `prefilled` gives, by column index, values written into the first input rows (the
    outcome codes a charity reports against, say); they stay editable and validated.
    """
    sheet = workbook.add_worksheet(layout.name)
    sheet.write_string(0, 0, title, formats["title"])
    sheet.write_string(1, 0, layout.guidance, formats["guidance"])
    header_index = HEADER_ROW - 1
    first, last = header_index + 1, header_index + layout.input_rows
    for col, column in enumerate(blank_columns(layout)):
        sheet.set_column(col, col, _COLUMN_WIDTHS.get(column.kind, 16))
        sheet.write_string(header_index, col, column.header, formats["header"])
        sheet.data_validation(
            header_index,
            col,
            header_index,
            col,
            input_message(column.header, column.help),
        )
        cell_format = formats.get(column.kind, formats["input"])
        given = (prefilled or {}).get(col, ())
        for row in range(first, last + 1):
            if row - first < len(given):
                sheet.write_string(row, col, given[row - first], cell_format)
            else:
                sheet.write_blank(row, col, None, cell_format)
        options = validation(column)
        if options is not None:
            sheet.data_validation(first, col, last, col, options)
    sheet.freeze_panes(header_index + 1, 0)
    return sheet
