"""Whatever one return does in validation, shaping or loading, the others go on.

A return the pipeline cannot handle, for a reason nobody foresaw, is recorded as rejected
with a file-level problem; before, it stopped its whole batch, and every rerun again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import polars as pl
import pytest

import schemas.validate_batch
import transforms.run_facts
from domain.records import SubmissionRecord
from intake.outcome import submission_records
from intake.triage import Triage
from schemas.batch import ReturnInput, ValidatedBatch
from schemas.validate_batch import UNCHECKABLE, validate_by_template
from tests.builders import valid_return
from tests.received_builders import board_bytes, read, received
from tests.tsr_builders import register_frame
from transforms.run_facts import UNSHAPEABLE, run_fact_rows

LOTHIAN, BORDERS, FIFE = "S08000024", "S08000016", "S08000029"


def _three_returns(tmp_path: Path) -> tuple[list, list]:  # type: ignore[type-arg]
    new = [
        received(key, board_bytes(tmp_path / code, valid_return(code)), code)
        for key, code in enumerate((LOTHIAN, BORDERS, FIFE))
    ]
    return new, read(new)


def _statuses(records: Sequence[SubmissionRecord]) -> dict[str | None, str]:
    return {r.reporter_code: r.status for r in records}


def test_a_return_that_breaks_validation_is_rejected_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = schemas.validate_batch._VALIDATORS["BQR"]

    def fails_on_borders(returns: Sequence[ReturnInput], register: pl.DataFrame) -> ValidatedBatch:
        if any(r.folder_code == BORDERS for r in returns):
            raise ValueError("an oddity nobody foresaw")
        return real(returns, register)

    monkeypatch.setitem(schemas.validate_batch._VALIDATORS, "BQR", fails_on_borders)
    new, contents = _three_returns(tmp_path)

    batches = validate_by_template(new, contents, register_frame())
    records = submission_records(Triage(new=new), contents, batches)

    assert _statuses(records) == {LOTHIAN: "accepted", BORDERS: "rejected", FIFE: "accepted"}
    [problem] = next(r for r in records if r.reporter_code == BORDERS).issues
    assert (problem.message, problem.cell) == (UNCHECKABLE, None)


def test_a_return_whose_figures_cannot_be_shaped_is_rejected_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = transforms.run_facts._SHAPERS["BQR"]

    def fails_on_the_second(
        batch: ValidatedBatch, accepted: Collection[int]
    ) -> dict[str, pl.DataFrame]:
        if 1 in accepted:
            raise OverflowError("a figure polars could not cast")
        return real(batch, accepted)

    monkeypatch.setitem(transforms.run_facts._SHAPERS, "BQR", fails_on_the_second)
    new, contents = _three_returns(tmp_path)
    batches = validate_by_template(new, contents, register_frame())

    facts = run_fact_rows(batches)
    records = submission_records(Triage(new=new), contents, batches)

    assert _statuses(records) == {LOTHIAN: "accepted", BORDERS: "rejected", FIFE: "accepted"}
    assert [i.message for i in records[1].issues] == [UNSHAPEABLE]
    assert sorted(facts["fact_activity"]["return_index"].unique().to_list()) == [0, 2]
