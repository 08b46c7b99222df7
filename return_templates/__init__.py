"""Blank return templates the data team sends to reporters.

One import point: `from return_templates import write_blank_bqr`.
"""

from return_templates.bqr import (
    COVER_LABELS,
    DATA_SHEETS,
    HEADER_ROW,
    Column,
    ColumnKind,
    board_services,
    write_blank_bqr,
)

__all__ = [
    "COVER_LABELS",
    "DATA_SHEETS",
    "HEADER_ROW",
    "Column",
    "ColumnKind",
    "board_services",
    "write_blank_bqr",
]
