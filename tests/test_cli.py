"""The `pimh` command line: ingest, and blank templates a board can fill in and send."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

import flows.tasks
from pimh.cli import app
from tests.builders import changed, valid_return, write
from tests.queries import query

LOTHIAN, BORDERS = "S08000024", "S08000016"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each command in a folder of its own, so defaults (SQLite file, archive) land there."""
    monkeypatch.chdir(tmp_path)
    for name in ("PIMH_WAREHOUSE_URL", "PIMH_ARCHIVE_URL", "PIMH_FEEDBACK_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _env(workdir: Path, **extra: str) -> dict[str, str]:
    """Environment for a run: files taken at once, archive in the test folder, wide output."""
    return {
        "PIMH_SETTLE_SECONDS": "0",
        "PIMH_ARCHIVE_URL": str(workdir / "archive"),
        "COLUMNS": "200",
        **extra,
    }


def _invoke(args: list[str], env: dict[str, str]) -> Result:
    return CliRunner().invoke(app, args, env=env)


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_exits_zero_when_every_file_is_handled(workdir: Path) -> None:
    """It accepts and rejects files alike with exit code 0, naming each in its summary.

    `--warehouse` names the warehouse and wins over PIMH_WAREHOUSE_URL.
    """
    landing = workdir / "landing"
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    write(landing / BORDERS / "borders.xlsx", changed(valid_return(BORDERS), "Activity", 0, 2, 500))
    chosen = f"sqlite:///{workdir / 'chosen.db'}"
    env = _env(workdir, PIMH_WAREHOUSE_URL=f"sqlite:///{workdir / 'from-env.db'}")

    result = _invoke(["ingest", str(landing), "--warehouse", chosen], env)

    assert result.exit_code == 0, result.output
    assert "lothian.xlsx" in result.output
    assert "borders.xlsx" in result.output
    assert "1 accepted, 1 rejected" in result.output
    assert query(chosen, "SELECT reporter_code, status FROM submissions ORDER BY 1") == [
        (BORDERS, "rejected"),
        (LOTHIAN, "accepted"),
    ]
    assert not (workdir / "from-env.db").exists()
    # Feedback goes to the `feedback` folder beside the landing area.
    assert [p.parent.name for p in (workdir / "feedback").rglob("*.html")] == [BORDERS]


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_named_like_markup_is_printed_as_named(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reporters name their files: `[bold]x` is shown as it is, never read as markup."""
    from pimh.terminal import console

    monkeypatch.setattr(console, "width", 200)  # so the table need not fold the name
    landing = workdir / "landing"
    write(landing / LOTHIAN / "[bold]lothian[italic].xlsx", valid_return(LOTHIAN))

    result = _invoke(["ingest", str(landing)], _env(workdir))

    assert result.exit_code == 0, result.output
    assert "[bold]lothian[italic].xlsx" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_reads_the_warehouse_from_the_environment(workdir: Path) -> None:
    """Without `--warehouse`, PIMH_WAREHOUSE_URL names the warehouse."""
    landing = workdir / "landing"
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))
    url = f"sqlite:///{workdir / 'from-env.db'}"

    result = _invoke(["ingest", str(landing / LOTHIAN)], _env(workdir, PIMH_WAREHOUSE_URL=url))

    assert result.exit_code == 0, result.output
    assert "1 accepted" in result.output
    assert query(url, "SELECT COUNT(*) FROM staffing") == [(4,)]
    assert not (workdir / "pimh.db").exists()


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_fails_plainly_when_the_warehouse_is_unreachable(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exits non-zero with a plain message, no traceback, when the warehouse is unreachable."""
    # The task retries the database with growing delays; the test needs no waiting.
    monkeypatch.setattr(
        "flows.ingest.prepare_warehouse",
        flows.tasks.prepare_warehouse.with_options(retry_delay_seconds=0),
    )
    landing = workdir / "landing"
    write(landing / LOTHIAN / "lothian.xlsx", valid_return(LOTHIAN))

    result = _invoke(["ingest", str(landing), "--warehouse", UNREACHABLE], _env(workdir))

    assert result.exit_code not in (0, None)
    assert isinstance(result.exception, SystemExit)
    assert "could not be reached" in result.output
    assert "Traceback" not in result.output


def _fill_in(path: Path) -> None:
    """Type a small quarter into the blank, as a board would in Excel."""
    workbook = load_workbook(path)
    cover = workbook["Cover"]
    labels = {cover.cell(row, 1).value: row for row in range(1, 20)}
    cover.cell(labels["Completed by"], 2).value = "Morag Fraser"
    cover.cell(labels["Email"], 2).value = "morag.fraser@nhs.scot"
    rows = {
        "Staffing": [
            ["CPMHT", "Psychiatry", 2, 1.5, None],
            ["CPMHT", "Mental Health Nursing", 4, 4, 0],
            ["MBU", "Midwifery", 3, 2.25, None],
        ],
        "Activity": [["CPMHT", 120, 100, 90, 300, 40, 5], ["MBU", 8, 6, 6, 5, 4, 0, 6, 500, 552]],
        "Finance": [["CPMHT", 500000, 120000, 480000], ["MBU", 300000, 80000, 310000]],
    }
    for sheet, table in rows.items():
        for offset, row in enumerate(table):
            for column, value in enumerate(row, start=1):
                workbook[sheet].cell(5 + offset, column).value = value
    workbook.save(path)


@pytest.mark.usefixtures("prefect_harness")
def test_a_filled_in_blank_template_is_accepted(workdir: Path) -> None:
    """A blank from `pimh template bqr`, filled in and dropped in its board's folder, loads."""
    blank = workdir / "blank.xlsx"

    made = _invoke(
        [
            "template",
            "bqr",
            "--board",
            "Lothian",
            "--year",
            "2022-23",
            "--quarter",
            "Q1",
            "-o",
            str(blank),
        ],
        _env(workdir),
    )

    assert made.exit_code == 0, made.output
    assert blank.is_file()
    returned = workdir / "landing" / LOTHIAN / "Lothian 2022-23 Q1.xlsx"
    returned.parent.mkdir(parents=True)
    blank.rename(returned)
    _fill_in(returned)
    url = f"sqlite:///{workdir / 'warehouse.db'}"

    result = _invoke(["ingest", str(workdir / "landing"), "--warehouse", url], _env(workdir))

    assert result.exit_code == 0, result.output
    assert query(url, "SELECT status, errors, warnings FROM submissions") == [("accepted", 0, 0)]
    assert query(
        url,
        "SELECT board_code, financial_year, quarter, service, staff_group, funded_wte, "
        "in_post_wte, vacant_wte FROM staffing ORDER BY service, staff_group",
    ) == [
        (LOTHIAN, "2022-23", "Q1", "CPMHT", "Mental Health Nursing", 4.0, 4.0, 0.0),
        (LOTHIAN, "2022-23", "Q1", "CPMHT", "Psychiatry", 2.0, 1.5, 0.5),
        (LOTHIAN, "2022-23", "Q1", "MBU", "Midwifery", 3.0, 2.25, 0.75),
    ]
    assert query(
        url, "SELECT service, admissions, available_bed_days FROM activity ORDER BY service"
    ) == [("CPMHT", None, None), ("MBU", 6, 552)]
    assert query(url, "SELECT SUM(spend_gbp) FROM finance") == [(200000.0,)]


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--board", "Narnia", "'Narnia' is not an NHS board code or name"),
        ("--quarter", "Q5", "'Q5' is not a quarter"),
        ("--year", "2022-24", "'2022-24' is not a financial year"),
    ],
)
def test_template_refuses_an_unknown_board_or_period(
    workdir: Path, option: str, value: str, words: str
) -> None:
    """It writes nothing and says, in plain words, what is wrong with the board or period."""
    options = {"--board": "Lothian", "--year": "2022-23", "--quarter": "Q1", option: value}
    args = ["template", "bqr", *[x for pair in options.items() for x in pair], "-o", "out.xlsx"]

    result = _invoke(args, _env(workdir))

    assert result.exit_code != 0
    assert words in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (workdir / "out.xlsx").exists()


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_unreachable_warehouse_puts_no_traceback_on_the_terminal(workdir: Path) -> None:
    """The real command says plainly that the warehouse is unreachable, with no traceback."""
    env = {**os.environ, **_env(workdir), "PIMH_SETTLE_SECONDS": "0"}
    completed = subprocess.run(
        [sys.executable, "-m", "pimh", "ingest", str(workdir), "--warehouse", UNREACHABLE],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    terminal = completed.stdout + completed.stderr
    assert completed.returncode == 2
    assert "could not be reached" in terminal
    assert "Traceback" not in terminal


def test_a_backfill_lists_only_the_files_needing_attention(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Past 50 files the table lists the rejected and warned files alone, and says how many
    clean ones it left out; the counts still cover every file."""
    from flows.ingest import IngestResult
    from intake.summary import FileSummary
    from pimh.cli_ingest import print_summary

    clean = [
        FileSummary(f"/landing/S08000024/clean {i}.xlsx", "S08000024", "accepted", 0, 0, None, i)
        for i in range(60)
    ]
    warned = FileSummary("/landing/S08000029/warned.xlsx", "S08000029", "accepted", 0, 2, "w", 61)
    rejected = FileSummary("/landing/S08000029/bad.xlsx", "S08000029", "rejected", 3, 0, "b", None)

    print_summary(IngestResult(files=[*clean, warned, rejected], still_changing=[]))

    out = capsys.readouterr().out
    assert "warned.xlsx" in out
    assert "bad.xlsx" in out
    assert "clean 1.xlsx" not in out
    assert "(2 of 62)" in out
    assert "60 accepted files with no problems are not listed" in out
    assert "61 accepted, 1 rejected" in out
