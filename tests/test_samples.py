"""Sample board returns: realistic figures, reading quirks and the 14-board demo quarter."""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from domain.layouts import BQR
from domain.reference import BOARDS, MBU_HOST_BOARDS, STAFF_GROUPS
from samples import (
    BoardReturnContent,
    DemoReturn,
    Quirks,
    data_cell,
    generate_demo_quarter,
    realistic_board_return,
    total_row,
    write_board_return,
)
from transforms.plausibility import CURRENT_EXTRA, FIGURE_SCHEMA, plausibility_warnings

LOTHIAN, GGC, TAYSIDE, GRAMPIAN, HIGHLAND = (
    "S08000024", "S08000031", "S08000030", "S08000020", "S08000022",
)  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[DemoReturn]:
    return generate_demo_quarter(tmp_path_factory.mktemp("landing"))


def _sheet(workbook: Workbook, name: str) -> Worksheet:
    """A sheet matched as the reader matches it: any case, surrounding spaces ignored."""
    matches = [ws for ws in workbook.worksheets if ws.title.strip().lower() == name.lower()]
    assert len(matches) == 1
    return matches[0]


def _table(workbook: Workbook, name: str) -> tuple[int, int, list[str], list[list[Any]]]:
    """(header row, first column, headers, non-blank rows below) of a quirky data sheet."""
    sheet = _sheet(workbook, name)
    for row in sheet.iter_rows():
        filled = [cell for cell in row if cell.value is not None]
        if filled and str(filled[0].value).strip().lower() == "service":
            header_row, first_col = filled[0].row, filled[0].column
            break
    else:
        pytest.fail(f"no header row on {name}")
    rows = [
        list(values)
        for values in sheet.iter_rows(min_row=header_row, min_col=first_col, values_only=True)
    ]
    headers = [str(v) for v in rows[0] if v is not None]
    body = [row for row in rows[1:] if any(v is not None for v in row)]
    return header_row, first_col, headers, body


def _number(value: Any) -> float:
    if isinstance(value, str):
        return float(value.strip().replace("£", "").replace(",", ""))
    return float(value)


def _services(path: Path, sheet: str = "Activity") -> set[str]:
    return {str(row[0]) for row in _table(load_workbook(path), sheet)[3] if row[0] != "Total"}


def test_demo_writes_one_return_per_board_in_its_own_folder(demo: list[DemoReturn]) -> None:
    """It drops 14 workbooks, each in `landing/<board code>/`, named for board and quarter."""
    assert sorted(r.board_code for r in demo) == sorted(BOARDS)
    landing = demo[0].path.parent.parent
    assert sorted(p.relative_to(landing).parts[0] for p in landing.rglob("*.xlsx")) == sorted(
        BOARDS
    )
    for item in demo:
        assert item.path.parent == landing / item.board_code
        assert item.path.name == f"{BOARDS[item.board_code]} 2022-23 Q1.xlsx"


def test_demo_has_three_returns_with_errors_and_two_with_warnings(
    demo: list[DemoReturn],
) -> None:
    """It plants errors in exactly three returns and only warnings in exactly two."""
    assert Counter(r.expected for r in demo) == {"valid": 9, "errors": 3, "warnings": 2}
    for item in demo:
        expected = {"valid": set(), "errors": {"error"}, "warnings": {"warning"}}
        assert {p.severity for p in item.problems} == expected[item.expected]


def test_planted_problems_are_where_the_description_says(demo: list[DemoReturn]) -> None:
    """It documents every planted problem by cell and value, and the workbook holds it."""
    planted = {p.value for r in demo for p in r.problems}
    assert "Psychiatrist" in planted
    assert "MBU" in planted
    for item in demo:
        workbook = load_workbook(item.path)
        for problem in item.problems:
            sheet, cell = problem.cell.split("!")
            assert workbook[sheet][cell].value == problem.value
            assert problem.cell in item.description
        assert item.description.count("\n") == 0


