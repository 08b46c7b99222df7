"""The register of funded organisations: checking the CSV, storing versions, the commands.

SPEC.md: the register is a CSV the data team keeps (`charity_number,name,fund,award_gbp,
board_areas`); a return is checked against the version in force for its quarter.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect
from typer.testing import CliRunner, Result

from domain.reference import FUNDS
from domain.register import RegisterFile
from intake.register import check_register, read_register
from pimh.cli import app
from schemas.register import normalise_charity_number, normalise_fund
from tests.queries import query
from warehouse.engine import open_warehouse
from warehouse.register import all_register_versions, register_entry_for, version_in_force
from warehouse.register_load import RegisterError, load_register

HEADER = "charity_number,name,fund,award_gbp,board_areas"
MUMS = "SC012345,Mums Matter,MAIN,25000,S08000024;S08000031"
DADS = "SC023456,Dads Together,SMALL,4500,S08000029"
LOTHIAN, GLASGOW, FIFE = "S08000024", "S08000031", "S08000029"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x"
PROGRAMME_START = dt.date(2019, 4, 1)


def write_csv(folder: Path, *lines: str, name: str = "register.csv") -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_of(folder: Path, *lines: str) -> list[str]:
    return list(read_register(write_csv(folder, *lines)).problems)


def counts(url: str) -> tuple[object, ...]:
    """Rows in the three register tables."""
    return query(
        url,
        "SELECT (SELECT COUNT(*) FROM register_version), (SELECT COUNT(*) FROM register_entry),"
        " (SELECT COUNT(*) FROM register_board_area)",
    )[0]


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    """The warehouse as pimh opens it (SQLite enforces foreign keys only that way)."""
    engine = open_warehouse(warehouse_url)
    yield engine
    engine.dispose()


# --- reading: what is forgiven --------------------------------------------------------------


def test_spreadsheet_habits_are_forgiven_and_normalised(tmp_path: Path) -> None:
    """A BOM, CRLF, header spelling, padding, lower case, fund names, pounds, board names,
    blank lines and extra columns are all read; board areas are de-duplicated."""
    path = tmp_path / "register.csv"
    path.write_bytes(
        b"\xef\xbb\xbfCharity Number, Name ,FUND,award_gbp,board_areas,notes\r\n"
        b' sc012345 ,  Mums Matter ,main grants,"\xc2\xa325,000.50",'
        b"s08000024 ; Lothian;NHS GG&C;\r\n"
        b"\r\n"
        b"SC023456,Dads Together, Small ,1 200,Fife,renewed 2023\r\n"
    )

    register = read_register(path)

    assert register.problems == ()
    assert register.entries.to_dicts() == [
        {
            "charity_number": "SC012345",
            "name": "Mums Matter",
            "fund": "MAIN",
            "award_gbp": 25000.5,
            "source_line": 2,
        },
        {
            "charity_number": "SC023456",
            "name": "Dads Together",
            "fund": "SMALL",
            "award_gbp": 1200.0,
            "source_line": 4,
        },
    ]
    assert register.board_areas.rows() == [
        ("SC012345", LOTHIAN),
        ("SC012345", GLASGOW),
        ("SC023456", FIFE),
    ]
    assert register.source_name == "register.csv"
    assert len(register.sha256) == 64


# --- reading: every rule, with its line and message ----------------------------------------

RULES = {
    "charity number format": (
        "SC12345,Mums Matter,MAIN,25000,S08000024",
        "register.csv line 3: 'SC12345' is not a Scottish charity number "
        "(SC followed by six digits).",
    ),
    "charity number of another country": (
        "1012345,Mums Matter,MAIN,25000,S08000024",
        "register.csv line 3: '1012345' is not a Scottish charity number "
        "(SC followed by six digits).",
    ),
    "charity number empty": (
        ",Mums Matter,MAIN,25000,S08000024",
        "register.csv line 3: charity_number is empty; expected a Scottish charity number "
        "(SC followed by six digits).",
    ),
    "name empty": (
        "SC034567,  ,MAIN,25000,S08000024",
        "register.csv line 3: name is empty; expected the organisation's name.",
    ),
    "fund unknown": (
        "SC034567,Bumps,GOLD,25000,S08000024",
        "register.csv line 3: 'GOLD' is not a fund; expected MAIN or SMALL "
        "(Main Grants or Small Grants).",
    ),
    "fund empty": (
        "SC034567,Bumps,,25000,S08000024",
        "register.csv line 3: fund is empty; expected MAIN or SMALL (Main Grants or Small Grants).",
    ),
    "award not a number": (
        "SC034567,Bumps,MAIN,25k,S08000024",
        "register.csv line 3: '25k' is not an amount in pounds; expected a number such as "
        "25000 or £25,000.",
    ),
    "award with a decimal comma": (
        'SC034567,Bumps,MAIN,"25,5",S08000024',
        "register.csv line 3: '25,5' is not an amount in pounds; expected a number such as "
        "25000 or £25,000.",
    ),
    "award empty": (
        "SC034567,Bumps,MAIN,,S08000024",
        "register.csv line 3: award_gbp is empty; expected the award in pounds, e.g. 25000.",
    ),
    "award negative": (
        "SC034567,Bumps,MAIN,-£500,S08000024",
        "register.csv line 3: '-£500' is a negative award; expected an amount of £0 or more.",
    ),
    "award too large": (
        "SC034567,Bumps,MAIN,1e15,S08000024",
        "register.csv line 3: '1e15' is more than the warehouse can hold "
        "(£999,999,999,999.99); check the amount.",
    ),
    "board areas empty": (
        "SC034567,Bumps,MAIN,500, ; ",
        "register.csv line 3: board_areas is empty; expected at least one NHS board code, "
        "e.g. S08000024 (several separated by ';').",
    ),
    "board code unknown": (
        "SC034567,Bumps,MAIN,500,S08000099",
        "register.csv line 3: 'S08000099' in board_areas is not an NHS board code or name; "
        "expected a code such as S08000024.",
    ),
    "board name misspelt": (
        "SC034567,Bumps,MAIN,500,S08000024;Lothain",
        "register.csv line 3: 'Lothain' in board_areas is not an NHS board code or name; "
        "did you mean S08000024 (Lothian)?",
    ),
    "boards separated by commas": (
        'SC034567,Bumps,MAIN,500,"S08000024, S08000031"',
        "register.csv line 3: 'S08000024, S08000031' in board_areas is not an NHS board code "
        "or name; separate several boards with ';'.",
    ),
    "duplicate charity number": (
        " sc012345 ,Mums Matter again,MAIN,500,S08000024",
        "register.csv line 3: charity number ' sc012345 ' is already on line 2; each "
        "organisation is listed once.",
    ),
    "unquoted comma": (
        "SC034567,Bumps, Babies and Us,MAIN,500,S08000024",
        "register.csv line 3: 6 values where the header has 5 columns (found 'SC034567,Bumps, "
        "Babies and Us,MAIN,500,S08000024'); a name or amount containing a comma must be in "
        "double quotes.",
    ),
}


@pytest.mark.parametrize(("line", "message"), RULES.values(), ids=RULES.keys())
def test_each_rule_names_the_line_and_the_value(tmp_path: Path, line: str, message: str) -> None:
    assert problems_of(tmp_path, HEADER, MUMS, line) == [message]


def test_every_problem_is_found_in_one_pass_in_line_order(tmp_path: Path) -> None:
    """Several problems on a line and on several lines are all listed, not the first only."""
    problems = problems_of(
        tmp_path,
        HEADER,
        "SC12,,GOLD,-1,Lothain;S08000099",
        MUMS,
        "",
        '"SC012345","Mums\nMatter",Small Grants,abc,',
        DADS,
    )

    assert problems == [
        "register.csv line 2: 'SC12' is not a Scottish charity number (SC followed by six digits).",
        "register.csv line 2: name is empty; expected the organisation's name.",
        "register.csv line 2: 'GOLD' is not a fund; expected MAIN or SMALL (Main Grants or "
        "Small Grants).",
        "register.csv line 2: '-1' is a negative award; expected an amount of £0 or more.",
        "register.csv line 2: 'Lothain' in board_areas is not an NHS board code or name; did "
        "you mean S08000024 (Lothian)?",
        "register.csv line 2: 'S08000099' in board_areas is not an NHS board code or name; "
        "expected a code such as S08000024.",
        # Line 4 is blank (ignored); this record spans lines 5 and 6.
        "register.csv line 5: charity number 'SC012345' is already on line 3; each "
        "organisation is listed once.",
        "register.csv line 5: 'abc' is not an amount in pounds; expected a number such as "
        "25000 or £25,000.",
        "register.csv line 5: board_areas is empty; expected at least one NHS board code, "
        "e.g. S08000024 (several separated by ';').",
    ]


def test_a_third_twin_names_the_first_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, HEADER, MUMS, DADS, MUMS, MUMS)

    assert problems == [
        f"register.csv line {n}: charity number 'SC012345' is already on line 2; each "
        "organisation is listed once."
        for n in (4, 5)
    ]


# --- reading: whole-file problems ------------------------------------------------------------


def test_a_file_that_is_not_utf8_names_each_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(
        f"{HEADER}\n{MUMS}\nSC023456,Dads Together,SMALL,\xa34500,Fife\n".encode("cp1252")
    )

    assert read_register(path).problems == (
        "register.csv line 3: the file is not UTF-8 text (byte 0xA3 in 'SC023456,Dads "
        "Together,SMALL,£4500,Fife'); save the register as 'CSV UTF-8'.",
    )


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n \n"], ids=["empty", "bom", "blank"])
def test_an_empty_file_is_a_problem(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(content)

    assert read_register(path).problems == (
        "register.csv line 1: the file is empty; expected the header "
        "charity_number,name,fund,award_gbp,board_areas.",
    )


def test_a_header_with_no_organisation_is_a_problem(tmp_path: Path) -> None:
    assert problems_of(tmp_path, HEADER, "", ",,,,") == [
        "register.csv line 2: no organisation follows the header; a register lists at least "
        "one organisation."
    ]


def test_a_header_lacking_columns_names_them(tmp_path: Path) -> None:
    """Rows are not checked against a header that is wrong: every line would be a problem."""
    problems = problems_of(tmp_path, "charity_number,organisation,award,board_areas", MUMS)

    assert problems == [
        "register.csv line 1: the header has no 'name', 'fund', 'award_gbp' columns (found "
        "'charity_number,organisation,award,board_areas'); expected "
        "charity_number,name,fund,award_gbp,board_areas."
    ]


def test_a_header_lacking_one_column_says_so_in_the_singular(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "charity_number,name,fund,board_areas", MUMS)

    assert problems == [
        "register.csv line 1: the header has no 'award_gbp' column (found "
        "'charity_number,name,fund,board_areas'); expected "
        "charity_number,name,fund,award_gbp,board_areas."
    ]


def test_an_unclosed_quote_names_its_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, HEADER, MUMS, 'SC023456,"Dads Together,SMALL,4500,Fife')

    assert problems == [
        "register.csv line 3: a double quote on this line is never closed (found "
        "'SC023456,\"Dads Together,SMALL,4500,Fife'); a quoted value must end with a double "
        "quote."
    ]


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    assert read_register(tmp_path / "nowhere.csv").problems == (
        "nowhere.csv could not be opened: No such file or directory.",
    )


def test_a_register_with_problems_carries_no_rows(tmp_path: Path) -> None:
    register = read_register(write_csv(tmp_path, HEADER, MUMS, "SC1,x,MAIN,1,Fife"))

    assert register.problems
    assert register.entries.is_empty()
    assert register.board_areas.is_empty()


# --- the normalisers --------------------------------------------------------------------------

padding = st.text(st.sampled_from([" ", "\t", "\u00a0"]), max_size=3)


def normalised(expression: pl.Expr, text: str) -> str | None:
    frame = pl.DataFrame({"typed": [text]}, schema={"typed": pl.String})
    value: str | None = frame.select(expression)["typed"][0]
    return value


def mixed_case(draw: st.DrawFn, text: str) -> str:
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)


@st.composite
def typed_charity_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(the number, as someone might type it in a spreadsheet)."""
    digits = draw(st.text(st.sampled_from("0123456789"), min_size=6, max_size=6))
    typed = draw(padding) + mixed_case(draw, "sc") + digits + draw(padding)
    return f"SC{digits}", typed


