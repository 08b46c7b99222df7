"""`pimh demo`: one realistic quarter from all 14 boards, through the whole pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pimh.cli import app
from samples.demo import DemoReturn, generate_demo_quarter
from schemas.reference import BOARDS
from tests.queries import query

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _cell_value(value: object) -> str:
    """A planted value as the warehouse records it (the text of the cell)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_the_demo_quarter_is_loaded_with_exactly_the_planted_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All 14 returns are recorded: 3 rejected at their planted error cells, 2 accepted with
    their planted warnings, and the other 9 accepted with no issue at all."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "demo"
    # What the demo writes: the same seed gives the same returns and planted problems.
    planned: dict[str, DemoReturn] = {
        r.board_code: r for r in generate_demo_quarter(tmp_path / "planned", "2022-23", "Q1")
    }

    result = CliRunner().invoke(app, ["demo", "--dir", str(folder)], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert "3 rejected" in result.output
    assert "11 accepted" in result.output
    url = f"sqlite:///{(folder / 'warehouse.db').resolve()}"
    submissions = {
        str(code): (status, errors, warnings, sid)
        for sid, code, status, errors, warnings in query(
            url, "SELECT submission_id, reporter_code, status, errors, warnings FROM submissions"
        )
    }
    assert sorted(submissions) == sorted(BOARDS)
    assert len(query(url, "SELECT * FROM submissions")) == 14
    issues: dict[str, set[tuple[object, ...]]] = {code: set() for code in BOARDS}
    for code, severity, cell, value in query(
        url,
        "SELECT s.reporter_code, i.severity, i.cell, i.value FROM validation_issues i "
        "JOIN submissions s ON s.submission_id = i.submission_id",
    ):
        issues[str(code)].add((severity, cell, value))

    expected_kinds = {"errors": 0, "warnings": 0, "valid": 0}
    for code, demo_return in planned.items():
        expected_kinds[demo_return.expected] += 1
        planted = {(p.severity, p.cell, _cell_value(p.value)) for p in demo_return.problems}
        status, errors, warnings, _ = submissions[code]
        assert issues[code] == planted, demo_return.description
        if demo_return.expected == "errors":
            assert status == "rejected", demo_return.description
            assert errors == len(planted)
        else:
            assert status == "accepted", demo_return.description
            assert (errors, warnings) == (0, len(planted))
    assert expected_kinds == {"errors": 3, "warnings": 2, "valid": 9}

    served = {str(code) for (code,) in query(url, "SELECT DISTINCT board_code FROM staffing")}
    assert served == {c for c, r in planned.items() if r.expected != "errors"}
    feedback = {p.parent.name for p in (folder / "feedback").rglob("*.html")}
    assert feedback == {c for c, r in planned.items() if r.problems}
