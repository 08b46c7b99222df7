"""Every rule of the Board Quarterly Return (SPEC.md, BQR v1), one broken at a time.

Each test writes a real workbook, reads it with the reader and validates it as intake
does, then checks the severity, the cell as Excel shows it, the value found and the words.
The starting point is `valid_return` (Lothian unless said otherwise): data from sheet row 5,
tables from column A; Lothian's Staffing rows 5-8, Activity and Finance rows 5-7 (the last
row of each is its Mother and Baby Unit).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from connectors.workbook import extract_workbook
from domain.issues import Issue
from domain.layouts import BQR
from samples.board_returns import BoardReturnContent, Cell, Row, total_row
from schemas.bqr import SHEET_MODELS
from schemas.validate_batch import RETURN_LAYOUTS
from schemas.validate_bqr import BoardReturn, ValidatedBatch, validate_board_returns
from tests.builders import changed, valid_return, write

LOTHIAN, GGC, FIFE = "S08000024", "S08000031", "S08000029"
MAX_BYTES, MAX_EXPANDED = 20_000_000, 200_000_000
EMPTY_MBU_ROW: Row = ["MBU", None, None, None, None, None, None, None, None, None]


def _bytes(tmp_path: Path, content: BoardReturnContent) -> bytes:
    return write(tmp_path / "return.xlsx", content).read_bytes()


def _validate(items: list[tuple[bytes, str | None]]) -> tuple[list[list[Issue]], ValidatedBatch]:
    """Read and validate workbooks as intake does: reader problems first, then rule problems."""
    contents = [
        extract_workbook(data, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED) for data, _ in items
    ]
    assert all(content.readable for content in contents)
    batch = validate_board_returns(
        [BoardReturn(folder, content) for content, (_, folder) in zip(contents, items, strict=True)]
    )
    issues = [[*c.issues, *batch.issues.get(i, [])] for i, c in enumerate(contents)]
    return issues, batch


def issues_of(
    tmp_path: Path, content: BoardReturnContent, folder: str | None = None
) -> list[Issue]:
    """All problems with one return dropped in `folder` (by default the board's own)."""
    data = _bytes(tmp_path, content)
    return _validate([(data, folder or content.board_code)])[0][0]


def batch_of(tmp_path: Path, content: BoardReturnContent) -> ValidatedBatch:
    return _validate([(_bytes(tmp_path, content), content.board_code)])[1]


def with_cover(tmp_path: Path, content: BoardReturnContent, cell: str, value: object) -> bytes:
    """The return's bytes with one Cover cell overwritten (the writer refuses bad periods)."""

    def edit(workbook: Workbook) -> None:
        workbook["Cover"][cell] = value

    return edited(_bytes(tmp_path, content), edit)


def edited(data: bytes, edit: Callable[[Workbook], None]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error(message: str, cell: str, value: str | None) -> Issue:
    return Issue("error", message, sheet=cell.split("!", maxsplit=1)[0], cell=cell, value=value)


def warning(message: str, cell: str, value: str | None) -> Issue:
    return Issue("warning", message, sheet=cell.split("!", maxsplit=1)[0], cell=cell, value=value)


# --- a clean return ----------------------------------------------------------------------


@pytest.mark.parametrize("board_code", [LOTHIAN, GGC, FIFE])
def test_a_return_with_no_problems_has_no_issues(tmp_path: Path, board_code: str) -> None:
    """It reports nothing at all for a return that keeps every rule."""
    assert issues_of(tmp_path, valid_return(board_code)) == []


def test_an_empty_cell_is_not_reported_and_zero_is_zero(tmp_path: Path) -> None:
    """It accepts an empty figure as 'not reported' (null) and keeps 0 as zero."""
    content = changed(valid_return(), "Activity", 0, 3, None)
    content = changed(content, "Activity", 1, 3, 0)
    batch = batch_of(tmp_path, content)
    assert batch.issues.get(0, []) == []
    assert batch.sheets["Activity"]["first_assessments"].to_list() == [None, 0.0, 6.0]


# --- Service -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "cell"),
    [("Staffing", "Staffing!A5"), ("Activity", "Activity!A5"), ("Finance", "Finance!A5")],
)
def test_it_rejects_an_unknown_service(tmp_path: Path, sheet: str, cell: str) -> None:
    """It rejects a service code that is not CPMHT, IMH, MNPI or MBU, on every data sheet."""
    issues = issues_of(tmp_path, changed(valid_return(), sheet, 0, 0, "PMHS"))
    assert issues == [
        error("'PMHS' is not a service: use one of CPMHT, IMH, MNPI, MBU.", cell, "PMHS")
    ]


def test_it_rejects_a_row_without_a_service(tmp_path: Path) -> None:
    """It rejects a row of figures whose Service cell is empty."""
    issues = issues_of(tmp_path, changed(valid_return(), "Finance", 1, 0, None))
    assert issues == [
        error(
            "Service is empty: every row needs a service code (CPMHT, IMH, MNPI or MBU).",
            "Finance!A6",
            None,
        )
    ]


def test_it_accepts_a_service_by_its_full_name_in_any_case(tmp_path: Path) -> None:
    """It reads 'community perinatal mental health team' as CPMHT."""
    content = changed(valid_return(), "Finance", 0, 0, "community perinatal mental health team")
    batch = batch_of(tmp_path, content)
    assert batch.issues.get(0, []) == []
    assert batch.sheets["Finance"]["service"].to_list() == ["CPMHT", "IMH", "MBU"]


def test_it_rejects_a_mother_and_baby_unit_from_a_board_without_one(tmp_path: Path) -> None:
    """It rejects MBU rows, on every sheet, from a board that does not host a unit (Fife)."""
    content = valid_return(FIFE)
    content.staffing.append(["MBU", "Midwifery", 3.0, 3.0, None])
    content.activity.append(["MBU", 8, 6, 6, 5, 4, 0, 6, 500, 552])
    content.finance.append(["MBU", 300000, 80000, 310000])
    message = (
        "Fife does not have a Mother and Baby Unit, so it cannot report MBU: only Lothian "
        "and Greater Glasgow and Clyde can."
    )
    assert issues_of(tmp_path, content) == [
        error(message, "Staffing!A8", "MBU"),
        error(message, "Activity!A7", "MBU"),
        error(message, "Finance!A7", "MBU"),
    ]


@pytest.mark.parametrize("board_code", [LOTHIAN, GGC])
def test_it_accepts_a_mother_and_baby_unit_from_a_host_board(
    tmp_path: Path, board_code: str
) -> None:
    """It accepts MBU rows from Lothian (S08000024) and Greater Glasgow and Clyde (S08000031)."""
    content = valid_return(board_code)
    assert [row[0] for row in content.activity] == ["CPMHT", "IMH", "MBU"]
    assert issues_of(tmp_path, content) == []


# --- Staffing ----------------------------------------------------------------------------


def test_it_rejects_an_unknown_staff_group(tmp_path: Path) -> None:
    """It rejects a staff group that is not on the template's list."""
    issues = issues_of(tmp_path, changed(valid_return(), "Staffing", 0, 1, "Surgery"))
    assert issues == [
        error(
            "'Surgery' is not a staff group: use one of Psychiatry, Psychology, Mental Health "
            "Nursing, Midwifery, Occupational Therapy, Nursery Nursing, Social Work, "
            "Parent-Infant Therapy, Child Psychotherapy, Peer Support, Administration, Other.",
            "Staffing!B5",
            "Surgery",
        )
    ]


@pytest.mark.parametrize(
    ("row", "cell", "value", "shown"),
    [
        # Funded WTE, with In post left empty so that no other rule can fire.
        (["CPMHT", "Psychiatry", 200.5, None, None], "Staffing!C5", "200.5", "200.5"),
        (["CPMHT", "Psychiatry", -1, None, None], "Staffing!C5", "-1", "-1"),
        # In post WTE, with Funded left empty.
        (["CPMHT", "Psychiatry", None, 250, None], "Staffing!D5", "250", "250"),
        (["CPMHT", "Psychiatry", None, -0.5, None], "Staffing!D5", "-0.5", "-0.5"),
    ],
)
def test_it_rejects_wte_outside_0_to_200(
    tmp_path: Path, row: Row, cell: str, value: str, shown: str
) -> None:
    """It rejects a Funded or In post WTE below 0 or above 200."""
    content = valid_return()
    content.staffing[0] = row
    header = "Funded WTE" if cell.startswith("Staffing!C") else "In post WTE"
    assert issues_of(tmp_path, content) == [
        error(f"{header} must be between 0 and 200; found {shown}.", cell, value)
    ]


def test_it_accepts_wte_of_exactly_0_and_200(tmp_path: Path) -> None:
    """It accepts the bounds of the WTE range themselves."""
    content = valid_return()
    content.staffing[0] = ["CPMHT", "Psychiatry", 200, 200, 0]
    content.staffing[1] = ["CPMHT", "Mental Health Nursing", 0, 0, 0]
    assert issues_of(tmp_path, content) == []


def test_in_post_above_funded_is_a_warning_only(tmp_path: Path) -> None:
    """It warns, without rejecting, when In post WTE is above Funded WTE."""
    issues = issues_of(tmp_path, changed(valid_return(), "Staffing", 0, 3, 2.5))
    assert issues == [
        warning(
            "In post WTE (2.5) is above Funded WTE (2). Please check it; a warning alone does "
            "not stop a return being accepted.",
            "Staffing!D5",
            "2.5",
        )
    ]
    assert not any(issue.is_error for issue in issues)


@pytest.mark.parametrize(("vacant", "found"), [(0.6, "0.6"), (0.48, "0.48"), (1.5, "1.5")])
def test_it_rejects_a_vacancy_that_is_not_funded_minus_in_post(
    tmp_path: Path, vacant: float, found: str
) -> None:
    """It rejects a Vacant WTE more than 0.01 away from Funded minus In post (2 - 1.5)."""
    issues = issues_of(tmp_path, changed(valid_return(), "Staffing", 0, 4, vacant))
    assert issues == [
        error(
            "Vacant WTE must equal Funded WTE minus In post WTE (or 0 when more are in post): "
            f"expected 0.5, found {found}. Leave it empty to have it worked out for you.",
            "Staffing!E5",
            found,
        )
    ]


def test_it_expects_no_vacancy_when_over_established(tmp_path: Path) -> None:
    """It rejects a negative Vacant WTE where more are in post than funded: max(0, ...) is 0."""
    content = valid_return()
    content.staffing[0] = ["CPMHT", "Psychiatry", 2, 2.5, -0.5]
    issues = issues_of(tmp_path, content)
    assert [(i.severity, i.cell) for i in issues] == [
        ("warning", "Staffing!D5"),
        ("error", "Staffing!E5"),
    ]
    assert "expected 0, found -0.5" in issues[1].message


@pytest.mark.parametrize("vacant", [0.5, 0.51, 0.49, None])
def test_it_accepts_a_vacancy_within_a_hundredth_or_left_empty(
    tmp_path: Path, vacant: float | None
) -> None:
    """It accepts Vacant WTE within 0.01 of Funded minus In post, or an empty Vacant WTE."""
    assert issues_of(tmp_path, changed(valid_return(), "Staffing", 0, 4, vacant)) == []


def test_it_rejects_a_second_row_for_the_same_service_and_staff_group(tmp_path: Path) -> None:
    """It rejects a duplicate (service, staff group) in Staffing at the later row."""
    content = valid_return()
    content.staffing[1] = ["cpmht", "psychiatry", 1, 1, None]
    assert issues_of(tmp_path, content) == [
        error(
            "There is already a row for CPMHT / Psychiatry: give one row per service and "
            "staff group.",
            "Staffing!A6",
            "cpmht",
        )
    ]


@pytest.mark.parametrize("sheet", ["Activity", "Finance"])
def test_it_rejects_a_second_row_for_the_same_service(tmp_path: Path, sheet: str) -> None:
    """It rejects a duplicate service in Activity and in Finance at the later row."""
    issues = issues_of(tmp_path, changed(valid_return(), sheet, 1, 0, "CPMHT"))
    assert issues == [
        error("There is already a row for CPMHT: give one row per service.", f"{sheet}!A6", "CPMHT")
    ]


# --- Activity ----------------------------------------------------------------------------

ACTIVITY_COUNTS = [
    (1, "B", "Referrals received"),
    (2, "C", "Referrals accepted"),
    (3, "D", "First assessments"),
    (4, "E", "Open caseload"),
    (5, "F", "Discharges"),
    (6, "G", "Waiting over 12 weeks"),
    (7, "H", "Admissions"),
    (8, "I", "Occupied bed days"),
    (9, "J", "Available bed days"),
]


@pytest.mark.parametrize(("column", "letter", "header"), ACTIVITY_COUNTS)
@pytest.mark.parametrize(
    ("value", "found", "expectation"),
    [
        (2.5, "2.5", "must be a whole number, 0 or more"),
        (-3, "-3", "must be a whole number, 0 or more"),
        ("ten", "ten", "must be a number"),
    ],
)
def test_it_rejects_a_count_that_is_not_a_whole_number_of_0_or_more(
    tmp_path: Path,
    *,
    column: int,
    letter: str,
    header: str,
    value: Cell,
    found: str,
    expectation: str,
) -> None:
    """It rejects a fraction, a negative or text in every Activity count column."""
    content = valid_return()
    # The MBU row with only the figure under test, so that no comparison rule can fire.
    content.activity[2] = list(EMPTY_MBU_ROW)
    content.activity[2][column] = value
    assert issues_of(tmp_path, content) == [
        error(f"{header} {expectation}; found '{found}'.", f"Activity!{letter}7", found)
    ]


def test_it_rejects_more_referrals_accepted_than_received(tmp_path: Path) -> None:
    """It rejects a return whose accepted referrals exceed received."""
    issues = issues_of(tmp_path, changed(valid_return(), "Activity", 0, 2, 121))
    assert issues == [
        error(
            "Referrals accepted (121) cannot be more than referrals received (120).",
            "Activity!C5",
            "121",
        )
    ]


def test_it_accepts_every_referral_accepted(tmp_path: Path) -> None:
    """It accepts referrals accepted equal to referrals received."""
    assert issues_of(tmp_path, changed(valid_return(), "Activity", 0, 2, 120)) == []


@pytest.mark.parametrize(("column", "letter", "header"), ACTIVITY_COUNTS[6:])
@pytest.mark.parametrize("service", ["CPMHT", "IMH"])
def test_it_rejects_mother_and_baby_unit_figures_for_another_service(
    tmp_path: Path, column: int, letter: str, header: str, service: str
) -> None:
    """It rejects admissions or bed days given for a service other than MBU."""
    row = 0 if service == "CPMHT" else 1
    issues = issues_of(tmp_path, changed(valid_return(), "Activity", row, column, 7))
    assert issues == [
        error(
            f"{header} is reported only for the Mother and Baby Unit (MBU); leave it empty "
            f"for {service}.",
            f"Activity!{letter}{5 + row}",
            "7",
        )
    ]


def test_it_rejects_more_occupied_bed_days_than_available(tmp_path: Path) -> None:
    """It rejects occupied bed days above available bed days."""
    issues = issues_of(tmp_path, changed(valid_return(), "Activity", 2, 8, 553))
    assert issues == [
        error(
            "Occupied bed days (553) cannot be more than available bed days (552).",
            "Activity!I7",
            "553",
        )
    ]


def test_it_accepts_a_unit_full_every_day(tmp_path: Path) -> None:
    """It accepts occupied bed days equal to available bed days."""
    assert issues_of(tmp_path, changed(valid_return(), "Activity", 2, 8, 552)) == []


# --- Finance -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "letter", "header"),
    [(1, "B", "Allocation"), (2, "C", "Spend in quarter"), (3, "D", "Forecast full year")],
)
def test_it_rejects_a_negative_amount(
    tmp_path: Path, column: int, letter: str, header: str
) -> None:
    """It rejects an amount in pounds below 0 in every Finance column."""
    issues = issues_of(tmp_path, changed(valid_return(), "Finance", 1, column, -250.5))
    assert issues == [
        error(
            f"{header} must be an amount in pounds, 0 or more; found '-250.5'.",
            f"Finance!{letter}6",
            "-250.5",
        )
    ]