@given(typed_charity_numbers())
def test_a_charity_number_survives_case_and_padding(case: tuple[str, str]) -> None:
    number, typed = case
    assert normalised(normalise_charity_number(pl.col("typed")), typed) == number


@given(st.text(max_size=12))
def test_the_charity_number_normaliser_yields_a_valid_number_or_nothing(text: str) -> None:
    result = normalised(normalise_charity_number(pl.col("typed")), text)
    if result is not None:
        assert re.fullmatch(r"SC[0-9]{6}", result)
        assert result[2:] in text
        assert normalised(normalise_charity_number(pl.col("typed")), result) == result


@given(st.text(st.sampled_from("0123456789"), max_size=10).filter(lambda d: len(d) != 6))
def test_a_charity_number_needs_exactly_six_digits(digits: str) -> None:
    assert normalised(normalise_charity_number(pl.col("typed")), f"SC{digits}") is None


@st.composite
def typed_funds(draw: st.DrawFn) -> tuple[str, str]:
    """(the fund code, its code or name as someone might type it)."""
    code = draw(st.sampled_from(sorted(FUNDS)))
    words = draw(st.sampled_from([code, FUNDS[code]])).split(" ")
    gaps = [draw(st.text(st.sampled_from(" \t"), min_size=1, max_size=3)) for _ in words[1:]]
    spelt = words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:], strict=True))
    return code, draw(padding) + mixed_case(draw, spelt) + draw(padding)


