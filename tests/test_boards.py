"""Resolving the ways boards write their names to GSS codes (SPEC.md, Reporters).

Matching forgives case, "&"/"and", a leading "NHS" and punctuation, and must never guess
between two boards: a name is one board or none.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.reference import BOARDS
from schemas.boards import closest_boards, normalise_board_name, resolve_board

BOARD_ITEMS = sorted(BOARDS.items())
PUNCTUATION = ".,;:!?-'\""


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(code, a way its board's name is written): case, "&", "NHS", spaces, punctuation."""
    code, name = draw(st.sampled_from(BOARD_ITEMS))
    words = name.split(" ")
    words = [draw(st.sampled_from(["and", "&", "AND", "And"])) if w == "and" else w for w in words]
    if draw(st.booleans()):
        words.insert(0, draw(st.sampled_from(["NHS", "nhs", "Nhs"])))
    gaps = [draw(st.sampled_from([" ", "  ", "\t", " \u00a0"])) for _ in words[1:]]
    text = words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:], strict=True))
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    text = "".join(ch.swapcase() if flip else ch for ch, flip in zip(text, flips, strict=True))
    before = draw(st.text(st.sampled_from(" \t"), max_size=2))
    after = draw(st.text(st.sampled_from(f" {PUNCTUATION}"), max_size=3))
    return code, f"{before}{text}{after}"


@given(spellings())
def test_every_board_resolves_from_any_spelling_of_its_name(case: tuple[str, str]) -> None:
    """It resolves a board's name in any case, with "&", "NHS", extra spaces or punctuation."""
    code, spelling = case
    assert resolve_board(spelling) == code


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("NHS GG&C", "S08000031"),
        ("Greater Glasgow & Clyde", "S08000031"),
        ("NHS Greater Glasgow and Clyde", "S08000031"),
        ("NHS Ayrshire & Arran", "S08000015"),
        ("NHS Dumfries & Galloway", "S08000017"),
        ("NHS Forth-Valley", "S08000019"),
        ("NHS Fife Health Board", "S08000029"),
        ("NHS Lothian.", "S08000024"),
        ("the NHS Western Isles", "S08000028"),
        ("NHS Eilean Siar", "S08000028"),
    ],
)
def test_names_seen_in_the_wild_resolve(spelling: str, code: str) -> None:
    """It resolves the spellings SPEC.md and boards actually use."""
    assert resolve_board(spelling) == code


@given(st.sampled_from(sorted(BOARDS)), st.sampled_from(["", " ", "  "]), st.booleans())
def test_every_code_resolves_to_itself(code: str, padding: str, lower: bool) -> None:
    """It resolves a GSS code, in either case and with spaces around, to that code."""
    assert resolve_board(f"{padding}{code.lower() if lower else code}{padding}") == code


@pytest.mark.parametrize(
    "spelling",
    [
        "Glasgow",
        "Lanark",
        "Clyde",
        "Greater Glasgow",
        "Ayrshire",
        "Arran",
        "Dumfries",
        "Galloway",
        "Forth",
        "Western",
        "Isles",
        "Lothian and Fife",
        "NHS Scotland",
        "NHS",
        "",
        "S08000018",
        "S08000021",
        "S0800024",
    ],
)
def test_a_name_that_matches_no_board_is_never_guessed(spelling: str) -> None:
    """It resolves part of a name, two boards at once, or a code not on the list, to None."""
    assert resolve_board(spelling) is None


@given(st.sampled_from([name for _, name in BOARD_ITEMS if " " in name]), st.data())
def test_part_of_a_boards_name_is_not_that_board(name: str, data: st.DataObject) -> None:
    """It never takes the first words of a many-word name for the board."""
    words = name.split(" ")
    cut = data.draw(st.integers(1, len(words) - 1))
    assert resolve_board(" ".join(words[:cut])) is None


def test_no_two_boards_share_a_normalised_name() -> None:
    """It can tell every board from every other once names are normalised."""
    names = [normalise_board_name(name) for name in BOARDS.values()]
    assert len(set(names)) == len(names)


def test_nothing_resolves_to_none_for_none() -> None:
    """It resolves a missing Cover value to None."""
    assert resolve_board(None) is None


@pytest.mark.parametrize(
    ("misspelling", "board"),
    [
        ("Lothain", "Lothian"),
        ("NHS Lothain", "Lothian"),
        ("Grampain", "Grampian"),
        ("Lanarksire", "Lanarkshire"),
        ("Tayisde", "Tayside"),
        ("Higland", "Highland"),
        ("Boarders", "Borders"),
        ("Orkeny", "Orkney"),
        ("Shetlands", "Shetland"),
        ("Westren Isles", "Western Isles"),
        ("Forth Vally", "Forth Valley"),
        ("Fiffe", "Fife"),
        ("Dumfries & Galoway", "Dumfries and Galloway"),
        ("Ayrshire & Aran", "Ayrshire and Arran"),
        ("Greater Glasgow & Clide", "Greater Glasgow and Clyde"),
    ],
)
def test_closest_boards_suggests_the_board_meant(misspelling: str, board: str) -> None:
    """It puts the board a misspelling was meant to be first among its suggestions."""
    assert resolve_board(misspelling) is None
    assert closest_boards(misspelling)[0] == board


@given(st.sampled_from([name for _, name in BOARD_ITEMS if len(name) >= 6]), st.data())
def test_a_one_letter_slip_still_suggests_the_board(name: str, data: st.DataObject) -> None:
    """It suggests the board (among up to three) for its name with one letter dropped or doubled."""
    position = data.draw(st.integers(0, len(name) - 1))
    doubled = data.draw(st.booleans())
    slip = (
        name[: position + 1] + name[position:]
        if doubled
        else name[:position] + name[position + 1 :]
    )
    assert name in closest_boards(slip)


def test_closest_boards_suggests_nothing_for_nonsense() -> None:
    """It suggests no board for text that is nothing like a board's name."""
    assert closest_boards("xyzzy 123") == []
