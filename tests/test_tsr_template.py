"""The blank Third Sector Return, and `pimh template tsr` filling it from the register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import insert
from typer.testing import CliRunner, Result

from connectors.workbook import extract_workbook
from domain.layouts import TSR, TSR_ACTIVITY, TSR_COVER, TSR_FINANCE, TSR_OUTCOMES
from domain.reference import BOARDS, OUTCOMES, SUPPORT_TYPES, TSR_TEMPLATE_NAME
from domain.workbook import SHEET_ROW
from pimh.cli import app
from return_templates.tsr import DATA_SHEETS, write_blank_tsr
from warehouse.engine import open_warehouse
from warehouse.migrate import upgrade
from warehouse.tables import register_board_area, register_entry, register_version

CHARITY = "SC012345"
LOTHIAN, FIFE = "S08000024", "S08000029"
LIMIT = 50_000_000


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank") / "tsr.xlsx"
    write_blank_tsr(path, CHARITY, "2022-23", "Q3")
    return path


def _validations(sheet: Worksheet) -> dict[str, DataValidation]:
    """Each data validation by the range it covers, e.g. `A5:A60`."""
    return {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}


def _list_items(validation: DataValidation) -> list[str]:
    assert validation.type == "list"
    return str(validation.formula1).strip('"').split(",")


def _cover(path: Path) -> dict[str, object]:
    cover = load_workbook(path)["Cover"]
    return {row[0]: row[1] for row in cover.iter_rows(min_row=3, values_only=True) if row[0]}


def test_cover_names_the_charity_and_period_and_leaves_the_rest(blank: Path) -> None:
    """Without register details it leaves Organisation, Fund and the contact to fill in."""
    assert _cover(blank) == {
        "Template": "PIMH Third Sector Return",
        "Template version": "1",
        "Charity number": CHARITY,
        "Organisation": None,
        "Fund": None,
        "Financial year": "2022-23",
        "Quarter": "Q3",
        "Completed by": None,
        "Email": None,
    }
    assert list(_cover(blank)) == list(TSR_COVER.values())


@pytest.mark.parametrize("fund", ["SMALL", "Small Grants"])
def test_cover_takes_organisation_and_fund_when_known(tmp_path: Path, fund: str) -> None:
    """It writes the organisation and the fund's name, given the register code or the name."""
    path = tmp_path / "tsr.xlsx"
    write_blank_tsr(path, CHARITY, "2022-23", "Q1", organisation="Small Steps", fund=fund)
    cover = _cover(path)
    assert (cover["Organisation"], cover["Fund"]) == ("Small Steps", "Small Grants")
    assert load_workbook(path)["Activity"]["A1"].value == "Activity: Small Steps, 2022-23 Q1"


def test_fund_is_a_dropdown_of_the_two_streams(blank: Path) -> None:
    """It offers Main Grants and Small Grants on the Cover's Fund cell, and explains it."""
    cover = load_workbook(blank)["Cover"]
    assert cover["A7"].value == "Fund"
    validation = _validations(cover)["B7"]
    assert _list_items(validation) == ["Main Grants", "Small Grants"]
    assert validation.showErrorMessage
    assert validation.prompt


def test_data_sheets_have_the_layouts_headers_on_row_4(blank: Path) -> None:
    """It prints each sheet's headers as the reader's layout does, below a title and guidance."""
    workbook = load_workbook(blank)
    assert workbook.sheetnames == ["Cover", "Activity", "Outcomes", "Finance"]
    for layout in (TSR_ACTIVITY, TSR_OUTCOMES, TSR_FINANCE):
        sheet = workbook[layout.name]
        assert sheet["A1"].value, "a title row"
        assert sheet["A2"].value, "a guidance row"
        headers = [c.printed for c in layout.columns]
        assert [cell.value for cell in sheet[4]][: len(headers)] == headers
        assert [c.header for c in DATA_SHEETS[layout.name]] == headers


