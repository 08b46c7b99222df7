"""Spreadsheet cell references as Excel shows them (`Staffing!D14`), both ways.

Problems name cells so a reporter can find them; the feedback writers read those names
back to mark the cells. Column letters come from openpyxl's own utilities, imported when
first needed (openpyxl costs a quarter of a second to import, and most commands never
name a column).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Final

# Excel's limits: a reference beyond them cannot name a real cell.
MAX_ROW: Final = 1_048_576
MAX_COLUMN: Final = 16_384
_COORDINATE: Final = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\S*)?")


@functools.cache
def column_letter(index: int) -> str:
    """Excel's column letters for a 0-based column index (0 -> A, 26 -> AA).

    Remembered: the reader asks for the same few dozen letters for every return.
    """
    from openpyxl.utils.cell import get_column_letter

    return str(get_column_letter(index + 1))


def column_number(letters: str) -> int:
    """The 1-based column number of Excel's letters (A -> 1, AA -> 27)."""
    from openpyxl.utils.cell import column_index_from_string

    return int(column_index_from_string(letters.upper()))


def cell_reference(sheet: str, column_index: int, row_number: int) -> str:
    """`Sheet!C7` for a 0-based column index and a 1-based sheet row, as Excel shows it."""
    return f"{sheet}!{column_letter(column_index)}{row_number}"


@dataclass(frozen=True, slots=True)
class CellLocation:
    """Where a reference points: nowhere (the whole file), a sheet, or one cell of a sheet.

    `row` and `column` are 1-based, as Excel numbers them; a range is located by its
    top-left cell.
    """

    sheet: str | None = None
    row: int | None = None
    column: int | None = None

    @property
    def coordinate(self) -> str | None:
        """`D14`, or None when no single cell is meant."""
        if self.row is None or self.column is None:
            return None
        return f"{column_letter(self.column - 1)}{self.row}"


def parse_reference(reference: str | None, sheet: str | None = None) -> CellLocation:
    """Read a reference (`Staffing!D14`, `'My sheet'!D14`, a sheet alone, or None).

    `sheet` is the sheet to assume when the reference names none. Anything that does not
    parse as a cell is kept as a sheet-level location rather than dropped.
    """
    text = (reference or "").strip()
    fallback = (sheet or "").strip() or None
    if not text:
        return CellLocation(sheet=fallback)
    if "!" in text:
        sheet_part, coordinate = text.rsplit("!", 1)
        return _with_coordinate(unquote_sheet(sheet_part) or fallback, coordinate)
    if fallback and _COORDINATE.fullmatch(text):
        return _with_coordinate(fallback, text)
    return CellLocation(sheet=unquote_sheet(text) or fallback)


def unquote_sheet(text: str) -> str | None:
    """A sheet name as a reference quotes it (`'My sheet'`), unquoted; None when empty."""
    text = text.strip()
    if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
        text = text[1:-1].replace("''", "'")
    return text or None


def quote_sheet(name: str) -> str:
    """A sheet name quoted for a reference, as Excel writes it (`'My sheet'`)."""
    return "'" + name.replace("'", "''") + "'"


def _with_coordinate(sheet: str | None, coordinate: str) -> CellLocation:
    match = _COORDINATE.fullmatch(coordinate.strip())
    if match is None:
        return CellLocation(sheet=sheet)
    column = column_number(match.group(1))
    row = int(match.group(2))
    if not (1 <= row <= MAX_ROW and 1 <= column <= MAX_COLUMN):
        return CellLocation(sheet=sheet)
    return CellLocation(sheet=sheet, row=row, column=column)
