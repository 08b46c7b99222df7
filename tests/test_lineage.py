"""Every figure traced to its cell: `pimh explain` and the `lineage` view, on both backends.

Real workbooks go through the ingest flow; a resubmission arrives later, its Staffing
columns in another order and its tables lower and further right, so the same figure
sits in another cell. The cells expected are found in the workbooks with openpyxl, the
way a person would look them up, not computed the way the reader computes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from alembic import command
from openpyxl import load_workbook
from sqlalchemy import text
from typer.testing import CliRunner, Result

from config.settings import Settings
from domain.layouts import BQR
from flows.ingest import ingest
from intake.register import read_register
from pimh.cli import app
from samples.board_returns import Quirks
from tests.builders import changed, valid_return, write
from tests.queries import query
from tests.tsr_builders import CHARITY, GGC, LOTHIAN, valid_tsr, write_tsr
from warehouse.engine import open_warehouse
from warehouse.migrate import alembic_config, upgrade
from warehouse.register_load import load_register

pytestmark = pytest.mark.usefixtures("prefect_harness")

FIRST = dt.datetime(2022, 7, 20, 9, 0, tzinfo=dt.UTC)
BETWEEN = dt.datetime(2022, 7, 25, 11, 0, tzinfo=dt.UTC)
SECOND = dt.datetime(2022, 7, 27, 14, 30, tzinfo=dt.UTC)
IMH_PSYCHOLOGY = 2  # its row in valid_return's Staffing table
FUNDED = 2  # Funded WTE's column in the table


def _ingest(tmp_path: Path, url: str, files: dict[str, Path], at: dt.datetime) -> None:
    """The files (by reporter folder) landed and ingested, arriving at `at`."""
    landing = tmp_path / f"landing-{at:%Y%m%d%H%M}"
    for folder, path in files.items():
        (landing / folder).mkdir(parents=True)
        (landing / folder / path.name).write_bytes(path.read_bytes())
    ingest(
        [str(landing)],
        Settings(
            warehouse_url=url,
            archive_url=str(tmp_path / "archive"),
            feedback_url=str(tmp_path / "feedback"),
            settle_seconds=0,
            reader_processes=0,
            arrival_time=at,
        ),
    )


def _swap_columns(path: Path, sheet: str, first: int, second: int) -> None:
    """Swap two whole columns of a sheet (1-based), headers and figures alike."""
    book = load_workbook(path)
    ws = book[sheet]
    for row in ws.iter_rows():
        a, b = row[first - 1], row[second - 1]
        a.value, b.value = b.value, a.value
    book.save(path)


def _cell_of(path: Path, sheet: str, header: str, keys: tuple[str, ...]) -> tuple[str, object]:
    """The cell under the header starting `header`, on the row starting with `keys`, and
    its value: found by looking, as a person would."""
    ws = load_workbook(path, data_only=True)[sheet]
    rows = list(ws.iter_rows())
    header_row = next(r for r in rows if any(str(c.value or "").startswith(header) for c in r))
    column = next(c.column_letter for c in header_row if str(c.value or "").startswith(header))
    for row in rows:
        filled = [c for c in row if c.value is not None]
        if tuple(str(c.value) for c in filled[: len(keys)]) == keys:
            cell = ws[f"{column}{row[0].row}"]
            return f"{sheet}!{column}{row[0].row}", cell.value
    raise AssertionError(f"no row {keys} on {sheet}")


def _row(output: str, first: str) -> list[str]:
    """The cells of the first table row on screen starting with `first`."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│┃").split("│")]
        if cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in\n{output}")


def _explain(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["explain", *args, "--warehouse", url], env={"COLUMNS": "80"})


@pytest.fixture
def resubmitted(tmp_path: Path, warehouse_url: str) -> tuple[str, Path, Path]:
    """Lothian's 2022-23 Q1 return, one with an error (rejected), then a corrected one a
    week later, laid out differently: (warehouse URL, first workbook, second workbook)."""
    first = write(tmp_path / "sent" / "lothian-q1.xlsx", valid_return(LOTHIAN))
    # More referrals accepted (column 2) than received: an error.
    wrong = write(
        tmp_path / "sent" / "lothian-q1-wrong.xlsx",
        changed(valid_return(LOTHIAN), "Activity", 0, 2, 500),
    )
    corrected = changed(valid_return(LOTHIAN), "Staffing", IMH_PSYCHOLOGY, FUNDED, 1.4)
    second = write(
        tmp_path / "sent" / "lothian-q1-corrected.xlsx",
        corrected,
        Quirks(title_rows=6, start_column=1),
    )
    # Funded WTE and In post WTE change places (columns D and E, the table starting in B).
    _swap_columns(second, "Staffing", 4, 5)
    _ingest(tmp_path, warehouse_url, {LOTHIAN: first}, FIRST)
    _ingest(tmp_path, warehouse_url, {LOTHIAN: wrong}, BETWEEN)
    _ingest(tmp_path, warehouse_url, {LOTHIAN: second}, SECOND)
    return warehouse_url, first, second


