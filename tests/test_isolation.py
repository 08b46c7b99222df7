"""Reading workbooks in worker processes: a reader that kills its process loses one file only."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.isolation import extract_many, read_isolated
from schemas.validate_batch import RETURN_LAYOUTS
from tests.builders import valid_return, write
from tests.crashers import CRASH, HANG, crash_on_magic, hang_on_magic


def test_a_crashing_file_costs_only_itself() -> None:
    """With two workers over [good, crash, good], the good files are read and, in order,
    the crasher gets one file-level problem instead of taking the batch down."""
    results = read_isolated([b"first", CRASH, b"second"], crash_on_magic, workers=2)

    assert [r.template_name for r in results] == ["first", None, "second"]
    assert [r.issues for r in results[::2]] == [[], []]
    crashed = results[1]
    assert len(crashed.issues) == 1
    issue = crashed.issues[0]
    assert (issue.severity, issue.sheet, issue.cell, issue.value) == ("error", None, None, None)
    assert "could not be read" in issue.message
    assert not crashed.readable
    # Read in worker processes, never in this one.
    assert all(r.template_version != str(os.getpid()) for r in results[::2])


def test_crashes_anywhere_in_a_longer_batch_are_contained() -> None:
    """Several crashers among many files: every other file is read, results stay in order."""
    items = [CRASH if i % 4 == 1 else f"file {i}".encode() for i in range(10)]

    results = read_isolated(items, crash_on_magic, workers=2)

    assert [r.template_name for r in results] == [
        None if i % 4 == 1 else f"file {i}" for i in range(10)
    ]
    assert [len(r.issues) for r in results] == [1 if i % 4 == 1 else 0 for i in range(10)]


def test_zero_workers_reads_in_this_process() -> None:
    """`workers=0` reads in-process (no isolation), in order; an empty batch reads nothing."""
    results = read_isolated([b"a", b"b"], crash_on_magic, workers=0)

    assert [(r.template_name, r.template_version) for r in results] == [
        ("a", str(os.getpid())),
        ("b", str(os.getpid())),
    ]
    assert read_isolated([], crash_on_magic, workers=2) == []


def test_real_workbooks_read_the_same_in_workers(tmp_path: Path) -> None:
    """The production reader in worker processes gives what it gives in-process."""
    data = write(tmp_path / "r.xlsx", valid_return()).read_bytes()
    items = [data, b"not a workbook", data]

    isolated = extract_many(items, RETURN_LAYOUTS, 10_000_000, 100_000_000, workers=2)
    in_process = extract_many(items, RETURN_LAYOUTS, 10_000_000, 100_000_000, workers=0)

    assert [r.template_name for r in isolated] == [
        "PIMH Board Quarterly Return",
        None,
        "PIMH Board Quarterly Return",
    ]
    assert [r.issues for r in isolated] == [r.issues for r in in_process]
    assert [sorted(r.sheets) for r in isolated] == [sorted(r.sheets) for r in in_process]
    assert isolated[0].sheets["Staffing"].frame.equals(in_process[0].sheets["Staffing"].frame)


def test_a_file_that_hangs_the_reader_costs_only_itself() -> None:
    """It gives up on a file whose reading never ends, and still reads the others."""
    items = [b"first", HANG, b"last"]

    results = read_isolated(items, hang_on_magic, workers=2, seconds_per_file=1.0)

    assert [r.template_name for r in results] == ["first", None, "last"]
    assert "gave up after 1 seconds" in results[1].issues[0].message
    assert results[1].issues[0].cell is None