@given(typed_funds())
def test_a_fund_is_read_from_its_code_or_name_in_any_case(case: tuple[str, str]) -> None:
    code, typed = case
    assert normalised(normalise_fund(pl.col("typed")), typed) == code


@given(st.text(st.sampled_from(string.ascii_letters + " \t"), max_size=14))
def test_the_fund_normaliser_knows_exactly_the_codes_and_names(text: str) -> None:
    key = " ".join(text.lower().split())
    known = {**{c.lower(): c for c in FUNDS}, **{n.lower(): c for c, n in FUNDS.items()}}
    assert normalised(normalise_fund(pl.col("typed")), text) == known.get(key)


@given(st.text(max_size=14))
def test_the_fund_normaliser_yields_a_fund_or_nothing(text: str) -> None:
    assert normalised(normalise_fund(pl.col("typed")), text) in {None, *FUNDS}


# --- loading into the warehouse (SQLite and PostgreSQL) -----------------------------------------


def test_a_register_loads_as_one_version(
    tmp_path: Path, engine: Engine, warehouse_url: str
) -> None:
    """An empty database is migrated; the version, entries and board areas are stored."""
    path = write_csv(tmp_path, HEADER, MUMS, DADS)

    result = load_register(engine, read_register(path))

    assert result.version_id == 1
    assert result.entries == 2
    assert not result.already_loaded
    assert result.in_force_from == PROGRAMME_START
    assert result.organisations_by_fund == {"MAIN": 1, "SMALL": 1}
    assert result.total_award_gbp == 29500.0
    assert counts(warehouse_url) == (1, 2, 3)
    assert query(
        warehouse_url,
        "SELECT charity_number, name, fund, award_gbp, source_line FROM register_entry "
        "ORDER BY charity_number",
    ) == [
        ("SC012345", "Mums Matter", "MAIN", 25000.0, 2),
        ("SC023456", "Dads Together", "SMALL", 4500.0, 3),
    ]
    assert register_entry_for(engine, "SC012345", "2019-20", "Q1") == {
        "version_id": 1,
        "in_force_from": PROGRAMME_START,
        "charity_number": "SC012345",
        "name": "Mums Matter",
        "fund": "MAIN",
        "award_gbp": 25000.0,
        "board_areas": [LOTHIAN, GLASGOW],
    }


