"""`pimh status` and `pimh export`, run as the data team runs them.

The warehouse is the standard quarter of tests/test_publish.py, on SQLite and on a
throw-away PostgreSQL database; exported files are read back as a reader would (csv with
polars, parquet, xlsx with openpyxl), and searched byte by byte for contact details.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from extracts.catalogue import TABLES
from pimh.cli import app
from tests.test_publish import (
    BORDERS,
    FIFE,
    FORMULA_NAME,
    FORMULA_ORG,
    GGC,
    LOTHIAN,
    REJECTED_ORG,
    SECRET_EMAIL,
    SECRET_NAME,
    SILENT_ORG,
    SMALL_ORG,
    build_standard_quarter,
)

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/x"
FORMATS = ("csv", "parquet", "xlsx")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each command runs in a folder of its own, so the default SQLite file lands there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIMH_WAREHOUSE_URL", raising=False)
    return tmp_path


@pytest.fixture
def standard_url(warehouse_url: str) -> str:
    build_standard_quarter(warehouse_url)
    return warehouse_url


def invoke(args: list[str], **env: str) -> Result:
    return CliRunner().invoke(app, args, env={"COLUMNS": "200", **env})


def status_lines(result: Result) -> dict[str, str]:
    """Each tracker row of the output by reporter code (the table has no vertical rules:
    its columns are apart by two spaces or more, words within a cell by one)."""
    return {
        line.split()[0]: line
        for line in result.output.splitlines()
        if line[:1].isalnum() and line.split()[0].isalnum() and line.split()[0].isupper()
    }


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


# --- status -------------------------------------------------------------------------------------


def test_status_lists_every_expected_return_with_its_status(standard_url: str) -> None:
    result = invoke(["status", "--year", "2022-23", "--quarter", "Q1", "--warehouse", standard_url])
    assert result.exit_code == 0, result.output
    rows = status_lines(result)
    codes = [code for code in rows if code != "Reporter"]
    assert codes[:14] == sorted(codes[:14])
    assert all(code.startswith("S08") for code in codes[:14])
    assert codes[14:] == [FORMULA_ORG, SMALL_ORG, SILENT_ORG, REJECTED_ORG]
    assert " accepted " in rows[LOTHIAN]
    assert "2022-07-15" in rows[LOTHIAN]
    assert "Returns for 2022-23 Q1, due 30 July 2022" in result.output  # one due date for all
    assert " accepted " in rows[FIFE]  # first received in time, accepted after the due date
    assert " late " in rows[GGC]
    assert "rejected: awaiting resubmission" in rows[BORDERS]
    assert cells(rows[BORDERS])[-2] == "3"  # errors
    assert " missing " in rows["S08000015"]
    assert " late " in rows[SMALL_ORG]
    assert "MAIN" in rows[FORMULA_ORG]
    assert cells(rows[SILENT_ORG])[2] == "MAIN"  # a charity's type is its fund
    assert " missing " in rows[SILENT_ORG]
    assert "rejected: awaiting resubmission" in rows[REJECTED_ORG]
    assert (
        "18 expected: 3 accepted, 2 late, 2 rejected: awaiting resubmission, 11 missing."
        in result.output
    )
    assert SECRET_EMAIL not in result.output


def test_status_reads_the_default_warehouse_from_the_environment(
    workdir: Path, standard_url: str
) -> None:
    """PIMH_WAREHOUSE_URL names the warehouse when --warehouse is not given."""
    result = invoke(
        ["status", "--year", "2022-23", "--quarter", "Q1"], PIMH_WAREHOUSE_URL=standard_url
    )
    assert result.exit_code == 0, result.output
    assert "late" in status_lines(result)[GGC]


def test_status_on_an_empty_warehouse_migrates_it_first(workdir: Path) -> None:
    """The default warehouse is a SQLite file here; everybody is missing."""
    result = invoke(["status", "--year", "2022-23", "--quarter", "Q4"])
    assert result.exit_code == 0, result.output
    assert "14 expected: 14 missing." in result.output
    assert (workdir / "pimh.db").exists()


@pytest.mark.parametrize("command", ["status", "export"])
@pytest.mark.parametrize(
    "problem",
    [
        ("2022/23", "Q1", None, "not a financial year"),
        ("2022-23", "Q5", None, "not a quarter"),
        ("2039-40", "Q4", None, "has not begun"),
        ("2099-00", "Q1", None, "outside the programme's calendar"),
        ("2022-23", "Q1", UNREACHABLE, "could not be read"),
        ("2022-23", "Q1", "not a url", "is not usable"),
    ],
    ids=["year", "quarter", "not-begun", "outside-calendar", "unreachable", "bad-url"],
)
def test_problems_are_a_plain_message_and_exit_code_two(
    workdir: Path, command: str, problem: tuple[str, str, str | None, str]
) -> None:
    year, quarter, warehouse, message = problem
    args = [command, "--year", year, "--quarter", quarter]
    if command == "export":
        args += ["--format", "csv", str(workdir / "out")]
    result = invoke([*args, *(["--warehouse", warehouse] if warehouse else [])])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (workdir / "out").exists()


# --- export: reading the files back -------------------------------------------------------------


def read_tables(
    outdir: Path, fmt: str, slug: str = "2022-23_Q1"
) -> dict[str, list[dict[str, Any]]]:
    """Every exported table as rows of text, the way a reader of `fmt` sees them."""
    if fmt == "xlsx":
        (path,) = outdir.glob("*.xlsx")
        workbook = load_workbook(path)
        tables = {}
        for sheet in workbook.worksheets[1:]:
            rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
            tables[sheet.title] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        return tables
    return {
        path.stem.removeprefix(f"pimh_{slug}_"): (
            pl.read_csv(path, infer_schema=False) if fmt == "csv" else pl.read_parquet(path)
        ).to_dicts()
        for path in sorted(outdir.glob(f"*.{fmt}"))
    }


def by_key(rows: list[dict[str, Any]], key: str = "board_code") -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def blank(value: object) -> bool:
    return value is None or value == ""


def export(url: str, outdir: Path, fmt: str, *extra: str, quarter: str = "Q1") -> Result:
    return invoke(
        [
            "export",
            "--year",
            "2022-23",
            "--quarter",
            quarter,
            "--format",
            fmt,
            str(outdir),
            "--warehouse",
            url,
            *extra,
        ]
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_applies_every_disclosure_rule(standard_url: str, tmp_path: Path, fmt: str) -> None:
    """Read back from the files: a count of 3 is *, 0 stays 0, a second * guards a row total,
    a percentage from 4 respondents is withheld, and a formula-like name is neutralised in
    csv and xlsx (parquet keeps the data as reported)."""
    outdir = tmp_path / "new" / "folder"
    result = export(standard_url, outdir, fmt)
    assert result.exit_code == 0, result.output
    tables = read_tables(outdir, fmt)
    assert set(tables) == set(TABLES)
    assert (outdir / f"pimh_2022-23_Q1_{fmt}_README.txt").exists()

    referrals = by_key(tables["activity_referrals_received"])
    lothian = referrals[LOTHIAN]
    assert lothian["CPMHT"] == "*"
    assert lothian["total"] == "25"
    assert [lothian[s] for s in ("CPMHT", "IMH", "MNPI", "MBU")].count("*") == 2
    assert blank(lothian["MNPI"])
    assert referrals[FIFE]["IMH"] == "0"
    assert referrals["Total"]["CPMHT"] == "37"
    assert by_key(tables["activity_first_assessments"])[LOTHIAN]["CPMHT"] == "0"
    assert by_key(tables["activity_admissions"])[LOTHIAN]["MBU"] == "*"

    outcomes = by_key(tables["third_sector_outcomes"], "outcome")
    assert outcomes["LESS_ISOLATED"]["respondents"] == "*"
    assert blank(outcomes["LESS_ISOLATED"]["percent_improved"])
    assert outcomes["WELLBEING"]["percent_improved"] == "65"

    people = by_key(tables["third_sector_people_supported"])
    assert people[LOTHIAN]["fathers_partners"] == "*"
    assert people[LOTHIAN]["other_carers"] == "0"

    name = by_key(tables["third_sector_finance"], "charity_number")[FORMULA_ORG]["organisation"]
    assert name == (FORMULA_NAME if fmt == "parquet" else "'" + FORMULA_NAME)
    if fmt == "xlsx":
        sheet = load_workbook(next(outdir.glob("*.xlsx")))["third_sector_finance"]
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == name]
        assert [cell.data_type for cell in cells] == ["s"]

    assert "activity_admissions" in result.output
    assert "Cells suppressed" in result.output


def exported_text(outdir: Path) -> bytes:
    """Everything written, as bytes a search can see: the xlsx's zipped XML unzipped, and
    parquet's (compressed) cells decoded beside its raw bytes."""
    found = []
    for path in sorted(outdir.iterdir()):
        found.append(path.read_bytes())
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                found += [archive.read(member) for member in archive.namelist()]
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            found.append(str(frame.columns).encode())
            found.append(frame.select(pl.all().cast(pl.String)).write_csv().encode())
    return b"\n".join(found)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_contact_details_or_internal_ids_anywhere(
    standard_url: str, tmp_path: Path, fmt: str
) -> None:
    outdir = tmp_path / "out"  # tmp_path also holds the SQLite warehouse itself
    result = export(standard_url, outdir, fmt)
    assert result.exit_code == 0, result.output
    everything = exported_text(outdir)
    assert b"Morag" not in everything
    for secret in (SECRET_EMAIL, SECRET_NAME, "contact.example", "submission_id", "sha256"):
        assert secret.encode() not in everything
    assert b"source_row" not in everything
    assert b"Bumps and Beyond" in everything or fmt == "parquet"  # the search does see cells