@pytest.mark.parametrize(
    ("forecast", "found", "shown"),
    [(550_000.01, "550000.01", "£550,000.01"), (900_000, "900000", "£900,000.00")],
)
def test_a_forecast_more_than_10_percent_over_allocation_is_a_warning(
    tmp_path: Path, forecast: float, found: str, shown: str
) -> None:
    """It warns, without rejecting, when the forecast is over 110% of the allocation."""
    issues = issues_of(tmp_path, changed(valid_return(), "Finance", 0, 3, forecast))
    assert issues == [
        warning(
            f"Forecast full year ({shown}) is more than 10% above the allocation "
            "(£500,000.00). Please check it; a warning alone does not stop a return being "
            "accepted.",
            "Finance!D5",
            found,
        )
    ]


def test_a_forecast_exactly_10_percent_over_allocation_passes(tmp_path: Path) -> None:
    """It says nothing about a forecast of exactly 110% of the allocation."""
    assert issues_of(tmp_path, changed(valid_return(), "Finance", 0, 3, 550_000)) == []


# --- Total rows --------------------------------------------------------------------------


def with_total(content: BoardReturnContent, sheet: str, column: int, value: Cell) -> None:
    """Append a correct Total row to `sheet`, then overwrite one of its figures."""
    rows = content.rows(sheet)
    total = total_row(sheet, rows)
    total[column] = value
    rows.append(total)


