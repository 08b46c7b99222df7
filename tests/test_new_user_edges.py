"""The rough edges a new user met first (issue 13, part 4): each now a plain answer."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner, Result

from domain.periods import QUARTERS, Period, parse_quarter, quarter_problem
from pimh.cli import app
from pimh.cli_outputs import tracker_table
from pimh.ingest_progress import retry_notice

Q5_WORDING = "'Q5' is not a quarter: use Q1, Q2, Q3 or Q4."


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each command runs in a folder of its own, so a default SQLite file lands there."""
    monkeypatch.chdir(tmp_path)
    for name in ("PIMH_WAREHOUSE_URL", "PIMH_ARCHIVE_URL", "PIMH_FEEDBACK_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def invoke(args: list[str], columns: int = 200) -> Result:
    return CliRunner().invoke(app, args, env={"COLUMNS": str(columns), "PIMH_SETTLE_SECONDS": "0"})


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- one quarter parser, one wording ------------------------------------------------------------

spaces = st.text(alphabet=" \t", max_size=3)


@given(st.sampled_from(QUARTERS), st.booleans(), spaces, spaces)
def test_the_parser_takes_q1_to_q4_in_any_case_with_spaces_around(
    quarter: str, lower: bool, before: str, after: str
) -> None:
    """It takes `q1`, ` Q3 ` and their kind, giving the canonical `Q1`..`Q4`."""
    typed = before + (quarter.lower() if lower else quarter) + after
    assert parse_quarter(typed) == quarter
    assert Period.parse("2022-23", typed) == Period("2022-23", quarter)


@given(st.text(max_size=8))
def test_the_parser_refuses_anything_else_in_the_one_wording(text: str) -> None:
    """Anything that is not Q1..Q4 (give or take case and surrounding spaces) is refused,
    always in the same words."""
    if text.strip().upper() in QUARTERS:
        return
    with pytest.raises(ValueError, match=re.escape(quarter_problem(text))) as refused:
        parse_quarter(text)
    assert str(refused.value) == quarter_problem(text)


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--year", "2022-23", "--quarter", "Q5"],
        ["export", "out", "--format", "csv", "--year", "2022-23", "--quarter", "Q5"],
        ["template", "bqr", "--board", "Fife", "--year", "2022-23", "--quarter", "Q5", "-o",
         "x.xlsx"],
        ["template", "tsr", "--charity", "SC012345", "--year", "2022-23", "--quarter", "Q5",
         "-o", "x.xlsx"],
        ["register", "load", "r.csv", "--from-year", "2022-23", "--from-quarter", "Q5"],
        ["demo", "--dir", "demo", "--quarter", "Q5"],
    ],
    ids=["status", "export", "template-bqr", "template-tsr", "register", "demo"],
)  # fmt: skip
def test_every_command_refuses_a_bad_quarter_in_the_same_words(
    workdir: Path, args: list[str]
) -> None:
    result = invoke(args)
    assert result.exit_code == 2
    assert Q5_WORDING in one_line(result.output)
    assert "Traceback" not in result.output
    assert sorted(p.name for p in workdir.iterdir()) == []  # nothing made, no half-made demo