def test_export_refuses_to_overwrite_unless_forced(standard_url: str, tmp_path: Path) -> None:
    assert export(standard_url, tmp_path, "csv").exit_code == 0
    readme = tmp_path / "pimh_2022-23_Q1_csv_README.txt"
    readme.write_text("kept")
    refused = export(standard_url, tmp_path, "csv")
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert readme.read_text() == "kept"
    forced = export(standard_url, tmp_path, "csv", "--force")
    assert forced.exit_code == 0, forced.output
    assert "disclosure control" in readme.read_text()
    other_format = export(standard_url, tmp_path, "xlsx")
    assert other_format.exit_code == 0, other_format.output  # formats can share a folder
    assert (tmp_path / "pimh_2022-23_Q1_xlsx_README.txt").exists()


def test_export_into_a_file_is_refused(standard_url: str, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    result = export(standard_url, target, "csv")
    assert result.exit_code == 2
    assert "not a folder" in result.output


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_quarter_without_accepted_returns_is_exported_empty(
    standard_url: str, tmp_path: Path, fmt: str
) -> None:
    result = export(standard_url, tmp_path, fmt, quarter="Q2")
    assert result.exit_code == 0, result.output
    assert "No accepted returns for 2022-23 Q2" in result.output
    tables = read_tables(tmp_path, fmt, "2022-23_Q2")
    assert set(tables) == set(TABLES)
    assert {name for name, rows in tables.items() if rows} == {"third_sector_funds"}
    readme = (tmp_path / f"pimh_2022-23_Q2_{fmt}_README.txt").read_text()
    assert "No accepted returns" in readme
    assert "2022-23 Q2" in readme


def test_the_readme_and_about_sheet_state_the_rules(standard_url: str, tmp_path: Path) -> None:
    assert export(standard_url, tmp_path, "xlsx").exit_code == 0
    readme = (tmp_path / "pimh_2022-23_Q1_xlsx_README.txt").read_text()
    assert "2022-23 Q1" in readme
    assert "Produced " in readme
    assert "1 to 4 are shown as *" in readme
    assert "fewer than 5 respondents" in readme
    assert "Accepted returns: 3 of 14 NHS boards, 2 of 4 third-sector organisations." in readme
    about = load_workbook(tmp_path / "pimh_2022-23_Q1.xlsx")["about"]
    assert [row[0].value for row in about.iter_rows()][: len(readme.splitlines())] == [
        line or None for line in readme.splitlines()
    ]


def test_the_format_choices_are_the_writers_formats() -> None:
    """The command keeps its own copy of the choices so `pimh` starts without polars."""
    from extracts.writers import Format
    from pimh.cli_outputs import ExportFormat

    assert [f.value for f in ExportFormat] == [f.value for f in Format]