@pytest.mark.parametrize(
    ("sheet", "column", "typed", "cell", "message"),
    [
        (
            "Staffing",
            2,
            10.02,
            "Staffing!C9",
            "The Total for Funded WTE is 10.02 but the rows above add up to 10.",
        ),
        (
            "Activity",
            1,
            157,
            "Activity!B8",
            "The Total for Referrals received is 157 but the rows above add up to 158.",
        ),
        (
            "Finance",
            3,
            990_000.5,
            "Finance!D8",
            "The Total for Forecast full year is 990,000.5 but the rows above add up to 990,000.",
        ),
    ],
)
def test_it_rejects_a_total_that_does_not_add_up(
    tmp_path: Path, *, sheet: str, column: int, typed: float, cell: str, message: str
) -> None:
    """It rejects a Total figure more than 0.01 from its column's sum, at the Total cell."""
    content = valid_return()
    with_total(content, sheet, column, typed)
    assert issues_of(tmp_path, content) == [error(message, cell, str(typed))]


def test_it_rejects_a_total_that_is_not_a_number(tmp_path: Path) -> None:
    """It rejects a Total cell holding words."""
    content = valid_return()
    with_total(content, "Activity", 4, "see notes")
    assert issues_of(tmp_path, content) == [
        error(
            "The Total for Open caseload must be a number; found 'see notes'.",
            "Activity!E8",
            "see notes",
        )
    ]


