"""The blank Board Quarterly Return the data team sends to each board."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from domain.reference import BOARDS, MBU_HOST_BOARDS, STAFF_GROUPS
from return_templates import DATA_SHEETS, write_blank_bqr

LOTHIAN, FIFE = "S08000024", "S08000029"


@pytest.fixture(scope="module")
def fife_blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "fife.xlsx"
    write_blank_bqr(path, FIFE, "2022-23", "Q3")
    return path


def _validations(sheet: Worksheet) -> dict[str, DataValidation]:
    """Each data validation by the range it covers, e.g. `A5:A44`."""
    return {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}


def _list_items(validation: DataValidation) -> list[str]:
    assert validation.type == "list"
    return str(validation.formula1).strip('"').split(",")


def test_cover_is_pre_filled_for_the_board_and_quarter(fife_blank: Path) -> None:
    """It names the template, version, board, year and quarter, leaving the contact blank."""
    cover = load_workbook(fife_blank)["Cover"]
    values = {row[0]: row[1] for row in cover.iter_rows(min_row=3, values_only=True) if row[0]}
    assert values == {
        "Template": "PIMH Board Quarterly Return",
        "Template version": "1",
        "Board": "Fife",
        "Financial year": "2022-23",
        "Quarter": "Q3",
        "Completed by": None,
        "Email": None,
    }


def test_data_sheets_have_the_contract_headers_on_row_4(fife_blank: Path) -> None:
    """It puts each sheet's headers, in the contract's order, on row 4 below a title."""
    workbook = load_workbook(fife_blank)
    assert workbook.sheetnames == ["Cover", "Staffing", "Activity", "Finance"]
    assert [c.header for c in DATA_SHEETS["Staffing"]] == [
        "Service", "Staff group", "Funded WTE", "In post WTE", "Vacant WTE", "Explanation",
    ]  # fmt: skip
    assert [c.header for c in DATA_SHEETS["Finance"]] == [
        "Service", "Allocation", "Spend in quarter", "Forecast full year", "Explanation",
    ]  # fmt: skip
    for name, columns in DATA_SHEETS.items():
        sheet = workbook[name]
        assert sheet["A1"].value, "a title row"
        assert sheet["A2"].value, "a guidance row"
        assert [cell.value for cell in sheet[4]] == [c.header for c in columns]
        assert all(cell.value is None for row in sheet.iter_rows(min_row=5) for cell in row)


@pytest.mark.parametrize("board_code", sorted(BOARDS))
def test_service_dropdown_offers_mbu_only_to_the_two_host_boards(
    tmp_path: Path, board_code: str
) -> None:
    """It offers MBU only to Lothian and Greater Glasgow and Clyde, on every data sheet."""
    path = tmp_path / "blank.xlsx"
    write_blank_bqr(path, board_code, "2023-24", "Q1")
    expected = ["CPMHT", "IMH", "MNPI"] + (["MBU"] if board_code in MBU_HOST_BOARDS else [])
    workbook = load_workbook(path)
    for name, rows in (("Staffing", "A5:A44"), ("Activity", "A5:A8"), ("Finance", "A5:A8")):
        assert _list_items(_validations(workbook[name])[rows]) == expected


def test_staff_group_dropdown_lists_the_twelve_groups(fife_blank: Path) -> None:
    """It offers exactly the contract's staff groups on all 40 Staffing input rows."""
    validation = _validations(load_workbook(fife_blank)["Staffing"])["B5:B44"]
    assert _list_items(validation) == list(STAFF_GROUPS)


def test_numbers_are_limited_to_what_the_contract_allows(fife_blank: Path) -> None:
    """It limits WTE to 0..200, counts to whole numbers >= 0 and pounds to >= 0."""
    workbook = load_workbook(fife_blank)
    staffing = _validations(workbook["Staffing"])
    for rows in ("C5:C44", "D5:D44", "E5:E44"):
        wte = staffing[rows]
        assert (wte.type, wte.formula1, wte.formula2) == ("decimal", "0", "200")
        assert wte.operator in {None, "between"}
    activity = _validations(workbook["Activity"])
    for letter in "BCDEFGHIJ":
        count = activity[f"{letter}5:{letter}8"]
        assert (count.type, count.operator, count.formula1) == ("whole", "greaterThanOrEqual", "0")
    finance = _validations(workbook["Finance"])
    for letter in "BCD":
        pounds = finance[f"{letter}5:{letter}8"]
        assert (pounds.type, pounds.operator, pounds.formula1) == (
            "decimal",
            "greaterThanOrEqual",
            "0",
        )


def test_header_cells_explain_what_to_enter(fife_blank: Path) -> None:
    """It shows an input message on every header cell saying what the column wants."""
    workbook = load_workbook(fife_blank)
    for name, columns in DATA_SHEETS.items():
        validations = _validations(workbook[name])
        for index, column in enumerate(columns):
            header = validations[f"{'ABCDEFGHIJK'[index]}4"]
            assert header.showInputMessage
            assert header.promptTitle == column.header
            assert header.prompt == column.help
            assert len(header.prompt) <= 255
    assert "bed days" in _validations(workbook["Activity"])["I4"].prompt.lower()


def test_same_request_writes_the_same_bytes(tmp_path: Path) -> None:
    """It writes identical bytes for the same board and quarter, so resends are recognisable."""
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_blank_bqr(first, LOTHIAN, "2022-23", "Q1")
    write_blank_bqr(second, LOTHIAN, "2022-23", "Q1")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("board_code", "financial_year", "quarter", "complaint"),
    [
        ("S08000099", "2022-23", "Q1", "not a territorial board code"),
        ("Lothian", "2022-23", "Q1", "not a territorial board code"),
        (LOTHIAN, "2022-24", "Q1", "not a financial year"),
        (LOTHIAN, "2022/23", "Q1", "not a financial year"),
        (LOTHIAN, "2022-23", "Q5", "not a quarter"),
        (LOTHIAN, "2022-23", "q1", "not a quarter"),
    ],
)
def test_it_refuses_a_board_or_period_that_does_not_exist(
    tmp_path: Path, board_code: str, financial_year: str, quarter: str, complaint: str
) -> None:
    """It raises ValueError in plain English, and writes nothing, for a bad board or period."""
    path = tmp_path / "blank.xlsx"
    with pytest.raises(ValueError, match=complaint):
        write_blank_bqr(path, board_code, financial_year, quarter)
    assert not path.exists()


def test_no_command_but_template_loads_the_workbook_writer() -> None:
    """Every `pimh` command loads the command line's modules; xlsxwriter (42 modules, about
    2 MB) is loaded only by what writes a workbook, so an ingest's process goes without."""
    import subprocess
    import sys

    script = (
        "import sys, pimh.cli, flows.ingest; print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "'flows'" in loaded
    assert "'xlsxwriter'" not in loaded
