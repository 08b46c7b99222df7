"""Properties of the free-text readers: numbers typed as text and header spellings.

SPEC.md: numbers typed as text (`"12"`, `" 3.5 "`, `"1,200"`, `"£1,200.50"`) are numbers;
column headers match ignoring case, spaces, underscores and units in brackets.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.text import header_key_columns
from domain.headers import header_keys
from domain.layouts import BQR, ColumnLayout, SheetLayout
from schemas.numbers import parse_number


def parsed(text: str) -> float | None:
    """What the reader makes of one typed cell."""
    frame = pl.DataFrame({"typed": [text]}, schema={"typed": pl.String})
    value: float | None = frame.select(parse_number(pl.col("typed")))["typed"][0]
    return value


# --- numbers typed as text -------------------------------------------------------------------

spaces = st.text(st.sampled_from([" ", "\t", "\u00a0"]), max_size=3)
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False
)
DecimalFormat = Callable[[Decimal], str]
DECIMAL_FORMATS: dict[str, DecimalFormat] = {
    "plain": lambda d: f"{d:f}",
    "thousands": lambda d: f"{d:,f}",
    "two places with thousands": lambda d: f"{d:,.2f}",
    "trailing zeros dropped": lambda d: f"{d.normalize():f}",
}


@st.composite
def typed_amounts(draw: st.DrawFn) -> tuple[Decimal, str]:
    """(amount, as a person types it): separators or not, a pound sign, spaces around."""
    amount = draw(amounts)
    text = DECIMAL_FORMATS[draw(st.sampled_from(sorted(DECIMAL_FORMATS)))](amount)
    if draw(st.booleans()):
        sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
        # A negative amount may be typed "£-5" or, as Excel shows it, "-£5".
        text = draw(st.sampled_from([f"£{sign}{digits}", f"{sign}£{digits}"]))
    return amount, f"{draw(spaces)}{text}{draw(spaces)}"


@given(typed_amounts())
def test_any_amount_with_two_decimals_reads_back_as_itself(case: tuple[Decimal, str]) -> None:
    """It reads a decimal of up to two places, however typed, as that same number."""
    amount, text = case
    assert parsed(text) == float(amount)


@given(st.integers(-(10**15), 10**15), st.booleans(), spaces, spaces)
def test_any_whole_number_reads_back_as_itself(
    number: int, separators: bool, before: str, after: str
) -> None:
    """It reads an integer typed with or without thousands separators as that integer."""
    text = f"{number:,}" if separators else str(number)
    assert parsed(f"{before}{text}{after}") == number


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12.0), (" 3.5 ", 3.5), ("1,200", 1200.0), ("£1,200.50", 1200.5), (".5", 0.5)],
)
def test_the_specs_examples_read_as_numbers(text: str, value: float) -> None:
    """It reads SPEC.md's own examples of numbers typed as text."""
    assert parsed(text) == value


@given(st.from_regex(r"\A-?\d{1,3},\d{1,2}\Z") | st.from_regex(r"\A\d{1,3},\d{4,6}\Z"))
def test_a_decimal_comma_is_not_a_number(text: str) -> None:
    """It refuses '1,2' or '3,50' (a decimal comma or a typo), never reading them as 12 or 350."""
    assert parsed(text) is None


@given(
    st.text(min_size=1, max_size=20).filter(
        lambda s: any(ch.isalpha() and ch not in "eE" for ch in s)
    )
)
def test_text_with_letters_is_not_a_number(text: str) -> None:
    """It refuses any text holding a letter (other than an exponent's e) as a number."""
    assert parsed(text) is None


@given(st.decimals(0, 1000, places=2), st.sampled_from(["WTE", "wte", "FTE", "people", "k"]))
def test_a_number_with_a_unit_is_not_a_number(number: Decimal, unit: str) -> None:
    """It refuses '12 WTE' and the like: a unit in the cell means the cell needs fixing."""
    assert parsed(f"{number} {unit}") is None
    assert parsed(f"{number}{unit}") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "-",
        ".",
        "£",
        "£-",
        "1.2.3",
        "1,2",
        "12,34,567",
        "1,,200",
        "--1",
        "1e",
        "n/a",
        "TBC",
    ],
)
def test_garbage_is_not_a_number(text: str) -> None:
    """It refuses text that is no number rather than guessing."""
    assert parsed(text) is None


# --- headers -------------------------------------------------------------------------------

ALL_COLUMNS: list[tuple[SheetLayout, ColumnLayout]] = [
    (sheet, column) for sheet in BQR.sheets for column in sheet.columns
]


def _random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.swapcase() if flip else ch for ch, flip in zip(text, flips, strict=True))


@st.composite
def header_spellings(draw: st.DrawFn) -> tuple[SheetLayout, ColumnLayout, str]:
    """A column of the template and one way a board might spell its header."""
    sheet, column = draw(st.sampled_from(ALL_COLUMNS))
    words = column.header.split(" ")
    unit = column.unit
    units = [None, f"({unit})", f"[{unit}]", unit] if unit else [None, "(number)", "(people)"]
    chosen = draw(st.sampled_from(units))
    if chosen is not None:
        words.append(chosen)
    gaps = [draw(st.sampled_from([" ", "  ", "_", "", " _ "])) for _ in words[1:]]
    text = words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:], strict=True))
    return sheet, column, f"{draw(spaces)}{_random_case(draw, text)}{draw(spaces)}"


@given(header_spellings())
def test_every_header_matches_its_column_in_any_spelling(
    case: tuple[SheetLayout, ColumnLayout, str],
) -> None:
    """It matches case, space, underscore and bracketed-unit variants of every template header."""
    sheet, column, spelling = case
    keys = header_keys(spelling)
    assert keys & column.match_keys, spelling
    others = [c.key for c in sheet.columns if c is not column and keys & c.match_keys]
    assert others == [], f"{spelling!r} also matches {others}"


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("Funded WTE", "funded_wte"),
        ("funded_wte", "funded_wte"),
        ("Funded (WTE)", "funded_wte"),
        ("FUNDED WTE", "funded_wte"),
        ("In post", "in_post_wte"),
        ("Vacant [WTE]", "vacant_wte"),
        ("Allocation (£)", "allocation_gbp"),
        ("Spend in quarter £", "spend_gbp"),
        ("waiting_over_12_weeks", "waiting_over_12_weeks"),
    ],
)
def test_the_specs_header_spellings_are_one_header(spelling: str, key: str) -> None:
    """It matches SPEC.md's examples (`Funded WTE`, `funded_wte`, `Funded (WTE)`) and kin."""
    matches = [c.key for _, c in ALL_COLUMNS if header_keys(spelling) & c.match_keys]
    assert matches == [key]


@pytest.mark.parametrize("spelling", ["Funded posts", "WTE", "Referrals", "Spend", "Beds"])
def test_a_different_header_matches_no_column(spelling: str) -> None:
    """It does not match a header that only shares a word with a template header."""
    assert [c.key for _, c in ALL_COLUMNS if header_keys(spelling) & c.match_keys] == []


@given(st.lists(st.text(max_size=40), min_size=1, max_size=20))
def test_header_keys_in_polars_match_header_keys_in_python(typed: list[str]) -> None:
    """Tables over many sheets are located with the polars form of `header_keys`: it must
    give the same two keys for any text a header cell may hold."""
    frame = pl.DataFrame({"typed": typed}, schema={"typed": pl.String})
    without_unit, with_unit = header_key_columns(pl.col("typed"))

    keys = frame.select(without_unit.alias("a"), with_unit.alias("b")).rows()

    assert [frozenset(pair) for pair in keys] == [header_keys(text) for text in typed]
