"""Locating tables over many workbooks at once gives what reading each alone gives.

A backfill reads workbooks in chunks and locates every chunk's tables in a few vectorised
steps (`connectors.locate`). Whatever mix of layouts, quirks and broken files a chunk
holds, each workbook must come out exactly as if it had been read on its own.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from openpyxl import load_workbook

from benchmarks.generate import QUIRKS
from connectors.isolation import extract_many, map_in_lanes, map_isolated
from connectors.workbook import extract_workbook, extract_workbooks
from domain.workbook import WorkbookContent
from samples.board_returns import Quirks, realistic_board_return
from samples.third_sector_demo import demo_register
from samples.third_sector_returns import realistic_third_sector_return
from schemas.validate_batch import RETURN_LAYOUTS
from tests.builders import valid_return, write
from tests.crashers import CRASH, RAISE, crash_on_magic, hog_on_magic, working_span
from tests.tsr_builders import valid_tsr, write_tsr

MAX_BYTES, MAX_EXPANDED = 20_000_000, 200_000_000


def _edited(path: Path, sheet: str, cell: str, value: object) -> bytes:
    book = load_workbook(path)
    book[sheet][cell] = value
    book.save(path)
    return path.read_bytes()


def _without_sheet(path: Path, sheet: str) -> bytes:
    book = load_workbook(path)
    del book[sheet]
    book.save(path)
    return path.read_bytes()


def mixed_batch(folder: Path) -> list[bytes]:
    """Board and charity returns in every quirk, plus workbooks broken in each way the
    locator judges: no header, a missing column, a duplicated column, no sheet, no file."""
    rng = random.Random(7)
    entry = demo_register()[0]
    items: list[bytes] = []
    for number, quirks in enumerate(QUIRKS):
        board = realistic_board_return("S08000024", "2022-23", "Q1", rng)
        items.append(write(folder / f"b{number}.xlsx", board, quirks).read_bytes())
        charity = realistic_third_sector_return(
            entry.charity_number, entry.name, entry.fund, entry.award_gbp,
            entry.board_areas, "2022-23", "Q2", rng,
        )  # fmt: skip
        items.append(write_tsr(folder / f"t{number}.xlsx", charity, quirks).read_bytes())
    canonical = write(folder / "c.xlsx", valid_return()).read_bytes()
    items += [
        _edited(write(folder / "nohead.xlsx", valid_return()), "Staffing", "A4", "Services"),
        _edited(write(folder / "nocol.xlsx", valid_return()), "Activity", "B4", "Something"),
        _edited(write(folder / "dup.xlsx", valid_return()), "Finance", "E4", "Spend in quarter"),
        _without_sheet(write(folder / "nosheet.xlsx", valid_return()), "Finance"),
        b"not a workbook at all",
        write_tsr(folder / "total.xlsx", valid_tsr(), Quirks(total_row=True)).read_bytes(),
        canonical,
    ]
    return items


def _same(batch: WorkbookContent, alone: WorkbookContent) -> None:
    assert (batch.template_name, batch.template_version) == (
        alone.template_name,
        alone.template_version,
    )
    assert batch.cover == alone.cover
    assert sorted(batch.issues, key=repr) == sorted(alone.issues, key=repr)
    assert sorted(batch.sheets) == sorted(alone.sheets)
    for name, table in batch.sheets.items():
        other = alone.sheets[name]
        assert table.frame.equals(other.frame), name
        assert (table.letters, table.total, table.total_row) == (
            other.letters,
            other.total,
            other.total_row,
        )


def test_a_mixed_chunk_reads_as_each_workbook_alone(tmp_path: Path) -> None:
    items = mixed_batch(tmp_path)

    together = extract_workbooks(items, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED)

    alone = [extract_workbook(data, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED) for data in items]
    for batch_content, single in zip(together, alone, strict=True):
        _same(batch_content, single)
    # And the mix really exercised the locator: tables, totals and every kind of problem.
    assert sum(len(c.sheets) for c in together) >= 40
    assert any(c.sheets.get("Activity") and c.sheets["Activity"].total for c in together)
    messages = " ".join(i.message for c in together for i in c.issues)
    for expected in ("has no table", "in its header row", "appears twice", "no 'Finance'"):
        assert expected in messages


def test_chunk_tables_keep_their_own_rows(tmp_path: Path) -> None:
    """Two returns with different rows in one chunk: each table holds its own rows only,
    with the sheet row each came from."""
    first = valid_return()
    second = valid_return("S08000029")
    second.staffing = [["IMH", "Psychology", 9.0, 9.0, None]]
    items = [
        write(tmp_path / "1.xlsx", first).read_bytes(),
        write(tmp_path / "2.xlsx", second, Quirks(title_rows=3, start_column=2)).read_bytes(),
    ]

    one, two = extract_workbooks(items, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED)

    assert one.sheets["Staffing"].frame["service"].to_list() == ["CPMHT", "CPMHT", "IMH", "MBU"]
    staffing = two.sheets["Staffing"]
    assert staffing.frame.select("sheet_row", "service", "funded_wte").rows() == [
        (staffing.frame["sheet_row"][0], "IMH", "9")
    ]
    assert staffing.letters["service"] == "C"


@pytest.mark.parametrize("workers", [0, 2])
def test_extract_many_in_chunks_matches_one_by_one(tmp_path: Path, workers: int) -> None:
    items = mixed_batch(tmp_path) * 3  # several chunks per worker

    chunked = extract_many(items, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED, workers)

    for batch_content, data in zip(chunked, items, strict=True):
        _same(batch_content, extract_workbook(data, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED))


def test_a_crashing_item_fails_alone_in_map_isolated() -> None:
    """The pool helper behind chunked reading and parallel annotation: an item whose
    worker dies gets the fallback, the others their results, in order."""
    items = [b"one", CRASH, b"three", b"four"]

    results = map_isolated(items, crash_on_magic, 2, 30.0, lambda reason: None)

    assert [r.template_name if r else None for r in results] == ["one", None, "three", "four"]


def _overlapping(spans: list[tuple[str, int, float, float]]) -> bool:
    ordered = sorted(spans, key=lambda span: span[2])
    return any(later[2] < earlier[3] for earlier, later in itertools.pairwise(ordered))


def test_work_in_one_lane_is_never_done_by_two_processes_at_once() -> None:
    """The annotated copies are made in one lane of a two-process pool, so that the flow's
    own process keeps a core for the load: never two items at once, every item once, in
    order. Without the lane, the same items do overlap (the check can tell)."""
    items = [f"item {n}".encode() for n in range(20)]

    in_one_lane = map_in_lanes(items, working_span, 2, 30.0, lambda _: None, lanes=1)
    in_two = map_in_lanes(items, working_span, 2, 30.0, lambda _: None, lanes=2)

    assert [span[0] for span in in_one_lane if span] == [item.decode() for item in items]
    assert not _overlapping([span for span in in_one_lane if span])
    assert _overlapping([span for span in in_two if span])


def test_a_crashing_or_raising_item_fails_alone_in_its_lane() -> None:
    """A lane whose process dies is made again one item per process: only the culprit is
    lost; an item that raises fails alone without losing its lane."""
    crashed = map_in_lanes(
        [b"one", CRASH, b"three", b"four"], crash_on_magic, 2, 30.0, lambda _: None, lanes=1
    )
    raised = map_in_lanes([b"one", RAISE, b"three"], hog_on_magic, 2, 30.0, lambda _: None, lanes=1)

    assert [r.template_name if r else None for r in crashed] == ["one", None, "three", "four"]
    assert [r.template_name if r else None for r in raised] == ["one", None, "three"]
    assert len({r.template_version for r in raised if r}) == 1  # its run was not redone
