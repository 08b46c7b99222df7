"""Blank return templates the data team sends to reporters.

One import point: `from return_templates import write_blank_bqr`.
"""

from return_templates.bqr import (
    ACTIVITY_COLUMNS,
    COVER_LABELS,
    DATA_SHEETS,
    FINANCE_COLUMNS,
    HEADER_ROW,
    STAFFING_COLUMNS,
    Column,
    ColumnKind,
    board_services,
    write_blank_bqr,
)

__all__ = [
    "ACTIVITY_COLUMNS",
    "COVER_LABELS",
    "DATA_SHEETS",
    "FINANCE_COLUMNS",
    "HEADER_ROW",
    "STAFFING_COLUMNS",
    "Column",
    "ColumnKind",
    "board_services",
    "write_blank_bqr",
]
