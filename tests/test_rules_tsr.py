"""Every rule of the Third Sector Return (SPEC.md, TSR v1), one broken at a time.

Each test writes a real workbook, reads it as intake does and validates it against a
register, then checks the severity, the cell as Excel shows it, the value and the words.
The starting point is `valid_tsr`: SC012345, Main Grants, £58,000, serving Lothian and
Greater Glasgow and Clyde; Activity rows 5-6, Outcomes rows 5-9, Finance row 5. The Cover
has its labels in column A from row 3, so the charity number is B5, the fund B7.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from connectors.workbook import extract_workbook
from domain.issues import Issue
from domain.layouts import TSR
from domain.register import empty_register
from samples.board_returns import Quirks
from samples.third_sector_returns import ThirdSectorReturnContent
from schemas.batch import ReturnInput, ValidatedBatch
from schemas.tsr import TSR_SHEET_MODELS
from schemas.validate_batch import RETURN_LAYOUTS
from schemas.validate_tsr import validate_third_sector_returns
from tests.tsr_builders import (
    CHARITY,
    GGC,
    LOTHIAN,
    changed_tsr,
    register_frame,
    valid_tsr,
    write_tsr,
)
from transforms.tsr_facts import third_sector_facts

MAX_BYTES, MAX_EXPANDED = 20_000_000, 200_000_000


def _validate(
    data: bytes, folder: str | None, register: pl.DataFrame
) -> tuple[list[Issue], ValidatedBatch]:
    content = extract_workbook(data, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED)
    assert content.readable, content.issues
    batch = validate_third_sector_returns([ReturnInput(folder, content)], register)
    return [*content.issues, *batch.issues.get(0, [])], batch


def issues_of(
    tmp_path: Path,
    content: ThirdSectorReturnContent,
    *,
    folder: str | None = CHARITY,
    register: pl.DataFrame | None = None,
    quirks: Quirks | None = None,
) -> list[Issue]:
    path = write_tsr(tmp_path / "return.xlsx", content, *([quirks] if quirks else []))
    register = register if register is not None else register_frame()
    return _validate(path.read_bytes(), folder, register)[0]


def with_cover(
    tmp_path: Path, content: ThirdSectorReturnContent, cell: str, value: object
) -> bytes:
    data = write_tsr(tmp_path / "return.xlsx", content).read_bytes()
    workbook = load_workbook(io.BytesIO(data))
    workbook["Cover"][cell] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error(message: str, cell: str, value: str | None) -> Issue:
    return Issue("error", message, sheet=cell.split("!", maxsplit=1)[0], cell=cell, value=value)


def warning(message: str, cell: str, value: str | None) -> Issue:
    return Issue("warning", message, sheet=cell.split("!", maxsplit=1)[0], cell=cell, value=value)


# --- a clean return ----------------------------------------------------------------------


def test_a_return_with_no_problems_has_no_issues_and_gives_fact_rows(tmp_path: Path) -> None:
    """It reports nothing for a return keeping every rule, and stages its figures."""
    path = write_tsr(tmp_path / "r.xlsx", valid_tsr())
    issues, batch = _validate(path.read_bytes(), CHARITY, register_frame())
    assert issues == []
    facts = third_sector_facts(batch, [0])
    assert facts["fact_ts_activity"].select(
        "charity_number", "fund", "board_code", "support_type", "mothers", "other_carers"
    ).rows() == [
        (CHARITY, "MAIN", LOTHIAN, "Peer support", 10, 0),
        (CHARITY, "MAIN", GGC, "Counselling", 4, 2),
    ]
    assert facts["fact_ts_outcome"]["outcome"].to_list()[0] == "LESS_ISOLATED"
    assert facts["fact_ts_finance"].select(
        "grant_awarded_gbp", "spend_gbp", "source_row"
    ).rows() == [(58000.0, 14000.5, 5)]


@pytest.mark.parametrize(
    "quirks",
    [
        Quirks(header_style="snake_case"),
        Quirks(title_rows=0, sheet_names="upper_case", numbers_as_text=True),
        Quirks(blank_rows_between=True, total_row=True),
        Quirks(start_column=1, header_style="units_in_brackets"),
    ],
)
def test_the_reading_quirks_of_spec_are_forgiven(tmp_path: Path, quirks: Quirks) -> None:
    """The reading rules of SPEC.md apply to third-sector returns as they do to boards'."""
    assert issues_of(tmp_path, valid_tsr(), quirks=quirks) == []


@pytest.mark.parametrize("written", ["Lothian", "nhs lothian", "S08000024", " NHS Lothian. "])
def test_board_areas_are_matched_forgivingly(tmp_path: Path, written: str) -> None:
    content = changed_tsr(valid_tsr(), "Activity", 0, 0, written)
    path = write_tsr(tmp_path / "r.xlsx", content)
    issues, batch = _validate(path.read_bytes(), CHARITY, register_frame())
    assert issues == []
    assert batch.sheets["Activity"]["board_area"].to_list() == [LOTHIAN, GGC]


# --- Activity ----------------------------------------------------------------------------


