"""The demo's previous quarter, for one board: so the demo shows a plausibility warning.

The demo's quarter is otherwise the only one in its warehouse, and plausibility compares
a return with its reporter's previous quarter. So one board's return for the quarter
before is sent first, the same figures but a much smaller CPMHT caseload; the board's
return for the demo quarter then carries the warning, answered in its Explanation column.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from domain.periods import due_date, financial_year_label, parse_financial_year
from domain.reference import BOARDS
from samples.board_returns import data_cell
from samples.demo import demo_board_content, demo_quirks, write_demo_board_return
from samples.demo_timeline import DemoStage

# Ayrshire and Arran: a valid return on time, written with snake_case headers.
EXPLAINED_BOARD: Final = "S08000015"
EXPLANATION: Final = (
    "The community team took over the caseload of a neighbouring clinic that closed in "
    "April; the figure is right."
)
_CASELOAD: Final = 4  # Open caseload, in the Activity sheet's columns (0-based)
_EXPLANATION_COLUMN: Final = 10  # Explanation, after the three MBU columns


@dataclass(frozen=True, slots=True)
class ExplainedWarning:
    """Where the demo's explained warning is, and the figure it is about."""

    board_code: str
    cell: str
    value: int
    explanation: str


def previous_period(financial_year: str, quarter: str) -> tuple[str, str]:
    """The quarter before (Q1's is the previous year's Q4)."""
    number = int(quarter[1])
    if number > 1:
        return financial_year, f"Q{number - 1}"
    start = parse_financial_year(financial_year)
    if start is None:
        raise ValueError(f"{financial_year!r} is not a financial year such as 2022-23")
    return financial_year_label(start - 1), "Q4"


def explained_warning(financial_year: str, quarter: str, seed: int = 2022) -> ExplainedWarning:
    """The warning the demo board's return carries, already explained."""
    content = demo_board_content(EXPLAINED_BOARD, financial_year, quarter, seed)
    return ExplainedWarning(
        EXPLAINED_BOARD,
        data_cell("Activity", 0, _CASELOAD, demo_quirks(EXPLAINED_BOARD)),
        int(content.activity[0][_CASELOAD] or 0),
        EXPLANATION,
    )


def with_previous_quarter(
    directory: Path, stages: list[DemoStage], financial_year: str, quarter: str, seed: int = 2022
) -> list[DemoStage]:
    """The demo's stages with a first one sending the demo board's previous quarter; its
    return in the first of `stages` gets the Explanation of the caseload's rise."""
    content = demo_board_content(EXPLAINED_BOARD, financial_year, quarter, seed)
    before = copy.deepcopy(content)
    before.financial_year, before.quarter = previous_period(financial_year, quarter)
    before.activity[0][_CASELOAD] = round(int(content.activity[0][_CASELOAD] or 0) / 2.5)
    name = BOARDS[EXPLAINED_BOARD]
    outbox = directory / "outbox" / "0-previous-quarter"
    write_demo_board_return(
        outbox / EXPLAINED_BOARD / f"{name} {before.financial_year} {before.quarter}.xlsx",
        before,
    )
    content.activity[0].append(EXPLANATION)
    first = stages[0].outbox / EXPLAINED_BOARD / f"{name} {financial_year} {quarter}.xlsx"
    write_demo_board_return(first, content)
    due = due_date(before.financial_year, before.quarter)
    arrival = dt.datetime.combine(due - dt.timedelta(days=10), dt.time(9, 0, tzinfo=dt.UTC))
    return [DemoStage("for the quarter before", arrival, outbox), *stages]
