"""The fact rows of a run's accepted returns, tied to their received files."""

from __future__ import annotations

from pathlib import Path

from samples.board_returns import Quirks
from schemas.validate_batch import validate_by_template
from tests.builders import valid_return, write
from tests.received_builders import board_bytes, read, received, tsr_bytes
from tests.tsr_builders import CHARITY, register_frame, valid_tsr
from transforms.run_facts import run_fact_rows

LOTHIAN, BORDERS, FIFE = "S08000024", "S08000016", "S08000029"


def test_fact_rows_carry_the_received_files_key(tmp_path: Path) -> None:
    """Each template's accepted returns give rows in its fact tables, `return_index`
    holding the received file's key; a rejected return gives none."""
    new = [
        received(2, board_bytes(tmp_path, valid_return(FIFE)), FIFE),
        received(5, board_bytes(tmp_path, valid_return(LOTHIAN)), BORDERS),  # rejected
        received(8, tsr_bytes(tmp_path, valid_tsr()), CHARITY),
    ]

    facts = run_fact_rows(validate_by_template(new, read(new), register_frame()))

    assert set(facts) == {
        "fact_staffing",
        "fact_activity",
        "fact_finance",
        "fact_ts_activity",
        "fact_ts_outcome",
        "fact_ts_finance",
        "source_column",
    }
    assert set(facts["fact_staffing"]["return_index"]) == {2}
    # Both laid out as the blank template: no letter differs from the template's.
    assert facts["source_column"].is_empty()
    assert facts["fact_staffing"]["board_code"].unique().to_list() == [FIFE]
    assert set(facts["fact_ts_finance"]["return_index"]) == {8}
    assert facts["fact_ts_finance"]["charity_number"].to_list() == [CHARITY]


def test_only_the_tables_of_templates_in_the_run_are_given(tmp_path: Path) -> None:
    new = [received(0, tsr_bytes(tmp_path, valid_tsr()), CHARITY)]

    facts = run_fact_rows(validate_by_template(new, read(new), register_frame()))

    assert set(facts) == {
        "fact_ts_activity",
        "fact_ts_outcome",
        "fact_ts_finance",
        "source_column",
    }
    assert facts["fact_ts_activity"].height == 2


def test_no_batches_give_no_rows() -> None:
    assert run_fact_rows([]) == {}


def test_only_letters_that_differ_from_the_template_are_kept(tmp_path: Path) -> None:
    """Given a return whose Staffing sheet leaves the optional Vacant WTE column off, one
    whose tables start a column to the right, and one rejected, expect an empty letter
    for the column left off, every letter of the shifted return, and nothing for the
    columns where the template has them or for the rejected return."""
    from openpyxl import load_workbook

    path = tmp_path / "fife.xlsx"
    path.write_bytes(board_bytes(tmp_path, valid_return(FIFE)))
    book = load_workbook(path)
    book["Staffing"].delete_cols(5)  # Vacant WTE
    book.save(path)
    shifted = write(tmp_path / "lothian.xlsx", valid_return(LOTHIAN), Quirks(start_column=1))
    new = [
        received(3, path.read_bytes(), FIFE),
        received(4, board_bytes(tmp_path, valid_return(LOTHIAN)), BORDERS),  # rejected
        received(6, shifted.read_bytes(), LOTHIAN),
    ]

    facts = run_fact_rows(validate_by_template(new, read(new), register_frame()))

    letters = facts["source_column"]
    assert set(letters["return_index"]) == {3, 6}
    fife = letters.filter(return_index=3).select("sheet", "measure", "column_letter").rows()
    assert fife == [("Staffing", "vacant_wte", "")]
    lothian = letters.filter(return_index=6)
    assert lothian.filter(sheet="Staffing").select("measure", "column_letter").rows() == [
        ("funded_wte", "D"),
        ("in_post_wte", "E"),
        ("vacant_wte", "F"),
    ]
    assert lothian.filter(sheet="Finance").select("measure", "column_letter").rows() == [
        ("allocation_gbp", "C"),
        ("spend_gbp", "D"),
        ("forecast_gbp", "E"),
    ]
    assert lothian.filter(sheet="Activity").height == 9