def test_the_version_row_records_the_file(
    tmp_path: Path, engine: Engine, warehouse_url: str
) -> None:
    path = write_csv(tmp_path, HEADER, MUMS, DADS, name="register-2023.csv")

    load_register(engine, read_register(path))

    (row,) = query(
        warehouse_url, "SELECT source_name, sha256, entry_count, loaded_at FROM register_version"
    )
    assert row[:3] == ("register-2023.csv", read_register(path).sha256, 2)
    assert row[3] is not None
    assert str(all_register_versions(engine)["in_force_from"][0]) == "2019-04-01"


def test_a_bad_register_writes_nothing(tmp_path: Path, engine: Engine, warehouse_url: str) -> None:
    """After a good version, a bad file adds no version, entry or board area."""
    load_register(engine, read_register(write_csv(tmp_path, HEADER, MUMS, DADS)))
    bad = write_csv(tmp_path, HEADER, MUMS, "SC034567,Bumps,MAIN,500,Narnia", name="bad.csv")

    with pytest.raises(RegisterError) as raised:
        load_register(engine, read_register(bad))

    assert raised.value.problems == [
        "bad.csv line 3: 'Narnia' in board_areas is not an NHS board code or name; expected a "
        "code such as S08000024."
    ]
    assert str(raised.value) == raised.value.problems[0]
    assert counts(warehouse_url) == (1, 2, 3)