def test_dropdowns_offer_board_areas_support_types_and_outcomes(blank: Path) -> None:
    """It lists the 14 boards, the four support types and the five outcome codes."""
    workbook = load_workbook(blank)
    activity = _validations(workbook["Activity"])
    assert sorted(_list_items(activity["A5:A60"])) == sorted(BOARDS.values())
    assert _list_items(activity["B5:B60"]) == list(SUPPORT_TYPES)
    outcomes = _validations(workbook["Outcomes"])
    assert _list_items(outcomes["A5:A9"]) == list(OUTCOMES)


def test_outcomes_come_prefilled_one_code_per_row(blank: Path) -> None:
    """It puts the five outcome codes in A5:A9, figures empty, and says what each means."""
    sheet = load_workbook(blank)["Outcomes"]
    assert [sheet.cell(row, 1).value for row in range(5, 10)] == list(OUTCOMES)
    assert all(sheet.cell(row, col).value is None for row in range(5, 10) for col in (2, 3))
    key = " ".join(str(cell.value) for cell in sheet["F"] if cell.value)
    assert all(code in key for code in OUTCOMES)
    assert "parental wellbeing" in key


def test_numbers_are_limited_to_what_the_contract_allows(blank: Path) -> None:
    """It takes whole numbers >= 0 for people and amounts >= 0 for pounds."""
    workbook = load_workbook(blank)
    for sheet, ranges in (
        ("Activity", ["C5:C60", "D5:D60", "E5:E60", "F5:F60"]),
        ("Outcomes", ["B5:B9", "C5:C9"]),
    ):
        validations = _validations(workbook[sheet])
        for cells in ranges:
            count = validations[cells]
            assert (count.type, count.operator, count.formula1) == (
                "whole",
                "greaterThanOrEqual",
                "0",
            )
            assert count.showErrorMessage
    finance = _validations(workbook["Finance"])
    for cell in ("A5", "B5"):
        pounds = finance[cell]
        assert (pounds.type, pounds.operator, pounds.formula1) == (
            "decimal",
            "greaterThanOrEqual",
            "0",
        )


def test_header_cells_explain_what_to_enter(blank: Path) -> None:
    """It shows an input message on every header cell saying what the column wants."""
    workbook = load_workbook(blank)
    for name, columns in DATA_SHEETS.items():
        validations = _validations(workbook[name])
        for index, column in enumerate(columns):
            header = validations[f"{'ABCDEFG'[index]}4"]
            assert header.showInputMessage
            assert header.promptTitle == column.header[:32]
            assert header.prompt == column.help
            assert len(header.prompt) <= 255


def test_a_filled_in_blank_reads_back(tmp_path: Path) -> None:
    """A blank filled in by hand (names, codes, numbers) reads without a problem."""
    path = tmp_path / "filled.xlsx"
    write_blank_tsr(path, CHARITY, "2022-23", "Q1", organisation="Small Steps", fund="MAIN")
    workbook = load_workbook(path)
    cover = workbook["Cover"]
    cover["B10"], cover["B11"] = "Morag Reid", "morag@smallsteps.org.uk"
    activity = [
        ["Lothian", "Peer support", 12, 3, 10, 0],
        ["Fife", "Counselling", 7, 0, 7, 1],
        [LOTHIAN, "Parenting support", 5, 2, None, 0],
    ]
    for offset, row in enumerate(activity):
        for column, value in enumerate(row, start=1):
            workbook["Activity"].cell(5 + offset, column).value = value
    for offset, (respondents, improved) in enumerate([(20, 15), (18, 12), (0, 0), (9, 4)]):
        workbook["Outcomes"].cell(5 + offset, 2).value = respondents
        workbook["Outcomes"].cell(5 + offset, 3).value = improved
    workbook["Finance"]["A5"], workbook["Finance"]["B5"] = 60000, 14250.5
    workbook.save(path)

    read = extract_workbook(path.read_bytes(), {TSR_TEMPLATE_NAME: TSR}, LIMIT, LIMIT)

    assert read.issues == []
    assert {key: field.value for key, field in read.cover.items()} == {
        "template": TSR_TEMPLATE_NAME,
        "template_version": "1",
        "charity_number": CHARITY,
        "organisation": "Small Steps",
        "fund": "Main Grants",
        "financial_year": "2022-23",
        "quarter": "Q1",
        "completed_by": "Morag Reid",
        "email": "morag@smallsteps.org.uk",
    }
    assert read.sheets["Activity"].frame.rows() == [
        (5, "Lothian", "Peer support", "12", "3", "10", "0", None),
        (6, "Fife", "Counselling", "7", "0", "7", "1", None),
        (7, LOTHIAN, "Parenting support", "5", "2", None, "0", None),
    ]
    assert read.sheets["Outcomes"].frame.rows() == [
        (5, "LESS_ISOLATED", "20", "15", None),
        (6, "MEET_INFANT_NEEDS", "18", "12", None),
        (7, "WARM_RELATIONSHIP", "0", "0", None),
        (8, "SUPPORT_AT_RISK", "9", "4", None),
        (9, "WELLBEING", None, None, None),
    ]
    assert read.sheets["Finance"].frame.drop(SHEET_ROW).rows() == [("60000", "14250.5", None)]
    assert read.sheets["Outcomes"].letters == {
        "outcome": "A",
        "respondents": "B",
        "reporting_improvement": "C",
        "explanation": "D",
    }


