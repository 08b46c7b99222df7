"""What was read from one return workbook: the reader's answer to the validator.

Every figure is kept as the text the workbook holds, so that the schemas, not the
parser, decide what a number is; every row keeps its sheet row so problems can name
cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, NamedTuple

import polars as pl

from domain.issues import Issue

# The column of a read table holding each row's 1-based row number on its sheet.
SHEET_ROW: Final = "sheet_row"


class CoverField(NamedTuple):
    """A Cover value and its cell (a tuple: thousands cross from worker processes)."""

    value: str | None
    cell: str


@dataclass(slots=True)
class SheetTable:
    """One data sheet's table: string cells by column key, plus `sheet_row`.

    The rows may live in a frame shared by every table located in the same batch (one
    object to pickle back from a worker, not thousands); `frame` is this table's slice.
    `letters` gives each column key's column letter on the sheet.
    """

    sheet: str
    rows: pl.DataFrame
    letters: dict[str, str]
    total: dict[str, str | None] | None = None
    total_row: int | None = None
    start: int = 0
    length: int | None = None

    @property
    def frame(self) -> pl.DataFrame:
        if self.length is None:
            return self.rows
        return self.rows.slice(self.start, self.length)


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

    def cover_value(self, key: str) -> str | None:
        """What the Cover says for `key` (a layout's cover field), or None."""
        cover_field = self.cover.get(key)
        return cover_field.value if cover_field else None
