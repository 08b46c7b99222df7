"""The plausibility rules on polars frames: each fires past its threshold and not short of it."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from intake.plausibility import previous_quarters
from transforms.plausibility import (
    CURRENT_EXTRA,
    FIGURE_SCHEMA,
    Thresholds,
    plausibility_warnings,
)

LOTHIAN = "S08000024"
CHARITY = "SC012345"

Row = tuple[object, ...]


def _current(*rows: Row) -> pl.DataFrame:
    """Rows of (template, reporter, year, quarter, sheet, subject, measure, value, cell,
    explanation[, answers_only]); every row is return 0's."""
    full = [(*row[:8], 0, row[8], row[9], row[10] if len(row) > 10 else False) for row in rows]
    return pl.DataFrame(full, schema={**FIGURE_SCHEMA, **CURRENT_EXTRA}, orient="row")


def _previous(*rows: Row) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=FIGURE_SCHEMA, orient="row")


def _board(quarter: str, sheet: str, subject: str, measure: str | None, value: float | None) -> Row:
    return ("BQR", LOTHIAN, "2022-23", quarter, sheet, subject, measure, value)


def _now(sheet: str, subject: str, measure: str, value: float | None, cell: str) -> Row:
    return (*_board("Q2", sheet, subject, measure, value), cell, None)


def _rules(current: pl.DataFrame, previous: pl.DataFrame, **thresholds: float) -> list[str]:
    return plausibility_warnings(current, previous, Thresholds(**thresholds))["rule"].to_list()


def test_a_caseload_tripling_is_a_warning_naming_both_quarters_and_values() -> None:
    """It words the warning as SPEC's example, at the new figure's cell."""
    found = plausibility_warnings(
        _current(_now("Activity", "CPMHT", "open_caseload", 130, "Activity!E5")),
        _previous(_board("Q1", "Activity", "CPMHT", "open_caseload", 40)),
    )
    assert found.select("rule", "cell", "value", "message", "explanation").rows() == [
        (
            "count_jump",
            "Activity!E5",
            "130",
            "Open caseload for CPMHT rose from 40 in 2022-23 Q1 to 130 in Q2; please check "
            "it or explain it.",
            None,
        )
    ]


def test_q1_is_compared_with_the_previous_years_q4() -> None:
    """It compares Q1 with Q4 of the year before, naming both years."""
    current = _current(
        ("BQR", LOTHIAN, "2023-24", "Q1", "Activity", "IMH", "referrals_received", 10.0,
         "Activity!B6", "A new clinic"),
    )  # fmt: skip
    previous = _previous(
        ("BQR", LOTHIAN, "2022-23", "Q4", "Activity", "IMH", "referrals_received", 30.0)
    )
    (message, explanation) = (
        plausibility_warnings(current, previous).select("message", "explanation").row(0)
    )
    assert message.startswith(
        "Referrals received for IMH fell from 30 in 2022-23 Q4 to 10 in 2023-24 Q1"
    )
    assert explanation == "A new clinic"


def test_only_the_quarter_immediately_before_is_compared() -> None:
    """It ignores figures from any other quarter, and other reporters' figures."""
    current = _current(_now("Activity", "CPMHT", "open_caseload", 130, "Activity!E5"))
    previous = _previous(
        ("BQR", LOTHIAN, "2021-22", "Q1", "Activity", "CPMHT", "open_caseload", 10.0),
        ("BQR", LOTHIAN, "2022-23", "Q3", "Activity", "CPMHT", "open_caseload", 10.0),
        ("BQR", "S08000031", "2022-23", "Q1", "Activity", "CPMHT", "open_caseload", 10.0),
    )
    assert _rules(current, previous) == []


@given(
    old=st.integers(1, 100_000).map(lambda n: n / 100),
    new=st.integers(0, 100_000).map(lambda n: n / 100),
    change=st.sampled_from([0.25, 0.5, 1.0]),
)
def test_funded_wte_warns_exactly_when_it_changes_by_more_than_the_threshold(
    old: float, new: float, change: float
) -> None:
    """It warns when funded WTE moves by more than the fraction configured, never less."""
    current = _current(_now("Staffing", "CPMHT (Psychology)", "funded_wte", new, "Staffing!C5"))
    previous = _previous(_board("Q1", "Staffing", "CPMHT (Psychology)", "funded_wte", old))
    fired = _rules(current, previous, wte_change=change) == ["wte_change"]
    assert fired == (abs(new - old) > change * old)


