"""One quarter's returns from all 14 boards, dropped into a landing area for a demo.

The set is built to exercise the whole pipeline in one run: most returns are valid but
written with the quirks real boards produce, three carry errors and two carry only
warnings, each planted at a documented cell so tests and the demo script can check that
the feedback report names exactly those problems. Service coverage matches the published
2022 picture (14 CPMHT, 14 IMH, 10 MNPI, 2 MBU), so consolidated figures look familiar.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from domain.issues import Severity
from domain.reference import BOARDS
from return_templates.bqr import DATA_SHEETS, check_period
from samples.board_returns import (
    CANONICAL,
    BoardReturnContent,
    Cell,
    Quirks,
    data_cell,
    realistic_board_return,
    total_row,
    write_board_return,
)

Expected = Literal["valid", "errors", "warnings"]


@dataclass(frozen=True, slots=True)
class PlantedProblem:
    """A problem put into a demo return on purpose, where the reader should find it."""

    severity: Severity
    cell: str  # as Excel shows it, e.g. `Activity!C5`
    value: Cell
    message: str


@dataclass(frozen=True, slots=True)
class DemoReturn:
    """One demo return: where it was written and what reading it should show."""

    path: Path
    board_code: str
    expected: Expected
    description: str
    problems: tuple[PlantedProblem, ...] = ()


Planter = Callable[[BoardReturnContent], list[PlantedProblem]]


def _column(sheet_name: str, header: str) -> int:
    return [c.header for c in DATA_SHEETS[sheet_name]].index(header)


def _accepted_above_received_and_unknown_group(content: BoardReturnContent) -> list[PlantedProblem]:
    accepted_col = _column("Activity", "Referrals accepted")
    row = content.activity[0]
    received = int(row[_column("Activity", "Referrals received")] or 0)
    row[accepted_col] = accepted = received + 25
    group_col = _column("Staffing", "Staff group")
    index = next((i for i, r in enumerate(content.staffing) if r[group_col] == "Psychiatry"), 0)
    content.staffing[index][group_col] = "Psychiatrist"
    return [
        PlantedProblem(
            "error",
            data_cell("Activity", 0, accepted_col),
            accepted,
            f"Referrals accepted {accepted} is above Referrals received {received}",
        ),
        PlantedProblem(
            "error",
            data_cell("Staffing", index, group_col),
            "Psychiatrist",
            "'Psychiatrist' is not a staff group (the list has 'Psychiatry')",
        ),
    ]


def _mbu_row_at_non_host(content: BoardReturnContent) -> list[PlantedProblem]:
    content.activity.append(["MBU", 12, 9, 9, 4, 7, 0, 8, 310, 546])
    cell = data_cell("Activity", len(content.activity) - 1, 0)
    message = "MBU reported by a board that does not host a Mother and Baby Unit"
    return [PlantedProblem("error", cell, "MBU", message)]


def _vacancy_mismatch_and_bad_total(content: BoardReturnContent) -> list[PlantedProblem]:
    content.staffing[0][2:5] = [4.0, 3.0, 1.5]
    spend_col = _column("Finance", "Spend in quarter")
    total = total_row("Finance", content.finance)
    right = float(total[spend_col] or 0)
    total[spend_col] = wrong = round(right + 1000, 2)
    content.finance.append(total)
    return [
        PlantedProblem(
            "error",
            data_cell("Staffing", 0, 4),
            1.5,
            "Vacant WTE 1.5 is not Funded WTE 4 minus In post WTE 3 (expected 1)",
        ),
        PlantedProblem(
            "error",
            data_cell("Finance", len(content.finance) - 1, spend_col),
            wrong,
            f"Total Spend in quarter {wrong:.2f} is not the column sum {right:.2f}",
        ),
    ]


def _in_post_above_funded(content: BoardReturnContent) -> list[PlantedProblem]:
    row = content.staffing[0]
    funded = float(row[2] or 0)
    in_post = round(funded + 0.4, 2)
    row[3:5] = [in_post, 0.0]  # vacant max(0, funded - in post) = 0 stays consistent
    message = f"In post WTE {in_post} is above Funded WTE {funded}"
    return [PlantedProblem("warning", data_cell("Staffing", 0, 3), in_post, message)]


def _forecast_over_allocation(content: BoardReturnContent) -> list[PlantedProblem]:
    row = content.finance[0]
    allocation = float(row[1] or 0)
    row[3] = forecast = round(allocation * 1.18, 2)
    message = (
        f"Forecast full year {forecast:.2f} is more than 10% above Allocation {allocation:.2f}"
    )
    return [PlantedProblem("warning", data_cell("Finance", 0, 3), forecast, message)]


@dataclass(frozen=True, slots=True)
class _Plan:
    board_label: str
    quirks: Quirks = CANONICAL
    planter: Planter | None = None
    note: str = ""


_PLANS: Final[dict[str, _Plan]] = {
    "S08000015": _Plan("S08000015", Quirks(header_style="snake_case"), note="snake_case headers"),
    "S08000016": _Plan("Borders", Quirks(title_rows=0, sheet_names="upper_case"),
                       note="header on row 1, sheet names in capitals"),
    "S08000017": _Plan("Dumfries & Galloway", Quirks(header_style="units_in_brackets"),
                       note="units in brackets: 'Funded (WTE)', 'Allocation (£)'"),
    "S08000019": _Plan("NHS Forth Valley", planter=_accepted_above_received_and_unknown_group),
    "S08000020": _Plan("NHS Grampian", Quirks(title_rows=1, numbers_as_text=True),
                       note="one title row, numbers typed as text"),
    "S08000022": _Plan("NHS Highland", planter=_mbu_row_at_non_host),
    "S08000024": _Plan("NHS Lothian", Quirks(blank_rows_between=True, total_row=True),
                       note="blank rows between data rows, a correct Total row"),
    "S08000025": _Plan("Orkney", Quirks(sheet_names="padded_lower"),
                       note="sheet names like ' staffing '"),
    "S08000026": _Plan("Shetland", planter=_in_post_above_funded),
    "S08000028": _Plan("Western Isles", Quirks(title_rows=6, header_style="upper_case"),
                       note="six title rows, headers such as 'FUNDED WTE'"),
    "S08000029": _Plan("NHS Fife", planter=_forecast_over_allocation),
    "S08000030": _Plan("nhs  tayside.", Quirks(start_column=1, total_row=True),
                       note="tables start in column B, a correct Total row"),
    "S08000031": _Plan("Greater Glasgow & Clyde",
                       Quirks(numbers_as_text=True, total_row=True, blank_rows_between=True),
                       note="numbers typed as text, blank rows, a correct Total row"),
    "S08000032": _Plan("NHS Lanarkshire", planter=_vacancy_mismatch_and_bad_total),
}  # fmt: skip


def generate_demo_quarter(
    landing: Path, financial_year: str = "2022-23", quarter: str = "Q1", seed: int = 2022
) -> list[DemoReturn]:
    """Write one return per board into `landing/<board code>/` and say what each shows.

    The same seed gives the same bytes, so a re-run is recognised as duplicates.
    """
    check_period(financial_year, quarter)
    demo: list[DemoReturn] = []
    for board_code, board_name in BOARDS.items():
        plan = _PLANS[board_code]
        content = _board_content(board_code, financial_year, quarter, seed)
        problems = tuple(plan.planter(content)) if plan.planter else ()
        folder = landing / board_code
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{board_name} {financial_year} {quarter}.xlsx"
        write_board_return(path, content, plan.quirks)
        expected = _expected(problems)
        demo.append(DemoReturn(path, board_code, expected, _describe(plan, problems), problems))
    return demo


def _board_content(
    board_code: str, financial_year: str, quarter: str, seed: int
) -> BoardReturnContent:
    plan = _PLANS[board_code]
    # Seeded per board so one board's plan can change without reshuffling the others.
    rng = random.Random(f"{seed}:{board_code}:{financial_year}:{quarter}")  # noqa: S311
    content = realistic_board_return(board_code, financial_year, quarter, rng)
    content.board_label = plan.board_label
    if plan.quirks.total_row:
        _fill_vacant(content)
    return content


def demo_board_content(
    board_code: str, financial_year: str, quarter: str, seed: int = 2022
) -> BoardReturnContent:
    """The figures of a board's demo return, before any problem is planted in them."""
    return _board_content(board_code, financial_year, quarter, seed)


