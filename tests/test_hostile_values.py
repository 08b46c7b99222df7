"""Values no return could sensibly hold are problems at their cells, never exceptions.

Before, 1E+308 or 9.3E+18 in a count stopped the whole batch (polars could not make it an
integer), amounts of £1e12 and counts past 2,147,483,647 were refused by PostgreSQL only,
a NUL in a cell could not be stored there, and a 1 MiB string was echoed whole into every
report. Each is now an error (or a cleaned value) in the return it is in.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.workbook import clean_cell, extract_workbook
from domain.issues import Issue
from domain.text import QUOTED_CHARACTERS, without_controls
from samples.board_returns import BoardReturnContent
from schemas.validate_batch import RETURN_LAYOUTS
from schemas.validate_bqr import BoardReturn, ValidatedBatch, validate_board_returns
from tests.builders import changed, valid_return, write

RECEIVED = 1  # Activity column B: Referrals received
ALLOCATION = 1  # Finance column B


MARKER = "REPLACE-ME-IN-THE-XML"


def _with_text_in_xml(data: bytes, text: str) -> bytes:
    """The workbook with `MARKER` replaced in its XML parts: Excel's writers cap a cell at
    32,767 characters, a hand-edited package does not."""
    source, output = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info).replace(MARKER.encode(), text.encode()))
    return output.getvalue()


def _validated(
    tmp_path: Path, content: BoardReturnContent, long_text: str | None = None
) -> tuple[list[Issue], ValidatedBatch]:
    data = write(tmp_path / "return.xlsx", content).read_bytes()
    if long_text is not None:
        data = _with_text_in_xml(data, long_text)
    read = extract_workbook(data, RETURN_LAYOUTS, 20_000_000, 200_000_000)
    batch = validate_board_returns([BoardReturn(content.board_code, read)])
    return [*read.issues, *batch.issues.get(0, [])], batch


@pytest.mark.parametrize(
    ("typed", "check_words"),
    [
        (1e308, "1e+308, more than a return can hold (at most 1,000,000 people)"),
        (9.3e18, "9.3e+18, more than a return can hold"),
        (2_147_483_648, "2,147,483,648, more than a return can hold"),
        ("1e400", "must be a number; found '1e400'"),
        ("inf", "must be a number; found 'inf'"),
        ("-Infinity", "must be a number; found '-Infinity'"),
        ("NaN", "must be a number; found 'NaN'"),
    ],
)
def test_a_count_no_return_could_hold_is_an_error_at_its_cell(
    tmp_path: Path, typed: object, check_words: str
) -> None:
    """It rejects the return with one error at Activity!B5 naming what was found."""
    issues, _ = _validated(tmp_path, changed(valid_return(), "Activity", 0, RECEIVED, typed))

    errors = [i for i in issues if i.is_error]
    assert [e.cell for e in errors] == ["Activity!B5"]
    assert check_words in errors[0].message
    assert errors[0].message.startswith("Referrals received ")


def test_a_number_typed_with_a_hundred_thousand_digits_is_cut_when_quoted(
    tmp_path: Path,
) -> None:
    """Read as infinity, it is not a number; the report quotes its start, saying it was cut."""
    digits = "9" * 100_000
    content = changed(valid_return(), "Activity", 0, RECEIVED, MARKER)
    issues, _ = _validated(tmp_path, content, long_text=digits)

    [error] = [i for i in issues if i.is_error]
    assert error.cell == "Activity!B5"
    assert error.value is not None
    assert len(error.value) < QUOTED_CHARACTERS + 60
    assert "cut: 100,000 characters in all" in error.value
    assert len(error.message) < 400


def test_an_amount_of_a_trillion_pounds_is_an_error(tmp_path: Path) -> None:
    issues, _ = _validated(tmp_path, changed(valid_return(), "Finance", 0, ALLOCATION, 1e12))

    [error] = [i for i in issues if i.is_error]
    assert error.cell == "Finance!B5"
    assert "£1,000,000,000,000.00, more than a return can hold (at most £1,000,000,000)" in (
        error.message
    )


def test_the_largest_sensible_figures_are_accepted(tmp_path: Path) -> None:
    content = changed(valid_return(), "Activity", 0, RECEIVED, 1_000_000)
    content = changed(content, "Activity", 0, 2, 100)
    content = changed(content, "Finance", 0, ALLOCATION, 1_000_000_000)
    issues, _ = _validated(tmp_path, content)

    assert [i for i in issues if i.is_error] == []


def test_control_characters_are_removed_where_the_reader_reads_them(tmp_path: Path) -> None:
    """A NUL (`_x0000_` in the sheet's XML) or other control character never gets further
    than the reader: the staff group is recognised, the Cover holds no NUL."""
    content = changed(valid_return(), "Staffing", 0, 1, "Psych\x00iatry\x07")
    content.completed_by = "A.\x00 Manager"
    issues, batch = _validated(tmp_path, content)

    assert issues == []
    assert batch.cover["completed_by"].to_list() == ["A. Manager"]
    assert batch.sheets["Staffing"]["staff_group"][0] == "Psychiatry"


def test_a_mebibyte_in_a_cell_is_quoted_cut_in_the_value_and_the_message(tmp_path: Path) -> None:
    content = changed(valid_return(), "Staffing", 0, 1, MARKER)
    issues, _ = _validated(tmp_path, content, long_text="x" * (1024 * 1024))

    [error] = [i for i in issues if i.is_error]
    assert error.cell == "Staffing!B5"
    assert error.value is not None
    assert len(error.value) < QUOTED_CHARACTERS + 60
    assert "cut: 1,048,576 characters in all" in error.value
    assert len(error.message) < 500


def test_hostile_values_have_one_outcome_on_both_backends(
    tmp_path: Path, warehouse_url: str
) -> None:
    """Before, PostgreSQL alone refused a count past 2,147,483,647, £1e12 and a NUL (every
    run then exited 2, the files never recorded) while SQLite stored them. Now both record
    the same fates, problems and cleaned text."""
    from intake.outcome import submission_records
    from intake.triage import Triage
    from schemas.validate_batch import validate_by_template
    from tests.queries import query
    from tests.received_builders import read, received
    from tests.tsr_builders import register_frame
    from transforms.run_facts import run_fact_rows
    from warehouse.engine import open_warehouse
    from warehouse.load import load_submissions
    from warehouse.migrate import upgrade

    boards = ("S08000015", "S08000016", "S08000017", "S08000019")
    nul = valid_return(boards[2])
    nul.completed_by = "A.\x00 Manager"
    contents = [
        changed(valid_return(boards[0]), "Activity", 0, RECEIVED, 2_147_483_648),
        changed(valid_return(boards[1]), "Finance", 0, ALLOCATION, 1e12),
        nul,
        changed(valid_return(boards[3]), "Staffing", 0, 1, MARKER),
    ]
    new = []
    for key, content in enumerate(contents):
        data = write(tmp_path / f"{key}.xlsx", content).read_bytes()
        new.append(received(key, _with_text_in_xml(data, "x" * 100_000), content.board_code))
    read_back = read(new)
    batches = validate_by_template(new, read_back, register_frame())
    engine = open_warehouse(warehouse_url)
    upgrade(engine)
    loaded = load_submissions(
        engine, submission_records(Triage(new=new), read_back, batches), run_fact_rows(batches)
    )
    engine.dispose()

    assert loaded.refused == []
    assert query(
        warehouse_url,
        "SELECT reporter_code, status, error_count, completed_by FROM submission ORDER BY 1",
    ) == [
        (boards[0], "rejected", 1, "A. Manager"),
        (boards[1], "rejected", 1, "A. Manager"),
        (boards[2], "accepted", 0, "A. Manager"),
        (boards[3], "rejected", 1, "A. Manager"),
    ]
    [(value,)] = query(
        warehouse_url,
        "SELECT i.value FROM validation_issue i JOIN submission s USING (submission_id) "
        "WHERE s.reporter_code = :board",
        board=boards[3],
    )
    assert "cut: 100,000 characters in all" in str(value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_a_cover_value_is_cleaned_as_without_controls_cleans_it(text: str) -> None:
    """The reader skips the search for control characters in printable text: the same
    value either way, whatever the text holds (controls, tabs, line breaks, separators)."""
    expected = without_controls(text).strip() or None

    assert clean_cell(text) == expected