@pytest.mark.parametrize("typed", [10.0, 10.01, 9.99, "10", None])
def test_it_accepts_a_total_within_a_hundredth(tmp_path: Path, typed: Cell) -> None:
    """It accepts a Total within 0.01 of its column's sum, or a Total cell left empty."""
    content = valid_return()
    with_total(content, "Staffing", 2, typed)
    assert issues_of(tmp_path, content) == []


def test_a_total_row_is_not_loaded_as_data(tmp_path: Path) -> None:
    """It drops the Total row from the rows it validates and loads."""
    content = valid_return()
    for sheet in ("Staffing", "Activity", "Finance"):
        content.rows(sheet).append(total_row(sheet, content.rows(sheet)))
    batch = batch_of(tmp_path, content)
    assert batch.issues.get(0, []) == []
    assert batch.sheets["Staffing"]["service"].to_list() == ["CPMHT", "CPMHT", "IMH", "MBU"]
    assert batch.sheets["Activity"]["service"].to_list() == ["CPMHT", "IMH", "MBU"]
    assert batch.sheets["Finance"]["allocation_gbp"].sum() == 1_000_000


# --- numbers typed as text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "column", "typed", "cell", "message"),
    [
        ("Staffing", 2, "12 WTE", "Staffing!C5", "Funded WTE must be a number; found '12 WTE'."),
        ("Staffing", 3, "1,2", "Staffing!D5", "In post WTE must be a number; found '1,2'."),
        (
            "Activity",
            3,
            "9O",
            "Activity!D5",
            "First assessments must be a number; found '9O'.",
        ),
        (
            "Finance",
            2,
            "£120.000,00",
            "Finance!C5",
            "Spend in quarter must be a number; found '£120.000,00'.",
        ),
    ],
)
def test_it_rejects_a_number_typed_as_unreadable_text(
    tmp_path: Path, *, sheet: str, column: int, typed: str, cell: str, message: str
) -> None:
    """It rejects text that is no number (a unit, a decimal comma, a letter O), naming the cell."""
    issues = issues_of(tmp_path, changed(valid_return(), sheet, 0, column, typed))
    assert issues == [error(message, cell, typed)]