@pytest.mark.parametrize("kind", ["bqr", "tsr"])
def test_template_takes_a_quarter_typed_in_lower_case(workdir: Path, kind: str) -> None:
    who = ["--board", "Fife"] if kind == "bqr" else ["--charity", "SC012345"]
    result = invoke(["template", kind, *who, "--year", " 2022-23 ", "--quarter", " q1 ", "-o",
                     "x.xlsx"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2022-23 Q1" in result.output
    assert (workdir / "x.xlsx").is_file()


# --- ingest of a path that is not there ---------------------------------------------------------


def test_ingest_of_a_path_that_does_not_exist_is_an_error_naming_it(workdir: Path) -> None:
    missing = workdir / "no" / "such" / "landing"
    result = invoke(["ingest", str(missing)])
    assert result.exit_code == 2
    assert f"{missing} does not exist" in one_line(result.output)
    assert "No files." not in result.output
    assert not (workdir / "pimh.db").exists()


# --- where a template is written ----------------------------------------------------------------


def template(output: Path | str, *extra: str) -> Result:
    return invoke(["template", "bqr", "--board", "Fife", "--year", "2022-23", "--quarter", "Q1",
                   "-o", str(output), *extra])  # fmt: skip


def test_template_into_a_folder_that_does_not_exist_says_so(workdir: Path) -> None:
    result = template(workdir / "nonexistent" / "dir" / "x.xlsx")
    assert result.exit_code == 2
    assert f"The folder {workdir / 'nonexistent' / 'dir'} does not exist" in one_line(result.output)
    assert "Traceback" not in result.output


def test_template_onto_a_folder_says_to_name_a_file(workdir: Path) -> None:
    result = template(workdir)
    assert result.exit_code == 2
    assert f"{workdir} is a folder: give the file to write" in one_line(result.output)


def test_template_refuses_a_name_that_is_not_xlsx(workdir: Path) -> None:
    result = template("x.txt")
    assert result.exit_code == 2
    assert "x.txt does not end in .xlsx" in one_line(result.output)
    assert not (workdir / "x.txt").exists()


def test_template_keeps_an_existing_file_unless_forced(workdir: Path) -> None:
    existing = workdir / "x.xlsx"
    existing.write_bytes(b"the reporter's filled-in return")
    result = template(existing)
    assert result.exit_code == 2
    assert f"{existing} already exists; use --force to overwrite it." in one_line(result.output)
    assert existing.read_bytes() == b"the reporter's filled-in return"
    assert template(existing, "--force").exit_code == 0
    assert existing.read_bytes()[:2] == b"PK"


# --- the tracker at 80 columns, 200 columns and in a file ---------------------------------------

NAMES = ["Greater Glasgow and Clyde", "Highland Perinatal Peer Network", "Leith Mums Walk"]


def _progress() -> pl.DataFrame:
    due = dt.date(2022, 7, 30)
    return pl.DataFrame(
        {
            "reporter_code": ["S08000031", "SC040259", "SC040740"],
            "reporter_name": NAMES,
            "reporter_type": ["board", "organisation", "organisation"],
            "fund": [None, "MAIN", "SMALL"],
            "status": ["accepted", "late", "rejected"],
            "received_on": [dt.date(2022, 7, 20), dt.date(2022, 8, 12), dt.date(2022, 7, 20)],
            "due_on": [due, due, due],
            "errors": [0, 0, 1],
            "warnings": [1, 0, 0],
        }
    )


def _render(console: Console) -> str:
    table = tracker_table(_progress(), Period("2022-23", "Q1"), dt.date(2022, 9, 1))
    console.print(table)
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


@pytest.mark.parametrize("width", [80, 200])
def test_the_tracker_reads_whole_at_80_and_200_columns(width: int) -> None:
    """Every word of every name and status appears whole (wrapped at spaces, if at all),
    codes and dates are never cut, and no line is wider than the console."""
    text = _render(Console(file=io.StringIO(), width=width, force_terminal=True))
    plain = Console(file=io.StringIO(), width=width)
    plain_text = _render(plain)
    assert all(len(line) <= width for line in plain_text.splitlines())
    words = set(plain_text.split())
    for phrase in [*NAMES, "rejected: awaiting resubmission", "accepted", "late"]:
        assert set(phrase.split()) <= words, phrase
    for whole in ("S08000031", "SC040259", "2022-07-20", "2022-08-12", "MAIN", "SMALL", "board"):
        assert whole in words
    assert "Returns for 2022-23 Q1, due 30 July 2022" in plain_text
    for header in ("Reporter", "Name", "Type", "Status", "Received", "Errors", "Warnings"):
        assert header in words
    assert "\x1b[" in text  # on a terminal, statuses are coloured
    if width == 200:
        for phrase in [*NAMES, "rejected: awaiting resubmission"]:
            assert phrase in plain_text


def test_the_tracker_in_a_file_is_plain_text_that_reads_whole() -> None:
    """Written to a file (no terminal), it has no colour codes and reads as at 80 columns."""
    text = _render(Console(file=io.StringIO()))
    assert "\x1b[" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert {"Highland", "Perinatal", "Peer", "Network"} <= set(text.split())


# --- help at 80 columns -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["ingest"], ["status"], ["export"], ["register", "load"], ["template", "tsr"], ["watch"],
     ["serve"], ["deploy"], ["demo"], []],
    ids=lambda c: " ".join(c) or "pimh",
)  # fmt: skip
def test_help_at_80_columns_shows_defaults_and_wraps_whole_sentences(command: list[str]) -> None:
    result = invoke([*command, "--help"], columns=80)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    if command not in (["demo"], ["deploy"], []):
        text = one_line(result.output.replace("│", " "))
        assert "SQLAlchemy URL of the warehouse (env PIMH_WAREHOUSE_URL; default" in text
        assert "warehouse ." not in text
    # The description's paragraphs fill their lines: a line ending mid-sentence, short,
    # followed by more of the sentence, was a docstring's own line break.
    prose = lines[: next(i for i, line in enumerate(lines) if line.startswith("╭"))]
    for line, following in itertools.pairwise(prose):
        if line.strip() and following.strip():
            assert len(line.rstrip()) >= 60, f"{line!r} breaks before {following!r}"


