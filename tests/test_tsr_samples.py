"""Sample third-sector returns: the canonical layout, every reading quirk, realistic figures."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from connectors.workbook import extract_workbook
from domain.layouts import TSR, TSR_ACTIVITY, TSR_COVER, TSR_FINANCE, TSR_OUTCOMES
from domain.reference import BOARDS, FUNDS, OUTCOMES, SUPPORT_TYPES, TSR_TEMPLATE_NAME
from domain.workbook import SHEET_ROW, WorkbookContent
from samples.board_returns import CANONICAL, Quirks
from samples.third_sector_returns import (
    ThirdSectorReturnContent,
    data_cell,
    realistic_third_sector_return,
    write_third_sector_return,
)
from schemas.numbers import parse_number

GGC, LANARKSHIRE, LOTHIAN = "S08000031", "S08000032", "S08000024"
LIMIT = 50_000_000

QUIRKS = {
    "canonical": CANONICAL,
    "no title rows": Quirks(title_rows=0),
    "one title row": Quirks(title_rows=1),
    "seven title rows": Quirks(title_rows=7),
    "snake_case headers": Quirks(header_style="snake_case"),
    "units in brackets": Quirks(header_style="units_in_brackets"),
    "upper-case headers": Quirks(header_style="upper_case"),
    "padded lower-case sheets": Quirks(sheet_names="padded_lower"),
    "upper-case sheets": Quirks(sheet_names="upper_case"),
    "blank rows": Quirks(blank_rows_between=True),
    "total row": Quirks(total_row=True),
    "numbers as text": Quirks(numbers_as_text=True),
    "column B": Quirks(start_column=1),
    "everything at once": Quirks(
        title_rows=5,
        header_style="units_in_brackets",
        sheet_names="padded_lower",
        blank_rows_between=True,
        total_row=True,
        numbers_as_text=True,
        start_column=1,
    ),
}


def _content() -> ThirdSectorReturnContent:
    return realistic_third_sector_return(
        "SC012345",
        "Home-Start Clyde Valley",
        "MAIN",
        72_500.0,
        [GGC, LANARKSHIRE],
        "2022-23",
        "Q2",
        random.Random(7),
    )


def _read(path: Path) -> WorkbookContent:
    return extract_workbook(path.read_bytes(), {TSR_TEMPLATE_NAME: TSR}, LIMIT, LIMIT)


def _tables(content: WorkbookContent) -> dict[str, list[tuple[Any, ...]]]:
    """Each sheet's rows as the schemas would see them: figures read as numbers."""
    tables = {}
    for layout in TSR.sheets:
        # The Explanation column is free text the samples leave empty.
        frame = content.sheets[layout.name].frame.drop(SHEET_ROW, "explanation")
        measures = [c.key for c in layout.measures]
        tables[layout.name] = frame.with_columns(
            parse_number(pl.col(key)).alias(key) for key in measures
        ).rows()
    return tables


def _expected(content: ThirdSectorReturnContent) -> dict[str, list[tuple[Any, ...]]]:
    def cell(value: Any) -> Any:
        return float(value) if isinstance(value, int | float) else value

    return {
        name: [tuple(cell(v) for v in row) for row in content.rows(name)]
        for name in ("Activity", "Outcomes", "Finance")
    }


def test_canonical_layout_is_the_blank_templates(tmp_path: Path) -> None:
    """It writes Cover labels from A3, values in B, and each header on row 4 from column A."""
    content = _content()
    path = tmp_path / "return.xlsx"
    write_third_sector_return(path, content)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Cover", "Activity", "Outcomes", "Finance"]
    cover = workbook["Cover"]
    labels = [cover.cell(row, 1).value for row in range(3, 3 + len(TSR_COVER))]
    assert labels == list(TSR_COVER.values())
    assert [cover.cell(row, 2).value for row in range(3, 10)] == [
        "PIMH Third Sector Return", "1", "SC012345", "Home-Start Clyde Valley", "Main Grants",
        "2022-23", "Q2",
    ]  # fmt: skip
    for layout in (TSR_ACTIVITY, TSR_OUTCOMES, TSR_FINANCE):
        sheet = workbook[layout.name]
        assert [cell.value for cell in sheet[4]] == [c.printed for c in layout.columns]
        row = content.rows(layout.name)[0]
        assert [cell.value for cell in sheet[5]][: len(row)] == row
    assert [c.printed for c in TSR_FINANCE.columns] == [
        "Grant awarded", "Spend in quarter", "Explanation",
    ]  # fmt: skip


@pytest.mark.parametrize("quirks", QUIRKS.values(), ids=QUIRKS.keys())
def test_every_quirk_reads_back_as_the_same_tables(tmp_path: Path, quirks: Quirks) -> None:
    """It writes workbooks the reader reads, without a problem, into the content's tables."""
    content = _content()
    path = tmp_path / "return.xlsx"
    write_third_sector_return(path, content, quirks)

    read = _read(path)

    assert read.issues == []
    assert read.template_name == TSR_TEMPLATE_NAME
    assert {key: field.value for key, field in read.cover.items()} == {
        "template": "PIMH Third Sector Return",
        "template_version": "1",
        "charity_number": "SC012345",
        "organisation": "Home-Start Clyde Valley",
        "fund": "Main Grants",
        "financial_year": "2022-23",
        "quarter": "Q2",
        "completed_by": content.completed_by,
        "email": content.email,
    }
    assert _tables(read) == _expected(content)