# --- Cover -------------------------------------------------------------------------------


def test_it_rejects_an_unknown_board_and_suggests_close_names(tmp_path: Path) -> None:
    """It rejects a Cover board that names no board, suggesting the nearest names."""
    content = dataclasses.replace(valid_return(), board_label="NHS Lothain")
    issues = issues_of(tmp_path, content, folder=LOTHIAN)
    assert len(issues) == 1
    (issue,) = issues
    assert (issue.severity, issue.sheet, issue.cell, issue.value) == (
        "error",
        "Cover",
        "Cover!B5",
        "NHS Lothain",
    )
    assert issue.message.startswith("'NHS Lothain' is not an NHS board we recognise.")
    assert "Did you mean Lothian" in issue.message
    assert issue.message.endswith("You may also give the board code.")


def test_it_rejects_a_cover_without_a_board(tmp_path: Path) -> None:
    """It rejects a Cover whose Board cell is empty."""
    content = dataclasses.replace(valid_return(), board_label="")
    assert issues_of(tmp_path, content) == [
        error("The Cover sheet does not say which board this return is from.", "Cover!B5", None)
    ]


@pytest.mark.parametrize(
    "label", ["NHS Lothian", "lothian", "S08000024", "NHS Lothian Health Board"]
)
def test_it_accepts_a_board_by_any_of_its_names_or_its_code(tmp_path: Path, label: str) -> None:
    """It accepts the board written as a name, with NHS, in lower case, or as its code."""
    assert issues_of(tmp_path, dataclasses.replace(valid_return(), board_label=label)) == []