def test_a_bad_register_does_not_even_create_the_tables(tmp_path: Path, engine: Engine) -> None:
    bad = write_csv(tmp_path, HEADER, "SC1,,,,")

    with pytest.raises(RegisterError) as raised:
        load_register(engine, read_register(bad))

    assert len(raised.value.problems) == 5
    assert str(raised.value).count("\n") == 4
    assert "register_version" not in inspect(engine).get_table_names()


def test_a_failure_part_way_through_leaves_nothing(
    tmp_path: Path, engine: Engine, warehouse_url: str
) -> None:
    """The version, entries and board areas are one transaction: a board area the database
    refuses (here one that slipped past the checks) undoes the version and its entries."""
    load_register(engine, read_register(write_csv(tmp_path, HEADER, MUMS)))
    good = read_register(write_csv(tmp_path, HEADER, DADS, name="next.csv"))
    slipped = RegisterFile(
        good.source_name,
        good.sha256,
        entries=good.entries,
        board_areas=pl.DataFrame({"charity_number": ["SC023456"], "board_code": ["S08000099"]}),
    )

    with pytest.raises(Exception, match=r"(?i)foreign key"):
        load_register(engine, slipped)

    assert counts(warehouse_url) == (1, 1, 2)


def test_a_later_version_is_kept_beside_the_first_and_rules_from_its_quarter(
    tmp_path: Path, engine: Engine, warehouse_url: str
) -> None:
    first = load_register(engine, read_register(write_csv(tmp_path, HEADER, MUMS, name="v1.csv")))
    renewed = "SC012345,Mums Matter,SMALL,9000,S08000024"
    second = load_register(
        engine,
        read_register(write_csv(tmp_path, HEADER, renewed, DADS, name="v2.csv")),
        in_force_from=dt.date(2023, 4, 1),
    )

    assert (first.version_id, second.version_id) == (1, 2)
    assert counts(warehouse_url) == (2, 3, 4)
    versions = all_register_versions(engine)
    assert version_in_force(versions, "2022-23", "Q4") == 1
    assert version_in_force(versions, "2023-24", "Q1") == 2
    before = register_entry_for(engine, "SC012345", "2022-23", "Q4")
    after = register_entry_for(engine, "SC012345", "2023-24", "Q1")
    assert before is not None
    assert after is not None
    assert (before["fund"], before["award_gbp"], before["board_areas"]) == (
        "MAIN",
        25000.0,
        [LOTHIAN, GLASGOW],
    )
    assert (after["fund"], after["award_gbp"], after["board_areas"]) == ("SMALL", 9000.0, [LOTHIAN])
    assert register_entry_for(engine, "SC023456", "2022-23", "Q4") is None
    assert register_entry_for(engine, "SC023456", "2023-24", "Q2") is not None
    # The `register` view, as a SQL client sees it, agrees.
    assert query(
        warehouse_url,
        "SELECT financial_year, quarter, charity_number, fund, version_id FROM register "
        "WHERE financial_year IN ('2022-23', '2023-24') AND quarter IN ('Q4', 'Q1') "
        "ORDER BY financial_year, quarter, charity_number",
    ) == [
        ("2022-23", "Q1", "SC012345", "MAIN", 1),
        ("2022-23", "Q4", "SC012345", "MAIN", 1),
        ("2023-24", "Q1", "SC012345", "SMALL", 2),
        ("2023-24", "Q1", "SC023456", "SMALL", 2),
        ("2023-24", "Q4", "SC012345", "SMALL", 2),
        ("2023-24", "Q4", "SC023456", "SMALL", 2),
    ]


def test_reloading_the_same_file_is_a_no_op(
    tmp_path: Path, engine: Engine, warehouse_url: str
) -> None:
    path = write_csv(tmp_path, HEADER, MUMS, DADS)
    first = load_register(engine, read_register(path))

    again = load_register(engine, read_register(path))

    assert again.already_loaded
    assert again.version_id == first.version_id
    assert (again.entries, again.in_force_from) == (2, PROGRAMME_START)
    assert counts(warehouse_url) == (1, 2, 3)


