"""Writing test returns: a valid board return to start from, changed one cell at a time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from samples.board_returns import (
    CANONICAL,
    BoardReturnContent,
    Quirks,
    write_board_return,
)


def valid_return(
    board_code: str = "S08000024", year: str = "2022-23", quarter: str = "Q1"
) -> BoardReturnContent:
    """A small valid BQR: CPMHT and IMH (plus MBU for Lothian), figures easy to add up.

    Canonical layout: data rows start on sheet row 5 (header on row 4), columns from A.
    """
    from domain.reference import BOARDS, MBU_HOST_BOARDS

    staffing: list[list[object]] = [
        ["CPMHT", "Psychiatry", 2.0, 1.5, None],
        ["CPMHT", "Mental Health Nursing", 4.0, 4.0, 0.0],
        ["IMH", "Psychology", 1.0, 0.6, None],
    ]
    activity: list[list[object]] = [
        ["CPMHT", 120, 100, 90, 300, 40, 5, None, None, None],
        ["IMH", 30, 25, 20, 60, 10, 2, None, None, None],
    ]
    finance: list[list[object]] = [
        ["CPMHT", 500000, 120000, 480000],
        ["IMH", 200000, 50000, 200000],
    ]
    if board_code in MBU_HOST_BOARDS:
        staffing.append(["MBU", "Midwifery", 3.0, 3.0, None])
        activity.append(["MBU", 8, 6, 6, 5, 4, 0, 6, 500, 552])
        finance.append(["MBU", 300000, 80000, 310000])
    return BoardReturnContent(
        board_code=board_code,
        financial_year=year,
        quarter=quarter,
        board_label=BOARDS[board_code],
        completed_by="A. Manager",
        email="a.manager@example.org",
        staffing=staffing,  # type: ignore[arg-type]
        activity=activity,  # type: ignore[arg-type]
        finance=finance,  # type: ignore[arg-type]
    )


def write(path: Path, content: BoardReturnContent, quirks: Quirks = CANONICAL) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_board_return(path, content, quirks)
    return path


def changed(
    content: BoardReturnContent, sheet: str, row: int, column: int, value: object
) -> BoardReturnContent:
    """A copy of `content` with one data cell replaced (row and column 0-based in the table)."""
    new = copy.deepcopy(content)
    rows: list[list[Any]] = {
        "Staffing": new.staffing, "Activity": new.activity, "Finance": new.finance
    }[sheet]  # fmt: skip
    rows[row][column] = value
    return new