def test_it_rejects_a_return_claiming_another_board_than_its_folder(tmp_path: Path) -> None:
    """It rejects a file in Lothian's folder whose Cover says it is Fife's return."""
    issues = issues_of(tmp_path, valid_return(FIFE), folder=LOTHIAN)
    assert issues == [
        error(
            "This return says it is from Fife but was sent from the folder of Lothian. A board "
            "may send only its own return.",
            "Cover!B5",
            "Fife",
        )
    ]


@pytest.mark.parametrize("year", ["2022-24", "2022/23", "22-23", "2022", "FY2022-23"])
def test_it_rejects_a_malformed_financial_year(tmp_path: Path, year: str) -> None:
    """It rejects a financial year not written like 2022-23 (consecutive years)."""
    data = with_cover(tmp_path, valid_return(), "B6", year)
    assert _validate([(data, LOTHIAN)])[0][0] == [
        error(f"The financial year must be written like 2022-23; found '{year}'.", "Cover!B6", year)
    ]


@pytest.mark.parametrize("quarter", ["Q5", "Q0", "Quarter 1", "April-June"])
def test_it_rejects_an_unknown_quarter(tmp_path: Path, quarter: str) -> None:
    """It rejects a quarter that is not Q1 to Q4."""
    data = with_cover(tmp_path, valid_return(), "B7", quarter)
    assert _validate([(data, LOTHIAN)])[0][0] == [
        error(f"The quarter must be Q1, Q2, Q3 or Q4; found '{quarter}'.", "Cover!B7", quarter)
    ]