def test_demo_reproduces_the_published_service_coverage(demo: list[DemoReturn]) -> None:
    """It has 14 boards with CPMHT and IMH, 10 with MNPI and MBU only at the two hosts."""
    coverage: Counter[str] = Counter()
    mbu_boards: set[str] = set()
    for item in demo:
        services = _services(item.path)
        assert services == _services(item.path, "Finance") | (
            {"MBU"} if item.board_code == HIGHLAND else set()
        )
        coverage.update(services - {"MBU"})
        if "MBU" in services and not any(p.value == "MBU" for p in item.problems):
            mbu_boards.add(item.board_code)
    assert coverage == {"CPMHT": 14, "IMH": 14, "MNPI": 10}
    assert mbu_boards == MBU_HOST_BOARDS
    planted_mbu = [r for r in demo if any(p.value == "MBU" for p in r.problems)]
    assert [r.board_code for r in planted_mbu] == [HIGHLAND]
    assert HIGHLAND not in MBU_HOST_BOARDS


def test_cover_names_boards_the_many_ways_boards_write_them(demo: list[DemoReturn]) -> None:
    """It writes the board on the Cover as a code, with NHS, with '&', oddly spaced, plain."""
    labels = {}
    for item in demo:
        cover = _sheet(load_workbook(item.path), "Cover")
        labels[item.board_code] = next(
            row[1] for row in cover.iter_rows(values_only=True) if row[0] == "Board"
        )
    assert labels["S08000015"] == "S08000015"
    assert labels[LOTHIAN] == "NHS Lothian"
    assert labels[GGC] == "Greater Glasgow & Clyde"
    assert labels[TAYSIDE] == "nhs  tayside."
    assert labels["S08000017"] == "Dumfries & Galloway"
    assert {"Borders", "Orkney", "Shetland", "Western Isles"} <= set(labels.values())


def test_valid_returns_show_every_reading_quirk(demo: list[DemoReturn]) -> None:
    """It spreads every quirk over the valid returns: titles, headers, names, blanks, text."""
    header_rows: set[int] = set()
    first_cols: set[int] = set()
    headers: set[str] = set()
    sheet_names: set[str] = set()
    text_numbers: list[str] = []
    blank_between = False
    for item in (r for r in demo if r.expected == "valid"):
        workbook = load_workbook(item.path)
        sheet_names.update(ws.title for ws in workbook.worksheets)
        for name in ("Staffing", "Activity", "Finance"):
            header_row, first_col, names, body = _table(workbook, name)
            header_rows.add(header_row)
            first_cols.add(first_col)
            headers.update(names)
            text_numbers += [v for row in body for v in row[1:] if isinstance(v, str)]
            sheet = _sheet(workbook, name)
            last = header_row + len(body)
            blank_between |= any(
                all(c.value is None for c in sheet[r]) for r in range(header_row + 1, last)
            )
    assert {1, 2, 4, 7} <= header_rows
    assert first_cols == {1, 2}
    assert {"funded_wte", "Funded (WTE)", "FUNDED WTE", "Allocation (£)"} <= headers
    assert {" staffing ", "STAFFING", "Staffing"} <= sheet_names
    assert blank_between
    assert any(re.fullmatch(r" \d+\.\d+ ", v) for v in text_numbers)
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", v) for v in text_numbers)
    assert any(re.fullmatch(r"£\d{1,3}(,\d{3})*\.\d\d", v) for v in text_numbers)