def test_explain_names_the_current_cell_and_every_version(
    resubmitted: tuple[str, Path, Path],
) -> None:
    """It prints the current figure, its file, SHA-256 and cell, and each version's arrival
    and status, the rejected one's too; the cell is where the figure sits in the corrected
    workbook, though its columns moved, and the superseded figure keeps its own cell."""
    url, first, second = resubmitted
    keys = ("IMH", "Psychology")
    old_cell, old_value = _cell_of(first, "Staffing", "Funded", keys)
    new_cell, new_value = _cell_of(second, "Staffing", "Funded", keys)
    assert (old_value, new_value) == (1.0, 1.4)
    assert old_cell != new_cell

    result = _explain(
        url, "staffing", "--board", LOTHIAN, "--year", "2022-23", "--quarter", "Q1",
        "--service", "IMH", "--staff-group", "Psychology",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    out = result.output
    assert _row(out, "funded_wte") == ["funded_wte", "1.40", new_cell]
    assert second.name in out
    assert hashlib.sha256(second.read_bytes()).hexdigest() in out
    assert _row(out, "1") == ["1", "2022-07-20 09:00", "superseded", first.name]
    assert _row(out, "2") == ["2", "2022-07-25 11:00", "rejected", "lothian-q1-wrong.xlsx"]
    assert _row(out, "3") == ["3", "2022-07-27 14:30", "accepted", second.name]
    assert "A rejected return loaded nothing." in out
    history = out[out.index("Figures in each version") :]
    assert _row(history, "funded_wte") == ["funded_wte", "1", "1.00", old_cell]
    assert _row(history, "")[1:] == ["3", "1.40", new_cell]
    assert max(len(line) for line in out.splitlines()) <= 80


def test_the_lineage_view_has_every_version_of_a_figure(
    resubmitted: tuple[str, Path, Path],
) -> None:
    """One row per figure and version, the current one flagged, each with its own cell."""
    url, first, second = resubmitted

    rows = query(
        url,
        "SELECT value, file_name, sha256, cell, status, is_current FROM lineage "
        "WHERE view_name = 'staffing' AND board_code = :board AND financial_year = '2022-23' "
        "AND quarter = 'Q1' AND service = 'IMH' AND staff_group = 'Psychology' "
        "AND measure = 'funded_wte' ORDER BY received_at",
        board=LOTHIAN,
    )

    assert [(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows] == [
        (
            1.0,
            first.name,
            hashlib.sha256(first.read_bytes()).hexdigest(),
            _cell_of(first, "Staffing", "Funded", ("IMH", "Psychology"))[0],
            "superseded",
            False,
        ),
        (
            1.4,
            second.name,
            hashlib.sha256(second.read_bytes()).hexdigest(),
            _cell_of(second, "Staffing", "Funded", ("IMH", "Psychology"))[0],
            "accepted",
            True,
        ),
    ]
    # Every figure of every measure has a cell; only a derived vacancy says it was derived.
    assert query(url, "SELECT COUNT(*) FROM lineage WHERE cell IS NULL") == [(0,)]
    derived = query(
        url,
        "SELECT DISTINCT measure FROM lineage WHERE is_derived = :yes",
        yes=True,
    )
    assert derived == [("vacant_wte",)]
    # The current figures are exactly what the downstream view serves.
    assert query(
        url,
        "SELECT COUNT(*) FROM lineage WHERE view_name = 'activity' AND is_current = :yes",
        yes=True,
    ) == [(3 * 9,)]  # fmt: skip
    assert query(url, "SELECT COUNT(*) FROM activity") == [(3,)]


def test_explain_says_plainly_what_is_not_there(resubmitted: tuple[str, Path, Path]) -> None:
    """An unknown view, a missing key, a row or a return not in the warehouse: exit 2,
    one sentence naming it, no traceback."""
    url = resubmitted[0]
    period = ["--year", "2022-23", "--quarter", "Q1"]
    cases = {
        ("staff", "--board", LOTHIAN, *period): "no view of figures called 'staff'",
        ("staffing", "--board", LOTHIAN, "--service", "IMH", *period): "needs --staff-group",
        ("activity", "--board", LOTHIAN, "--service", "MNPI", *period): (
            "have no row for service MNPI"
        ),
        ("finance", "--board", "S08000016", "--service", "IMH", *period): (
            "No finance figures from board S08000016 for 2022-23 Q1"
        ),
        ("finance", "--board", LOTHIAN, "--service", "IMH", "--year", "2022-23",
         "--quarter", "Q5"): "Q5",
        ("finance", "--board", LOTHIAN, "--service", "IMH", "--measure", "spend", *period): (
            "no measure 'spend'"
        ),
    }  # fmt: skip
    for args, expected in cases.items():
        result = _explain(url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in " ".join(result.output.split()), (args, result.output)
        assert "Traceback" not in result.output


def test_explain_traces_a_third_sector_figure(tmp_path: Path, sqlite_url: str) -> None:
    """The third-sector views are explained by their own keys (charity, board area, support
    type), with the cell on the charity's Activity sheet."""
    register = tmp_path / "register.csv"
    register.write_text(
        "charity_number,name,fund,award_gbp,board_areas\n"
        f"{CHARITY},Bumps and Babies,MAIN,58000,{LOTHIAN};{GGC}\n",
        encoding="utf-8",
    )
    load_register(open_warehouse(sqlite_url), read_register(register))
    sent = write_tsr(tmp_path / "sent" / "bumps-q1.xlsx", valid_tsr())
    _ingest(tmp_path, sqlite_url, {CHARITY: sent}, FIRST)
    cell, value = _cell_of(sent, "Activity", "Infants", ("NHS Lothian", "Peer support"))

    result = _explain(
        sqlite_url, "third_sector_activity", "--charity", CHARITY, "--fund", "MAIN",
        "--board", LOTHIAN, "--support-type", "Peer support", "--year", "2022-23",
        "--quarter", "Q1", "--measure", "infants",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert _row(result.output, "infants") == ["infants", str(value), cell]
    finance = _explain(
        sqlite_url, "third_sector_finance", "--charity", CHARITY, "--year", "2022-23",
        "--quarter", "Q1",
    )  # fmt: skip
    assert finance.exit_code == 0, finance.output
    assert "£14,000.50" in finance.output
    assert _cell_of(sent, "Finance", "Spend", ("58000",))[0] in finance.output


def test_a_column_left_off_names_no_cell(tmp_path: Path, warehouse_url: str) -> None:
    """A return laid out as the template, but for the optional Vacant WTE column left
    off: its vacancies are derived and name no cell; its other figures name the cells a
    person finds them in."""
    sent = write(tmp_path / "sent" / "lothian-q1.xlsx", valid_return(LOTHIAN))
    book = load_workbook(sent)
    book["Staffing"].delete_cols(5)  # Vacant WTE
    book.save(sent)
    _ingest(tmp_path, warehouse_url, {LOTHIAN: sent}, FIRST)

    rows = query(
        warehouse_url,
        "SELECT measure, cell, is_derived FROM lineage WHERE view_name = 'staffing' "
        "AND service = 'IMH' AND staff_group = 'Psychology' ORDER BY measure",
    )

    assert [(m, c, bool(d)) for m, c, d in rows] == [
        ("funded_wte", _cell_of(sent, "Staffing", "Funded", ("IMH", "Psychology"))[0], False),
        ("in_post_wte", _cell_of(sent, "Staffing", "In post", ("IMH", "Psychology"))[0], False),
        ("vacant_wte", None, True),
    ]


_CELLS = (
    "SELECT submission_id, sheet, source_row, measure, cell FROM lineage "
    "ORDER BY submission_id, sheet, source_row, measure"
)


def _migrate(url: str, direction: str, revision: str) -> None:
    """Only Alembic's migrations, as `alembic downgrade/upgrade REVISION`."""
    engine = open_warehouse(url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def test_a_warehouse_keeping_every_letter_keeps_its_cells(
    resubmitted: tuple[str, Path, Path],
) -> None:
    """Back at 0009, where every measure read had its letter stored and a missing row
    meant no cell was known, and up again: every figure names the cell it named before,
    and a return loaded before letters were kept (no rows at all) names none."""
    url = resubmitted[0]
    before = query(url, _CELLS)
    assert before
    assert all(cell for *_, cell in before)

    _migrate(url, "downgrade", "0009")

    loaded = len(query(url, "SELECT DISTINCT submission_id FROM fact_activity"))
    measures = sum(len(sheet.measures) for sheet in BQR.sheets)
    assert query(url, "SELECT COUNT(*) FROM source_column") == [(loaded * measures,)]
    assert query(url, "SELECT COUNT(*) FROM source_column WHERE column_letter = ''") == [(0,)]
    oldest = query(url, "SELECT MIN(submission_id) FROM fact_activity")[0][0]
    with open_warehouse(url).begin() as connection:  # as if loaded before letters were kept
        connection.execute(
            text("DELETE FROM source_column WHERE submission_id = :oldest"), {"oldest": oldest}
        )

    upgrade(open_warehouse(url))

    after = query(url, _CELLS)
    assert after == [(*row[:4], None if row[0] == oldest else row[4]) for row in before]