@pytest.mark.parametrize(("typed", "quarter"), [("q3", "Q3"), (" Q4 ", "Q4")])
def test_it_accepts_a_quarter_in_any_case(tmp_path: Path, typed: str, quarter: str) -> None:
    """It reads 'q3' as Q3 and ignores spaces around a quarter."""
    data = with_cover(tmp_path, valid_return(), "B7", typed)
    issues, batch = _validate([(data, LOTHIAN)])
    assert issues == [[]]
    assert batch.cover["quarter"].to_list() == [quarter]


# --- all at once ---------------------------------------------------------------------------


def test_it_reports_every_problem_in_a_return_at_once(tmp_path: Path) -> None:
    """It reports all of a return's problems together, across the Cover and every sheet."""
    content = valid_return()
    content = changed(content, "Staffing", 0, 1, "Surgery")
    content = changed(content, "Staffing", 2, 2, 201)
    content = changed(content, "Activity", 0, 2, 121)
    content = changed(content, "Activity", 1, 7, 1)
    content = changed(content, "Finance", 1, 2, -1)
    content = changed(content, "Finance", 2, 3, 400_000)
    data = with_cover(tmp_path, content, "B7", "Q9")
    issues = _validate([(data, LOTHIAN)])[0][0]
    assert sorted((i.severity, i.cell) for i in issues) == [
        ("error", "Activity!C5"),
        ("error", "Activity!H6"),
        ("error", "Cover!B7"),
        ("error", "Finance!C6"),
        ("error", "Staffing!B5"),
        ("error", "Staffing!C7"),
        ("warning", "Finance!D7"),
    ]


def test_it_keeps_each_returns_problems_to_itself_in_a_batch(tmp_path: Path) -> None:
    """It validates many returns at once yet ties every problem to its own return and board."""
    good = _bytes(tmp_path / "good", valid_return(LOTHIAN))
    fife = valid_return(FIFE)
    fife.activity.append(["MBU", 8, 6, 6, 5, 4, 0, 6, 500, 552])
    bad = _bytes(tmp_path / "bad", changed(fife, "Activity", 0, 2, 121))
    issues, _ = _validate([(good, LOTHIAN), (bad, FIFE), (good, LOTHIAN)])
    assert issues[0] == issues[2] == []
    assert sorted((i.severity, i.cell) for i in issues[1]) == [
        ("error", "Activity!A7"),
        ("error", "Activity!C5"),
    ]


def test_each_sheet_model_validates_its_layouts_columns() -> None:
    """It types every layout column as read: the text typed, beside the figure or code."""
    for layout in BQR.sheets:
        schema = SHEET_MODELS[layout.name].to_schema().columns
        for column in layout.figure_columns:
            meaning = "Float64" if column.is_measure else "String"
            assert str(schema[f"{column.key}_text"].dtype) == "String"
            assert str(schema[column.key].dtype) == meaning
            assert schema[column.key].nullable, "an empty cell is not reported"
        assert str(schema["explanation"].dtype) == "String", "free text, kept as typed"