def test_the_same_file_from_another_quarter_is_a_new_version(
    tmp_path: Path, engine: Engine, warehouse_url: str
) -> None:
    path = write_csv(tmp_path, HEADER, MUMS, DADS)
    load_register(engine, read_register(path))

    later = load_register(engine, read_register(path), in_force_from=dt.date(2024, 4, 1))

    assert not later.already_loaded
    assert later.version_id == 2
    assert counts(warehouse_url) == (2, 4, 6)


def test_reloading_an_older_file_makes_it_current_again(
    tmp_path: Path, engine: Engine, warehouse_url: str
) -> None:
    """A, then a corrected B, then A again (B was wrong): A must be in force again, so the
    third load is a new version, not 'already loaded'."""
    a = write_csv(tmp_path, HEADER, MUMS, name="a.csv")
    b = write_csv(tmp_path, HEADER, DADS, name="b.csv")
    load_register(engine, read_register(a))
    load_register(engine, read_register(b))

    again = load_register(engine, read_register(a))

    assert not again.already_loaded
    assert again.version_id == 3
    assert version_in_force(all_register_versions(engine), "2020-21", "Q1") == 3
    assert register_entry_for(engine, "SC012345", "2020-21", "Q1") is not None
    assert counts(warehouse_url) == (3, 3, 5)


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each command runs in its own folder, so the default SQLite file lands there."""
    monkeypatch.chdir(tmp_path)
    for name in ("PIMH_WAREHOUSE_URL", "PIMH_ARCHIVE_URL", "PIMH_FEEDBACK_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def invoke(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(app, args, env={"COLUMNS": "200", **env})


def test_register_load_prints_a_summary(workdir: Path, warehouse_url: str) -> None:
    path = write_csv(workdir, HEADER, MUMS, DADS, "SC034567,Bumps,MAIN,1000.5,Fife")

    result = invoke(["register", "load", str(path), "--warehouse", warehouse_url])

    assert result.exit_code == 0, result.output
    assert "Loaded register.csv as register version 1, in force from 1 April 2019 (2019-20 Q1)" in (
        result.output
    )
    assert re.search(r"MAIN\s*│\s*2\b", result.output)
    assert re.search(r"SMALL\s*│\s*1\b", result.output)
    assert "Total award: £30,500.50" in result.output
    assert counts(warehouse_url) == (1, 3, 4)


def test_register_load_from_a_quarter(workdir: Path, warehouse_url: str) -> None:
    first = write_csv(workdir, HEADER, MUMS, name="v1.csv")
    second = write_csv(workdir, HEADER, DADS, name="v2.csv")
    assert invoke(["register", "load", str(first), "--warehouse", warehouse_url]).exit_code == 0

    result = invoke(
        [
            *("register", "load", str(second), "--warehouse", warehouse_url),
            *("--from-year", "2023-24", "--from-quarter", "q3"),
        ]
    )

    assert result.exit_code == 0, result.output
    assert "register version 2, in force from 1 October 2023 (2023-24 Q3)" in result.output
    assert query(
        warehouse_url,
        "SELECT financial_year, quarter, charity_number FROM register "
        "WHERE financial_year = '2023-24' ORDER BY quarter",
    ) == [
        ("2023-24", "Q1", "SC012345"),
        ("2023-24", "Q2", "SC012345"),
        ("2023-24", "Q3", "SC023456"),
        ("2023-24", "Q4", "SC023456"),
    ]


def test_register_load_again_says_nothing_changed(workdir: Path) -> None:
    path = write_csv(workdir, HEADER, MUMS)
    url = f"sqlite:///{workdir / 'from-env.db'}"
    assert invoke(["register", "load", str(path)], PIMH_WAREHOUSE_URL=url).exit_code == 0

    result = invoke(["register", "load", str(path)], PIMH_WAREHOUSE_URL=url)

    assert result.exit_code == 0, result.output
    assert "register.csv is already loaded as register version 1" in result.output
    assert "nothing changed" in result.output
    assert counts(url) == (1, 1, 2)
    assert not (workdir / "pimh.db").exists()


def test_register_load_defaults_to_the_working_directory(workdir: Path) -> None:
    path = write_csv(workdir, HEADER, MUMS)

    result = invoke(["register", "load", str(path)])

    assert result.exit_code == 0, result.output
    assert counts(f"sqlite:///{workdir / 'pimh.db'}") == (1, 1, 2)


def test_register_load_lists_every_problem_and_exits_2(workdir: Path) -> None:
    path = write_csv(workdir, HEADER, MUMS, "SC12345,Bumps,MAIN,500,Fife", "SC034567,,MAIN,5,Fife")

    result = invoke(["register", "load", str(path)])

    assert result.exit_code == 2
    assert "The register register.csv was not loaded: 2 problems to fix." in result.output
    assert (
        "register.csv line 3: 'SC12345' is not a Scottish charity number (SC followed by six "
        "digits)." in result.output
    )
    assert "register.csv line 4: name is empty; expected the organisation's name." in (
        result.output
    )
    assert "Traceback" not in result.output
    assert not (workdir / "pimh.db").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--from-year", "2023-24"], "Give both --from-year and --from-quarter, or neither."),
        (["--from-quarter", "Q1"], "Give both --from-year and --from-quarter, or neither."),
        (
            ["--from-year", "2023-2024", "--from-quarter", "Q1"],
            "'2023-2024' is not a financial year: write it like 2022-23 (April 2022 to March "
            "2023).",
        ),
        (
            ["--from-year", "2023-24", "--from-quarter", "Q5"],
            "'Q5' is not a quarter: use Q1, Q2, Q3 or Q4.",
        ),
    ],
)
def test_register_load_needs_a_whole_quarter(
    workdir: Path, options: list[str], message: str
) -> None:
    path = write_csv(workdir, HEADER, MUMS)

    result = invoke(["register", "load", str(path), *options])

    assert result.exit_code == 2
    assert message in result.output
    assert not (workdir / "pimh.db").exists()


def test_register_load_fails_plainly_when_the_warehouse_is_unreachable(workdir: Path) -> None:
    path = write_csv(workdir, HEADER, MUMS)

    result = invoke(["register", "load", str(path), "--warehouse", UNREACHABLE])

    assert result.exit_code == 2
    assert "The warehouse at postgresql+psycopg://postgres@127.0.0.1:1/x could not be reached" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_ingest_refuses_to_run_with_a_bad_register(workdir: Path) -> None:
    """Nothing is ingested against a register that could not be loaded."""
    landing = workdir / "landing"
    (landing / "SC012345").mkdir(parents=True)
    (landing / "SC012345" / "return.xlsx").write_bytes(b"not looked at")
    bad = write_csv(workdir, HEADER, MUMS, "SC034567,Bumps,PLATINUM,500,Fife")

    result = invoke(["ingest", str(landing), "--register", str(bad)])

    assert result.exit_code == 2
    assert (
        "The register register.csv was not loaded, so no returns were ingested: 1 problem to fix."
        in result.output
    )
    assert "register.csv line 3: 'PLATINUM' is not a fund" in result.output
    assert "Traceback" not in result.output
    assert not (workdir / "pimh.db").exists()
    assert not (workdir / "pimh-archive").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_loads_the_register_first(workdir: Path) -> None:
    landing = workdir / "landing"
    landing.mkdir()
    path = write_csv(workdir, HEADER, MUMS, DADS)
    url = f"sqlite:///{workdir / 'warehouse.db'}"

    result = invoke(
        ["ingest", str(landing), "--register", str(path), "--warehouse", url],
        PIMH_SETTLE_SECONDS="0",
        PIMH_ARCHIVE_URL=str(workdir / "archive"),
    )

    assert result.exit_code == 0, result.output
    assert "Loaded register.csv as register version 1" in result.output
    assert "No files." in result.output
    assert query(
        url,
        "SELECT charity_number, fund FROM register WHERE financial_year = '2024-25' "
        "AND quarter = 'Q2' ORDER BY charity_number",
    ) == [("SC012345", "MAIN"), ("SC023456", "SMALL")]


def test_check_register_reads_bytes_under_the_name_given(tmp_path: Path) -> None:
    """check_register takes the bytes as they arrived, with a name for the messages."""
    register = check_register(f"{HEADER}\nsc012345,A,small,0,lothian\n".encode(), "r.csv")

    assert register.entries.row(0) == ("SC012345", "A", "SMALL", 0.0, 2)
    assert register.board_areas.rows() == [("SC012345", LOTHIAN)]