@given(
    old=st.integers(1, 10_000),
    new=st.integers(0, 100_000),
    factor=st.sampled_from([1.5, 2.0, 3.0]),
    measure=st.sampled_from(["open_caseload", "referrals_received", "referrals_accepted"]),
)
def test_caseload_and_referrals_warn_exactly_when_they_double_or_halve(
    old: int, new: int, factor: float, measure: str
) -> None:
    """It warns at `factor` times last quarter's figure or 1/`factor` of it, not in between."""
    current = _current(_now("Activity", "CPMHT", measure, new, "Activity!E5"))
    previous = _previous(_board("Q1", "Activity", "CPMHT", measure, old))
    fired = _rules(current, previous, count_factor=factor) == ["count_jump"]
    assert fired == (new >= factor * old or new * factor <= old)


def test_doubling_and_halving_are_warnings_and_a_smaller_change_is_not() -> None:
    """It warns at exactly double or half (the defaults), not at 1.99 times."""
    previous = _previous(_board("Q1", "Activity", "CPMHT", "open_caseload", 100))
    for new, expected in ((200, ["count_jump"]), (50, ["count_jump"]), (199, []), (51, [])):
        current = _current(_now("Activity", "CPMHT", "open_caseload", new, "Activity!E5"))
        assert _rules(current, previous) == expected, new


def test_a_figure_not_reported_or_zero_before_is_not_compared() -> None:
    """It needs both figures, and a last quarter's figure above zero, to compare."""
    current = _current(
        _now("Activity", "CPMHT", "open_caseload", 130, "Activity!E5"),
        _now("Activity", "IMH", "open_caseload", None, "Activity!E6"),
    )
    previous = _previous(
        _board("Q1", "Activity", "CPMHT", "open_caseload", 0),
        _board("Q1", "Activity", "IMH", "open_caseload", 40),
    )
    assert _rules(current, previous) == []


@given(
    before=st.integers(0, 10_000_000).map(lambda n: n / 100),
    after=st.integers(0, 10_000_000).map(lambda n: n / 100),
)
def test_an_allocation_changing_within_the_year_warns(before: float, after: float) -> None:
    """It warns whenever the year's allocation changes between two of the year's quarters."""
    current = _current(_now("Finance", "CPMHT", "allocation_gbp", after, "Finance!B5"))
    previous = _previous(_board("Q1", "Finance", "CPMHT", "allocation_gbp", before))
    assert (_rules(current, previous) == ["allocation_change"]) == (round(before - after, 2) != 0)


def test_an_allocation_may_change_with_the_year_and_within_the_tolerance() -> None:
    """It expects a new allocation in a new year, and allows the tolerance configured."""
    current = _current(
        ("BQR", LOTHIAN, "2023-24", "Q1", "Finance", "CPMHT", "allocation_gbp", 600_000.0,
         "Finance!B5", None),
    )  # fmt: skip
    last_year = _previous(
        ("BQR", LOTHIAN, "2022-23", "Q4", "Finance", "CPMHT", "allocation_gbp", 500_000.0)
    )
    assert _rules(current, last_year) == []
    now = _current(_now("Finance", "CPMHT", "allocation_gbp", 500_100, "Finance!B5"))
    before = _previous(_board("Q1", "Finance", "CPMHT", "allocation_gbp", 500_000))
    assert _rules(now, before, allocation_tolerance_gbp=100) == []
    (message,) = plausibility_warnings(now, before)["message"].to_list()
    assert message.startswith(
        "Allocation for CPMHT changed from £500,000 in 2022-23 Q1 to £500,100 in Q2, but it is "
        "for the whole financial year"
    )