def test_it_rejects_an_unknown_board_area_and_suggests_the_closest(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Activity", 0, 0, "Lothain"))
    assert issues == [
        error(
            "'Lothain' is not an NHS board area we recognise. Did you mean Lothian or Tayside or "
            "Forth Valley? You may "
            "also give the board code.",
            "Activity!A5",
            "Lothain",
        )
    ]


def test_a_board_area_the_register_does_not_list_is_a_warning(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Activity", 1, 0, "Fife"))
    assert issues == [
        warning(
            "Fife is not one of the board areas the register lists for your organisation. "
            "Please check it; a warning alone does not stop a return being accepted.",
            "Activity!A6",
            "Fife",
        )
    ]


def test_it_rejects_an_unknown_support_type(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Activity", 0, 1, "Befriending"))
    assert issues == [
        error(
            "'Befriending' is not a support type: use one of Peer support, Parenting support, "
            "Counselling, Other.",
            "Activity!B5",
            "Befriending",
        )
    ]


@pytest.mark.parametrize(
    ("column", "value", "letter", "message"),
    [
        (
            2,
            2.5,
            "C",
            "Mothers and birthing parents must be a whole number, 0 or more; found '2.5'.",
        ),
        (3, -1, "D", "Fathers and partners must be a whole number, 0 or more; found '-1'."),
        (4, "lots", "E", "Infants must be a number; found 'lots'."),
    ],
)
def test_people_are_whole_numbers_not_negative(
    tmp_path: Path, column: int, value: object, letter: str, message: str
) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Activity", 0, column, value))
    assert issues == [error(message, f"Activity!{letter}5", str(value))]


def test_it_rejects_a_second_row_for_the_same_area_and_support_type(tmp_path: Path) -> None:
    content = valid_tsr()
    content.activity.append(["Lothian", "peer support", 1, 0, 1, 0])
    issues = issues_of(tmp_path, content)
    assert issues == [
        error(
            "There is already a row for Lothian / Peer support: give one row per board area "
            "and support type.",
            "Activity!A7",
            "Lothian",
        )
    ]


def test_a_total_row_that_does_not_add_up_is_an_error(tmp_path: Path) -> None:
    content = valid_tsr()
    content.activity.append(["Total", None, 14, 4, 17, 2])  # mothers really add up to 14
    content.activity[-1][4] = 99
    issues = issues_of(tmp_path, content)
    assert issues == [
        error("The Total for Infants is 99 but the rows above add up to 17.", "Activity!E7", "99")
    ]


# --- Outcomes ----------------------------------------------------------------------------


def test_it_rejects_an_unknown_outcome(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Outcomes", 0, 0, "HAPPIER"))
    assert issues == [
        error(
            "'HAPPIER' is not an outcome code: use one of LESS_ISOLATED, MEET_INFANT_NEEDS, "
            "WARM_RELATIONSHIP, SUPPORT_AT_RISK, WELLBEING.",
            "Outcomes!A5",
            "HAPPIER",
        )
    ]


def test_an_outcome_may_be_written_in_words(tmp_path: Path) -> None:
    content = changed_tsr(valid_tsr(), "Outcomes", 0, 0, "Less isolated")
    assert issues_of(tmp_path, content) == []


def test_improvement_above_respondents_is_an_error(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Outcomes", 2, 2, 11))
    assert issues == [
        error(
            "Reporting improvement (11) cannot be more than Respondents (10).",
            "Outcomes!C7",
            "11",
        )
    ]


def test_it_rejects_a_second_row_for_an_outcome(tmp_path: Path) -> None:
    content = valid_tsr()
    content.outcomes.append(["WELLBEING", 3, 1])
    issues = issues_of(tmp_path, content)
    assert issues == [
        error(
            "There is already a row for WELLBEING: give one row per outcome.",
            "Outcomes!A10",
            "WELLBEING",
        )
    ]


# --- Finance -----------------------------------------------------------------------------


def test_a_grant_differing_from_the_register_is_a_warning(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Finance", 0, 0, 60000))
    assert issues == [
        warning(
            "Grant awarded (£60,000.00) differs from the award on the register of funded "
            "organisations (£58,000.00). Please check it; a warning alone does not stop a "
            "return being accepted.",
            "Finance!A5",
            "60000",
        )
    ]


def test_negative_spend_is_an_error(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, changed_tsr(valid_tsr(), "Finance", 0, 1, -5))
    assert issues == [
        error(
            "Spend in quarter must be an amount in pounds, 0 or more; found '-5'.",
            "Finance!B5",
            "-5",
        )
    ]


def test_the_finance_table_has_exactly_one_row(tmp_path: Path) -> None:
    two = valid_tsr()
    two.finance.append([58000, 100])
    assert issues_of(tmp_path, two) == [
        error(
            "The Finance sheet has one row of figures; this is an extra row. Put the "
            "quarter's grant and spend on one row.",
            "Finance!A6",
            "58000",
        )
    ]
    none = valid_tsr()
    none.finance.clear()
    assert issues_of(tmp_path, none) == [
        Issue(
            "error",
            "The Finance sheet has no figures: give the grant awarded and the spend in the "
            "quarter.",
            sheet="Finance",
            cell="Finance",
        )
    ]


# --- Cover and the register --------------------------------------------------------------


def test_it_rejects_a_malformed_charity_number(tmp_path: Path) -> None:
    data = with_cover(tmp_path, valid_tsr(), "B5", "SC12345")
    issues, _ = _validate(data, CHARITY, register_frame())
    assert issues == [
        error(
            "'SC12345' is not a Scottish charity number: SC followed by six digits, e.g. SC012345.",
            "Cover!B5",
            "SC12345",
        )
    ]


def test_a_charity_number_is_read_forgivingly(tmp_path: Path) -> None:
    data = with_cover(tmp_path, valid_tsr(), "B5", " sc012345 ")
    assert _validate(data, CHARITY, register_frame())[0] == []


def test_a_return_claiming_another_organisation_is_rejected(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, valid_tsr(), folder="SC999999")
    assert issues == [
        error(
            "This return says it is from SC012345 but was sent from the folder of SC999999. "
            "An organisation may send only its own return.",
            "Cover!B5",
            CHARITY,
        )
    ]


def test_a_charity_not_on_the_register_is_rejected(tmp_path: Path) -> None:
    register = register_frame({"charity_number": "SC000001"})
    issues = issues_of(tmp_path, valid_tsr(), register=register)
    assert issues == [
        error(
            "SC012345 is not on the register of funded organisations for 2022-23 Q1. Check "
            "the charity number; if it is right, contact the PIMH data team.",
            "Cover!B5",
            CHARITY,
        )
    ]


def test_with_no_register_loaded_the_message_says_so(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, valid_tsr(), register=empty_register())
    assert [i.message for i in issues] == [
        "No register of funded organisations is loaded for 2022-23 Q1, so SC012345 cannot be "
        "checked. The PIMH data team has been told; please send the return again once they "
        "confirm."
    ]


def test_an_unknown_fund_is_rejected(tmp_path: Path) -> None:
    data = with_cover(tmp_path, valid_tsr(), "B7", "Big Grants")
    issues, _ = _validate(data, CHARITY, register_frame())
    assert issues == [
        error(
            "The fund must be Main Grants or Small Grants; found 'Big Grants'.",
            "Cover!B7",
            "Big Grants",
        )
    ]


def test_a_fund_differing_from_the_register_is_rejected(tmp_path: Path) -> None:
    issues = issues_of(tmp_path, valid_tsr(), register=register_frame({"fund": "SMALL"}))
    assert issues == [
        error(
            "The Cover says Main Grants but the register of funded organisations has SC012345 "
            "under Small Grants.",
            "Cover!B7",
            "Main Grants",
        )
    ]


def test_a_quarter_is_checked_against_the_register_in_force_for_it(tmp_path: Path) -> None:
    """Version 1 (since ever) has the charity under Small Grants; version 2, in force from
    2023-24 Q1, moves it to Main Grants. A 2022-23 return is judged by version 1 and a
    2023-24 return by version 2, whatever order they were loaded in."""
    register = register_frame(
        {"version_id": 2, "in_force_from": dt.date(2023, 4, 1)},
        {"version_id": 1, "fund": "SMALL", "award_gbp": 11500.0},
    )
    old = issues_of(tmp_path, valid_tsr(year="2022-23"), register=register)
    assert [(i.cell, i.severity) for i in old] == [("Cover!B7", "error"), ("Finance!A5", "warning")]
    assert issues_of(tmp_path, valid_tsr(year="2023-24"), register=register) == []


def test_all_problems_of_a_batch_are_found_in_one_pass(tmp_path: Path) -> None:
    """Several returns validate together; each gets its own problems back."""
    good = write_tsr(tmp_path / "a.xlsx", valid_tsr()).read_bytes()
    bad = write_tsr(
        tmp_path / "b.xlsx", changed_tsr(valid_tsr("SC000002"), "Outcomes", 0, 2, 99)
    ).read_bytes()
    register = register_frame({}, {"charity_number": "SC000002"})
    contents = [extract_workbook(d, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED) for d in (good, bad)]
    batch = validate_third_sector_returns(
        [ReturnInput(CHARITY, contents[0]), ReturnInput("SC000002", contents[1])], register
    )
    assert batch.issues.get(0, []) == []
    assert [i.cell for i in batch.issues[1]] == ["Outcomes!C5"]


def test_each_sheet_model_validates_its_layouts_columns() -> None:
    """It types every layout column as read: the text typed, beside the figure or code."""
    for layout in TSR.sheets:
        schema = TSR_SHEET_MODELS[layout.name].to_schema().columns
        for column in layout.figure_columns:
            meaning = "Float64" if column.is_measure else "String"
            assert str(schema[f"{column.key}_text"].dtype) == "String"
            assert str(schema[column.key].dtype) == meaning
            assert schema[column.key].nullable, "an empty cell is not reported"
        assert str(schema["explanation"].dtype) == "String", "free text, kept as typed"