def write_demo_board_return(path: Path, content: BoardReturnContent) -> Path:
    """Write a board's demo return with the quirks of that board's plan."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_board_return(path, content, _PLANS[content.board_code].quirks)
    return path


def demo_quirks(board_code: str) -> Quirks:
    return _PLANS[board_code].quirks


def boards_with_planted_errors() -> list[str]:
    """Boards whose demo return is rejected (and corrected later in the demo's timeline)."""
    return [
        code
        for code, plan in _PLANS.items()
        if plan.planter is not None
        and any(
            p.severity == "error" for p in plan.planter(_board_content(code, "2022-23", "Q1", 0))
        )
    ]


def write_corrected_return(
    landing: Path, board_code: str, financial_year: str, quarter: str, seed: int = 2022
) -> Path:
    """The board's return as it should have been: the same figures and quirks, no problem."""
    plan = _PLANS[board_code]
    folder = landing / board_code
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{BOARDS[board_code]} {financial_year} {quarter} corrected.xlsx"
    write_board_return(path, _board_content(board_code, financial_year, quarter, seed), plan.quirks)
    return path


def _fill_vacant(content: BoardReturnContent) -> None:
    """Give every Vacant WTE, so a Total row's vacancy sum cannot be read two ways.

    With some left empty, "the column's sum" could mean the cells written or the values
    the warehouse derives; a demo meant to be valid should not depend on which.
    """
    for row in content.staffing:
        if row[4] is None:
            row[4] = round(max(0.0, float(row[2] or 0) - float(row[3] or 0)), 2)


def _expected(problems: tuple[PlantedProblem, ...]) -> Expected:
    if any(p.severity == "error" for p in problems):
        return "errors"
    return "warnings" if problems else "valid"


def _describe(plan: _Plan, problems: tuple[PlantedProblem, ...]) -> str:
    """One line: the problems planted, or the quirks a valid return is written with."""
    cover = f"Cover board {plan.board_label!r}"
    if not problems:
        return f"Valid, no warnings; {cover}; " + (plan.note or "canonical layout")
    kind = problems[0].severity
    listed = "; ".join(f"{p.cell} = {p.value!r}: {p.message}" for p in problems)
    return f"{len(problems)} {kind}(s): {listed}; {cover}"