def test_a_charitys_grant_changing_within_the_year_warns() -> None:
    """It applies the allocation rule to a third-sector return's grant awarded."""
    current = _current(
        ("TSR", CHARITY, "2022-23", "Q2", "Finance", None, "grant_awarded_gbp", 65_000.0,
         "Finance!A5", None),
    )  # fmt: skip
    previous = _previous(
        ("TSR", CHARITY, "2022-23", "Q1", "Finance", None, "grant_awarded_gbp", 60_000.0)
    )
    found = plausibility_warnings(current, previous)
    assert found.select("rule", "cell").rows() == [("allocation_change", "Finance!A5")]
    assert found["message"][0].startswith("Grant awarded changed from £60,000 in 2022-23 Q1")


@given(
    allocation=st.integers(0, 10_000_000).map(lambda n: n / 100),
    spend=st.integers(0, 20_000_000).map(lambda n: n / 100),
)
def test_spend_above_the_years_allocation_warns(allocation: float, spend: float) -> None:
    """It warns when a quarter's spend is above the year's allocation, whatever came before."""
    current = _current(
        _now("Finance", "CPMHT", "allocation_gbp", allocation, "Finance!B5"),
        _now("Finance", "CPMHT", "spend_gbp", spend, "Finance!C5"),
    )
    fired = _rules(current, _previous()) == ["spend_above_allocation"]
    assert fired == (spend > allocation)


def test_a_service_reported_last_quarter_and_missing_now_warns() -> None:
    """It warns about a service with no row now; a row with only an explanation answers it."""
    current = _current(
        _now("Activity", "CPMHT", "open_caseload", 40, "Activity!E5"),
        (*_board("Q2", "Activity", "IMH", None, None), "Activity!A6", "Closed in July", True),
    )
    previous = _previous(
        _board("Q1", "Activity", "CPMHT", "open_caseload", 40),
        _board("Q1", "Activity", "IMH", "open_caseload", 20),
        _board("Q1", "Activity", "MNPI", "open_caseload", 10),
    )
    found = plausibility_warnings(current, previous)
    assert found.select("rule", "cell", "subject", "value", "explanation").rows() == [
        ("service_missing", "Activity", "MNPI", None, None),
        ("service_missing", "Activity!A6", "IMH", None, "Closed in July"),
    ]
    assert found["message"][0].startswith(
        "MNPI was reported in 2022-23 Q1 but has no row in this return for Q2."
    )


def test_a_return_within_every_threshold_has_no_warning() -> None:
    """It says nothing about ordinary quarter-to-quarter movement."""
    current = _current(
        _now("Staffing", "CPMHT (Psychology)", "funded_wte", 5.5, "Staffing!C5"),
        _now("Activity", "CPMHT", "open_caseload", 55, "Activity!E5"),
        _now("Finance", "CPMHT", "allocation_gbp", 500_000, "Finance!B5"),
        _now("Finance", "CPMHT", "spend_gbp", 120_000, "Finance!C5"),
    )
    previous = _previous(
        _board("Q1", "Staffing", "CPMHT (Psychology)", "funded_wte", 4.0),
        _board("Q1", "Activity", "CPMHT", "open_caseload", 40),
        _board("Q1", "Finance", "CPMHT", "allocation_gbp", 500_000),
        _board("Q1", "Finance", "CPMHT", "spend_gbp", 110_000),
    )
    assert _rules(current, previous) == []


AT = dt.datetime(2022, 10, 20, 9, 0, tzinfo=dt.UTC)


def _stored(value: float, received_at: dt.datetime) -> pl.DataFrame:
    return _previous(_board("Q1", "Activity", "CPMHT", "open_caseload", value)).with_columns(
        pl.lit(received_at).dt.cast_time_unit("us").alias("received_at")
    )


def test_the_previous_quarter_is_whichever_return_will_be_current() -> None:
    """It takes a later return of the same run for the previous quarter over the warehouse's,
    and the warehouse's when the run's is older."""
    in_run = _current(
        (*_board("Q1", "Activity", "CPMHT", "open_caseload", 40), "Activity!E5", None),
    ).with_columns(pl.lit(7, pl.Int64).alias("return_index"))
    later, earlier = AT + dt.timedelta(days=1), AT - dt.timedelta(days=1)

    chosen = previous_quarters(_stored(90, AT), in_run, {7: later})
    assert chosen["value"].to_list() == [40]
    chosen = previous_quarters(_stored(90, AT), in_run, {7: earlier})
    assert chosen["value"].to_list() == [90]
