"""Which quarters' tracker artifacts a run publishes (the artifacts themselves:
tests/test_run_in_the_ui.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.periods import QUARTERS, Period
from intake.summary import trackers_to_publish

ALL = [Period(f"{y}-{(y + 1) % 100:02d}", q) for y in range(2019, 2025) for q in QUARTERS]


def test_a_backfill_publishes_its_latest_quarters_and_every_quarter_already_shown() -> None:
    touched = ALL[:12]

    chosen = trackers_to_publish(touched, published=[ALL[0], ALL[20]], limit=3)

    assert chosen == [ALL[0], ALL[9], ALL[10], ALL[11]]


def test_a_run_of_one_quarter_always_publishes_it() -> None:
    assert trackers_to_publish([ALL[5]], published=[], limit=8) == [ALL[5]]
    assert trackers_to_publish([ALL[5]], published=[ALL[5]], limit=0) == [ALL[5]]
    assert trackers_to_publish([ALL[5]], published=[], limit=0) == []


@given(
    touched=st.lists(st.sampled_from(ALL), unique=True).map(lambda ps: sorted(ps, key=ALL.index)),
    published=st.lists(st.sampled_from(ALL), unique=True),
    limit=st.integers(0, 25),
)
def test_every_shown_tracker_is_refreshed_and_at_most_limit_new_ones_the_latest(
    touched: list[Period], published: list[Period], limit: int
) -> None:
    chosen = trackers_to_publish(touched, published, limit)

    new = [p for p in touched if p not in published]
    assert chosen == [p for p in touched if p in chosen]  # in the order touched
    assert set(published) & set(touched) <= set(chosen) <= set(touched)
    assert [p for p in chosen if p not in published] == new[len(new) - min(limit, len(new)) :]