@pytest.mark.parametrize("board_code", [LOTHIAN, TAYSIDE, GGC])
def test_total_rows_in_valid_returns_add_up(demo: list[DemoReturn], board_code: str) -> None:
    """It ends some valid returns' sheets with a Total row whose figures equal the column sums."""
    item = next(r for r in demo if r.board_code == board_code)
    workbook = load_workbook(item.path)
    for name in ("Staffing", "Activity", "Finance"):
        _, _, headers, body = _table(workbook, name)
        *rows, total = body
        assert total[0] == "Total"
        for col in range(2 if name == "Staffing" else 1, len(headers)):
            given = [_number(row[col]) for row in rows if row[col] is not None]
            if given:
                assert _number(total[col]) == pytest.approx(sum(given), abs=0.01)
            else:
                assert total[col] is None


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    """It writes the same bytes for the same seed and different figures for another seed."""

    def digests(seed: int, folder: str) -> dict[str, str]:
        demo = generate_demo_quarter(tmp_path / folder, seed=seed)
        return {r.board_code: hashlib.sha256(r.path.read_bytes()).hexdigest() for r in demo}

    first, again, other = digests(7, "a"), digests(7, "b"), digests(8, "c")
    assert first == again
    assert all(first[code] != other[code] for code in BOARDS)


def test_demo_refuses_a_malformed_period(tmp_path: Path) -> None:
    """It raises ValueError for a quarter that does not exist, before writing anything."""
    with pytest.raises(ValueError, match="not a quarter"):
        generate_demo_quarter(tmp_path, quarter="Q0")
    assert not any(tmp_path.iterdir())


@settings(max_examples=60, deadline=None)
@given(board_code=st.sampled_from(sorted(BOARDS)), seed=st.integers(0, 2**32))
def test_realistic_returns_keep_every_rule(board_code: str, seed: int) -> None:
    """It produces figures that break no rule and raise no warning, for any board and seed."""
    content = realistic_board_return(board_code, "2022-23", "Q4", random.Random(seed))
    services = {row[0] for row in content.activity}
    assert {"CPMHT", "IMH"} <= services
    assert ("MBU" in services) == (board_code in MBU_HOST_BOARDS)
    keys = [(row[0], row[1]) for row in content.staffing]
    assert len(keys) == len(set(keys))
    for service, group, funded, in_post, vacant in content.staffing:
        assert service in services
        assert group in STAFF_GROUPS
        assert isinstance(funded, float)
        assert isinstance(in_post, float)
        assert 0 <= in_post <= funded <= 200
        assert round(funded, 2) == funded
        assert round(in_post, 2) == in_post
        assert vacant is None or vacant == pytest.approx(max(0, funded - in_post), abs=0.01)
    for service, received, accepted, *counts, admissions, occupied, available in content.activity:
        assert isinstance(received, int)
        assert isinstance(accepted, int)
        assert 0 <= accepted <= received
        assert all(isinstance(c, int) and c >= 0 for c in counts)
        if service == "MBU":
            assert isinstance(admissions, int)
            assert isinstance(occupied, int)
            assert isinstance(available, int)
            assert 0 <= occupied <= available == 6 * 90
        else:
            assert admissions is None
            assert occupied is None
            assert available is None
    for _, allocation, spend, forecast in content.finance:
        assert isinstance(allocation, float)
        assert isinstance(spend, float)
        assert isinstance(forecast, float)
        assert spend >= 0
        assert 0 <= forecast <= allocation * 1.1


def test_realistic_return_refuses_an_unknown_board() -> None:
    """It raises ValueError for a board code that is not one of the 14."""
    with pytest.raises(ValueError, match="S08000099"):
        realistic_board_return("S08000099", "2022-23", "Q1", random.Random(1))


def _small_return() -> BoardReturnContent:
    return BoardReturnContent(
        board_code=GGC,
        financial_year="2022-23",
        quarter="Q2",
        board_label="NHS GG&C",
        staffing=[["CPMHT", "Psychology", 3.5, 3.5, 0.0], ["IMH", "Other", 2.25, 1.0, None]],
        activity=[["CPMHT", 1200, 1100, 900, 2000, 700, 12, None, None, None]],
        finance=[["CPMHT", 1200.5, 300.0, " 1,250 "]],
    )


