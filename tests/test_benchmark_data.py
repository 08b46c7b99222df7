"""The benchmark's own pieces: realistic landing areas and the cost model of growth."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import generate, periods, register_path
from benchmarks.run import cost_model, median_of
from domain.reference import BOARDS
from intake.register import read_register


def test_a_quarter_holds_every_board_and_every_funded_charity(tmp_path: Path) -> None:
    landing = tmp_path / "returns"

    written = generate(landing, quarters=1)

    files = sorted(landing.rglob("*.xlsx"))
    folders = {f.parent.name for f in files}
    register = read_register(register_path(landing))
    assert written == len(files) == 14 + 34
    assert set(BOARDS) <= folders
    assert register.problems == ()
    assert folders - set(BOARDS) == set(register.entries["charity_number"].to_list())
    assert not register_path(landing).is_relative_to(landing)


def test_periods_start_with_the_programme_so_a_register_is_in_force() -> None:
    assert periods(5) == [
        ("2019-20", "Q1"), ("2019-20", "Q2"), ("2019-20", "Q3"), ("2019-20", "Q4"),
        ("2020-21", "Q1"),
    ]  # fmt: skip


def test_the_cost_model_recovers_a_fixed_cost_and_a_rate() -> None:
    runs = [(n, 1.5 + n / 400) for n in (100, 400, 1600)]

    fixed, per_return, worst = cost_model(runs)

    assert fixed == pytest.approx(1.5)
    assert 1 / per_return == pytest.approx(400)
    assert worst == pytest.approx(0, abs=1e-9)


def test_steady_state_is_the_median_of_its_runs_with_their_spread() -> None:
    timings = iter([4.0, 2.0, 3.0])

    n, seconds, spread = median_of(3, lambda: (1920, next(timings)))

    assert (n, seconds) == (1920, 3.0)
    assert spread == " (median of 3 runs: 2.00..4.00 s)"