def test_same_request_writes_the_same_bytes(tmp_path: Path) -> None:
    """It writes identical bytes for the same charity and quarter, so resends are recognisable."""
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_blank_tsr(first, CHARITY, "2022-23", "Q1", "Small Steps", "MAIN")
    write_blank_tsr(second, CHARITY, "2022-23", "Q1", "Small Steps", "MAIN")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    ("details", "complaint"),
    [
        (("SC12345", "2022-23", "Q1", None), "not a Scottish charity number"),
        (("sc012345", "2022-23", "Q1", None), "not a Scottish charity number"),
        (("SC0123456", "2022-23", "Q1", None), "not a Scottish charity number"),
        (("SC012345\n", "2022-23", "Q1", None), "not a Scottish charity number"),
        ((CHARITY, "2022-24", "Q1", None), "not a financial year"),
        ((CHARITY, "2022/23", "Q1", None), "not a financial year"),
        ((CHARITY, "2022-23", "Q5", None), "not a quarter"),
        ((CHARITY, "2022-23", "q1", None), "not a quarter"),
        ((CHARITY, "2022-23", "Q1", "BIG"), "not a fund"),
    ],
)
def test_it_refuses_a_charity_period_or_fund_that_does_not_exist(
    tmp_path: Path, details: tuple[str, str, str, str | None], complaint: str
) -> None:
    """It raises ValueError in plain English, and writes nothing, for bad details."""
    charity, financial_year, quarter, fund = details
    path = tmp_path / "blank.xlsx"
    with pytest.raises(ValueError, match=complaint):
        write_blank_tsr(path, charity, financial_year, quarter, fund=fund)
    assert not path.exists()


# --- `pimh template tsr` -----------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of its own, so the default SQLite warehouse would land there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIMH_WAREHOUSE_URL", raising=False)
    return tmp_path