def test_total_rows_add_up_and_finance_has_none(tmp_path: Path) -> None:
    """It ends Activity and Outcomes with a Total the reader sets aside; Finance has one row."""
    content = _content()
    path = tmp_path / "return.xlsx"
    write_third_sector_return(path, content, Quirks(total_row=True, numbers_as_text=True))

    read = _read(path)

    activity = read.sheets["Activity"]
    assert activity.total is not None
    assert activity.total["support_type"] is None
    mothers = sum(int(row[2] or 0) for row in content.activity)
    assert activity.total["mothers"] == f"{mothers:,}"
    outcomes = read.sheets["Outcomes"].total
    assert outcomes is not None
    assert outcomes["respondents"] == f"{sum(int(row[1] or 0) for row in content.outcomes):,}"
    assert read.sheets["Finance"].total is None
    assert read.sheets["Finance"].frame.height == 1


def test_data_cell_points_where_the_writer_puts_a_cell(tmp_path: Path) -> None:
    """It locates a TSR data cell with the board writer's `data_cell`, whatever the quirks."""
    content = _content()
    quirks = Quirks(title_rows=2, blank_rows_between=True, start_column=1)
    path = tmp_path / "return.xlsx"
    write_third_sector_return(path, content, quirks)
    workbook = load_workbook(path)
    for sheet_name in ("Activity", "Outcomes", "Finance"):
        for index, row in enumerate(content.rows(sheet_name)):
            sheet, cell = data_cell(sheet_name, index, 1, quirks).split("!")
            assert workbook[sheet][cell].value == row[1]
    read = _read(path)
    assert read.sheets["Outcomes"].letters["respondents"] == "C"


def test_the_same_content_writes_the_same_bytes(tmp_path: Path) -> None:
    """It writes identical bytes for identical content, and other figures for another seed."""

    def digest(seed: int, name: str) -> str:
        content = realistic_third_sector_return(
            "SC045678", "Small Steps", "SMALL", 8_000, [LOTHIAN], "2023-24", "Q4",
            random.Random(seed),
        )  # fmt: skip
        path = tmp_path / name
        write_third_sector_return(path, content)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert digest(1, "a.xlsx") == digest(1, "b.xlsx")
    assert digest(1, "a.xlsx") != digest(2, "c.xlsx")


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    fund=st.sampled_from(sorted(FUNDS)),
    award=st.floats(0, 250_000).map(lambda x: round(x, -2)),
    areas=st.lists(st.sampled_from(sorted(BOARDS)), min_size=1, max_size=14, unique=True),
)
def test_realistic_returns_keep_every_rule(
    seed: int, fund: str, award: float, areas: list[str]
) -> None:
    """It fills every sheet with figures that break no rule, for any register entry and seed."""
    content = realistic_third_sector_return(
        "SC012345", "Some Charity", fund, award, areas, "2022-23", "Q3", random.Random(seed)
    )
    assert content.fund_label == FUNDS[fund]
    assert content.completed_by
    assert "@" in content.email
    keys = [(row[0], row[1]) for row in content.activity]
    assert len(keys) == len(set(keys))
    assert {row[0] for row in content.activity} == set(areas)
    people = 0
    for area, support, *counts in content.activity:
        assert area in BOARDS
        assert support in SUPPORT_TYPES
        assert len(counts) == 4
        assert all(isinstance(c, int) and c >= 0 for c in counts)
        people += sum(c for c in counts if isinstance(c, int))
    assert people <= 400, "charities support tens of people a quarter, not hundreds"
    assert [row[0] for row in content.outcomes] == list(OUTCOMES)
    for _, respondents, improvement in content.outcomes:
        assert isinstance(respondents, int)
        assert isinstance(improvement, int)
        assert 0 <= improvement <= respondents
    assert len(content.finance) == 1
    grant, spend = content.finance[0]
    assert grant == award
    assert isinstance(grant, float)
    assert isinstance(spend, float)
    assert 0 <= spend <= award / 4 * 1.1 + 0.01
    assert round(spend, 2) == spend


def test_a_main_grant_supports_tens_of_people_with_some_zeros() -> None:
    """It sizes a Main Grant's quarter to dozens of people, with the odd zero cell."""
    totals, zeros = [], 0
    for seed in range(40):
        content = realistic_third_sector_return(
            "SC012345", "Some Charity", "MAIN", 60_000, [GGC, LANARKSHIRE, LOTHIAN],
            "2022-23", "Q1", random.Random(seed),
        )  # fmt: skip
        totals.append(sum(int(row[2] or 0) for row in content.activity))
        zeros += sum(1 for row in content.activity for c in row[2:] if c == 0)
    assert min(totals) >= 10
    assert max(totals) <= 150
    assert zeros > 0


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"charity_number": "SC12345"}, "not a Scottish charity number"),
        ({"fund": "Main Grants"}, "not a fund code"),
        ({"board_areas": ["Lothian"]}, "board codes"),
        ({"board_areas": []}, "board codes"),
        ({"financial_year": "2022-24"}, "not a financial year"),
        ({"quarter": "Q5"}, "not a quarter"),
    ],
)
def test_realistic_return_refuses_what_is_not_a_register_entry(
    change: dict[str, Any], complaint: str
) -> None:
    """It raises ValueError for a charity number, fund, board area or period that is wrong."""
    arguments: dict[str, Any] = {
        "charity_number": "SC012345",
        "organisation": "Some Charity",
        "fund": "SMALL",
        "award_gbp": 9_000.0,
        "board_areas": [LOTHIAN],
        "financial_year": "2022-23",
        "quarter": "Q1",
        "rng": random.Random(1),
    }
    with pytest.raises(ValueError, match=complaint):
        realistic_third_sector_return(**{**arguments, **change})