def test_numbers_as_text_are_typed_the_ways_boards_type_them(tmp_path: Path) -> None:
    """It writes numbers as text like ' 3.5 ', '1,200' and '£1,200.50', and keeps strings."""
    path = tmp_path / "text.xlsx"
    write_board_return(path, _small_return(), Quirks(numbers_as_text=True))
    workbook = load_workbook(path)
    assert workbook["Staffing"]["C5"].value == " 3.5 "
    assert workbook["Staffing"]["E6"].value is None
    assert workbook["Activity"]["B5"].value == "1,200"
    assert workbook["Activity"]["G5"].value == "12"
    assert workbook["Finance"]["B5"].value == "£1,200.50"
    assert workbook["Finance"]["D5"].value == " 1,250 "


def test_data_cell_points_where_the_writer_puts_a_cell(tmp_path: Path) -> None:
    """It locates a data cell under title rows, blank rows and a column-B start."""
    quirks = Quirks(title_rows=5, blank_rows_between=True, start_column=1, total_row=True)
    path = tmp_path / "quirky.xlsx"
    write_board_return(path, _small_return(), quirks)
    workbook = load_workbook(path)
    assert data_cell("Staffing", 0, 2, quirks) == "Staffing!D7"
    assert workbook["Staffing"]["D7"].value == 3.5
    assert data_cell("Staffing", 1, 3, quirks) == "Staffing!E8"
    assert workbook["Staffing"]["E8"].value == 1.0
    total = data_cell("Staffing", 2, 0, quirks)
    assert total == "Staffing!B10"
    assert workbook["Staffing"]["B10"].value == "Total"
    assert workbook["Staffing"]["D10"].value == 5.75
    assert all(cell.value is None for cell in workbook["Staffing"][9])


def test_total_row_sums_the_figures_given_and_reads_text_numbers() -> None:
    """It totals each figure column over the cells given, reading numbers typed as text."""
    content = _small_return()
    # The Explanation column is text: its Total cell stays empty.
    assert total_row("Staffing", content.staffing) == ["Total", None, 5.75, 4.5, 0.0, None]
    content.finance.append(["IMH", "£99.50", None, 10])
    assert total_row("Finance", content.finance) == ["Total", 1300.0, 300.0, 1260.0, None]


def _figures(content: BoardReturnContent) -> list[tuple[object, ...]]:
    """The return's figures, long, as the plausibility rules compare them."""
    period = ("BQR", content.board_code, content.financial_year, content.quarter)
    sheets = {"Staffing": content.staffing, "Activity": content.activity}
    found: list[tuple[object, ...]] = []
    for layout in (s for s in BQR.sheets if s.name in sheets | {"Finance": None}):
        measures = {c.key for c in layout.measures}
        for row in sheets.get(layout.name, content.finance):
            subject = f"{row[0]} ({row[1]})" if layout.name == "Staffing" else row[0]
            found += [
                (*period, layout.name, subject, column.key, float(value))
                for column, value in zip(layout.columns, row, strict=False)
                if column.key in measures and value is not None
            ]
    return found


@settings(max_examples=20, deadline=None)
@given(board_code=st.sampled_from(sorted(BOARDS)), seed=st.integers(0, 2**32))
def test_consecutive_realistic_quarters_raise_no_plausibility_warning(
    board_code: str, seed: int
) -> None:
    """A board's returns quarter after quarter keep its levels, as a real board's do: the
    benchmark's backfill carries only the warnings it plants, not one for every quarter."""
    rng = random.Random(seed)
    quarters = [(year, q) for year in ("2022-23", "2023-24") for q in ("Q1", "Q2", "Q3", "Q4")]
    returns = [realistic_board_return(board_code, y, q, rng) for y, q in quarters]
    previous = pl.DataFrame(
        [f for content in returns[:-1] for f in _figures(content)],
        schema=FIGURE_SCHEMA,
        orient="row",
    )
    current = pl.DataFrame(
        [(*f, 0, "A1", None, False) for content in returns[1:] for f in _figures(content)],
        schema={**FIGURE_SCHEMA, **CURRENT_EXTRA},
        orient="row",
    )

    assert current.height > 0
    assert plausibility_warnings(current, previous)["message"].to_list() == []