def _register(url: str, in_force_from: dt.date, name: str, fund: str) -> None:
    """One register version holding one charity, written as the register loader would."""
    engine = open_warehouse(url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            version = connection.execute(
                insert(register_version).returning(register_version.c.version_id),
                {
                    "loaded_at": dt.datetime(2022, 3, 1, tzinfo=dt.UTC),
                    "in_force_from": in_force_from,
                    "source_name": "register.csv",
                    "sha256": "0" * 64,
                    "entry_count": 1,
                },
            ).scalar_one()
            connection.execute(
                insert(register_entry),
                {
                    "version_id": version,
                    "charity_number": CHARITY,
                    "name": name,
                    "fund": fund,
                    "award_gbp": 9000.0,
                    "source_line": 2,
                },
            )
            connection.execute(
                insert(register_board_area),
                [
                    {"version_id": version, "charity_number": CHARITY, "board_code": code}
                    for code in (LOTHIAN, FIFE)
                ],
            )
    finally:
        engine.dispose()


def _template(output: Path, *extra: str, year: str = "2022-23", charity: str = CHARITY) -> Result:
    args = ["template", "tsr", "--charity", charity, "--year", year, "--quarter", "Q1"]
    return CliRunner().invoke(app, [*args, "-o", str(output), *extra], env={"COLUMNS": "200"})


def test_cli_fills_organisation_and_fund_from_the_register(workdir: Path) -> None:
    """It writes the register's name and fund on the Cover when the charity is on it."""
    url = f"sqlite:///{workdir / 'warehouse.db'}"
    _register(url, dt.date(2022, 4, 1), "Small Steps Fife", "SMALL")
    output = workdir / "blank.xlsx"

    result = _template(output, "--warehouse", url)

    assert result.exit_code == 0, result.output
    cover = _cover(output)
    assert (cover["Organisation"], cover["Fund"]) == ("Small Steps Fife", "Small Grants")
    assert cover["Charity number"] == CHARITY
    assert "Small Steps Fife" in result.output


def test_cli_reads_the_default_warehouse_from_the_environment(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `--warehouse` it asks the warehouse PIMH_WAREHOUSE_URL names."""
    url = f"sqlite:///{workdir / 'elsewhere.db'}"
    _register(url, dt.date(2022, 4, 1), "Small Steps Fife", "MAIN")
    monkeypatch.setenv("PIMH_WAREHOUSE_URL", url)
    output = workdir / "blank.xlsx"

    result = _template(output)

    assert result.exit_code == 0, result.output
    assert _cover(output)["Fund"] == "Main Grants"


def test_cli_leaves_them_blank_when_not_on_the_register_for_that_quarter(workdir: Path) -> None:
    """A register version in force only from a later year does not fill an earlier quarter."""
    url = f"sqlite:///{workdir / 'warehouse.db'}"
    _register(url, dt.date(2023, 4, 1), "Small Steps Fife", "SMALL")

    earlier = _template(workdir / "2022.xlsx", "--warehouse", url)
    later = _template(workdir / "2023.xlsx", "--warehouse", url, year="2023-24")

    assert earlier.exit_code == 0, earlier.output
    assert (
        _cover(workdir / "2022.xlsx")["Organisation"],
        _cover(workdir / "2022.xlsx")["Fund"],
    ) == (
        None,
        None,
    )
    assert "left for the charity to fill in" in " ".join(earlier.output.split())
    assert later.exit_code == 0, later.output
    assert _cover(workdir / "2023.xlsx")["Organisation"] == "Small Steps Fife"


@pytest.mark.parametrize(
    "warehouse",
    [
        None,  # the default SQLite file, which does not exist yet
        "postgresql+psycopg://postgres@127.0.0.1:1/x",  # nothing listens on port 1
        "nonsense://",
    ],
)
def test_cli_writes_the_blank_when_there_is_no_register_to_read(
    workdir: Path, warehouse: str | None
) -> None:
    """It writes the blank without Organisation and Fund, and creates no warehouse."""
    output = workdir / "blank.xlsx"

    result = _template(output, *(["--warehouse", warehouse] if warehouse else []))

    assert result.exit_code == 0, result.output
    assert _cover(output)["Organisation"] is None
    assert not (workdir / "pimh.db").exists()
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("charity", "year", "words"),
    [
        ("SC12345", "2022-23", "'SC12345' is not a Scottish charity number"),
        ("Lothian", "2022-23", "'Lothian' is not a Scottish charity number"),
        (CHARITY, "2022-24", "'2022-24' is not a financial year"),
    ],
)
def test_cli_refuses_a_bad_charity_or_period(
    workdir: Path, charity: str, year: str, words: str
) -> None:
    """It exits 2 with a plain message, no traceback, and writes nothing."""
    output = workdir / "blank.xlsx"

    result = _template(output, charity=charity, year=year)

    assert result.exit_code == 2
    assert words in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not output.exists()