# --- retry notices ------------------------------------------------------------------------------


def test_a_retried_warehouse_step_is_named_in_plain_words() -> None:
    message = (
        "Task run failed with exception: OperationalError('connection refused') - "
        "Retry 2/3 will start 3 second(s) from now"
    )
    assert retry_notice("prepare_warehouse-7a1", message) == (
        "Could not reach the warehouse (prepare_warehouse); retry 2 of 3 in 3 seconds…"
    )
    assert retry_notice("prepare_warehouse-7a1", "Finished in state Completed()") is None
    # Naming the run reaches Prefect's API, not storage (the default for other steps).
    assert retry_notice("name_this_run-0c2", message) == (
        "Could not reach Prefect's API (name_this_run); retry 2 of 3 in 3 seconds…"
    )
    assert retry_notice("write_html_reports-5d0", message) == (
        "Could not reach storage (write_html_reports); retry 2 of 3 in 3 seconds…"
    )


# --- progress, fed by the flow's own steps ------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_reports_files_read_validated_and_loaded(tmp_path: Path) -> None:
    """The counts the bar shows come from the run's steps as they finish."""
    from config.settings import Settings
    from flows.ingest import ingest
    from flows.progress import Step, reporting_progress
    from tests.builders import changed, valid_return, write

    landing = tmp_path / "landing"
    write(landing / "S08000024" / "lothian.xlsx", valid_return("S08000024"))
    bad = changed(valid_return("S08000016"), "Activity", 0, 2, 500)
    write(landing / "S08000016" / "borders.xlsx", bad)
    settings = Settings(
        warehouse_url=f"sqlite:///{tmp_path / 'w.db'}",
        archive_url=str(tmp_path / "archive"),
        feedback_url=str(tmp_path / "feedback"),
        settle_seconds=0,
    )
    told: list[tuple[Step, int]] = []
    with reporting_progress(lambda step, count: told.append((step, count))):
        ingest([str(landing)], settings)
    assert told == [("received", 2), ("new", 2), ("read", 2), ("validated", 2), ("loaded", 2)]
    told.clear()
    ingest([str(landing)], settings)  # no listener: nothing told, nothing breaks
    assert told == []


def test_no_bar_is_drawn_into_a_file() -> None:
    """Piped or redirected, the run draws nothing: no bar, no redraws in the file."""
    from flows.progress import report
    from pimh.ingest_progress import ingest_progress

    console = Console(file=io.StringIO())
    with ingest_progress(console, 1):
        report("new", 3)
        report("read", 3)
    file = console.file
    assert isinstance(file, io.StringIO)
    assert file.getvalue() == ""


def test_a_terminal_gets_bars_with_counts() -> None:
    from flows.progress import report
    from pimh.ingest_progress import ingest_progress

    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    with ingest_progress(console, 1):
        report("new", 3)
        report("read", 2)
        console.file.flush()
        drawn = console.file
        assert isinstance(drawn, io.StringIO)
        console.print("")  # forces a refresh of the live display
    text = drawn.getvalue()
    assert "Files read" in text
    assert "2/3" in text
