"""Validating a run's readable returns: one batch per template, and each return's fate."""

from __future__ import annotations

from pathlib import Path

from domain.register import empty_register
from domain.workbook import WorkbookContent
from schemas.batch import ReturnInput, ValidatedBatch
from schemas.validate_batch import TemplateBatch, validate_by_template
from tests.builders import changed, valid_return
from tests.received_builders import board_bytes, read, received, tsr_bytes
from tests.tsr_builders import CHARITY, register_frame, valid_tsr

LOTHIAN, BORDERS, FIFE = "S08000024", "S08000016", "S08000029"


def test_each_templates_readable_returns_are_validated_in_one_batch(tmp_path: Path) -> None:
    """It validates every board return together and every charity return together, each
    return named by its received file's key; unreadable files are not validated."""
    new = [
        received(3, board_bytes(tmp_path, valid_return(LOTHIAN)), LOTHIAN),
        received(4, b"not a workbook", LOTHIAN),
        received(5, tsr_bytes(tmp_path, valid_tsr()), CHARITY),
        received(7, board_bytes(tmp_path, valid_return(FIFE)), FIFE),
    ]

    batches = validate_by_template(new, read(new), register_frame())

    assert [(batch.template, batch.keys) for batch in batches] == [("BQR", [3, 7]), ("TSR", [5])]
    assert batches[0].validated.cover["board_code"].to_list() == [LOTHIAN, FIFE]
    assert [batch.accepted for batch in batches] == [[0, 1], [0]]


def test_nothing_readable_means_no_batch(tmp_path: Path) -> None:
    new = [received(0, b"not a workbook", LOTHIAN), received(1, b"", FIFE)]
    assert validate_by_template(new, read(new), empty_register()) == []


def test_warnings_alone_accept_a_return_and_one_error_rejects_it(tmp_path: Path) -> None:
    """It accepts a return with warnings only, and rejects one with any error, whole."""
    warned = changed(valid_return(FIFE), "Staffing", 0, 3, 2.4)  # in post above funded
    new = [
        received(0, board_bytes(tmp_path, warned), FIFE),
        received(1, board_bytes(tmp_path, valid_return(LOTHIAN)), BORDERS),  # another board's
    ]

    (batch,) = validate_by_template(new, read(new), empty_register())

    assert [issue.severity for issue in batch.issues(0)] == ["warning"]
    assert any(issue.is_error for issue in batch.issues(1))
    assert [batch.is_accepted(0), batch.is_accepted(1)] == [True, False]
    assert batch.accepted == [0]


def test_charity_returns_are_checked_against_the_register(tmp_path: Path) -> None:
    """It accepts a charity's return on the register in force, and rejects it with none."""
    new = [received(0, tsr_bytes(tmp_path, valid_tsr()), CHARITY)]
    contents = read(new)

    (on_register,) = validate_by_template(new, contents, register_frame())
    (no_register,) = validate_by_template(new, contents, empty_register())

    assert on_register.accepted == [0]
    assert no_register.accepted == []


def test_errors_found_but_not_listed_reject_a_return_too() -> None:
    """A return whose errors were only counted (past the listing limit) is not accepted."""
    validated = ValidatedBatch(unlisted={0: (3, 0), 1: (0, 5)})
    returns = [ReturnInput(LOTHIAN, WorkbookContent()), ReturnInput(FIFE, WorkbookContent())]
    batch = TemplateBatch("BQR", [10, 11], returns, validated)

    assert batch.unlisted(0) == (3, 0)
    assert batch.accepted == [1]
