"""SIGKILL at the worst moments, then a rerun: nothing lost, nothing doubled.

Each scenario kills a real `pimh ingest` of a whole quarter at a named point (see
`config.faults`), as a container runtime or the OOM killer would: its whole process
group, or its main process alone (whose helpers must then die with it). A rerun over
the same landing area must leave the same warehouse and feedback as a run that was never
interrupted.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import run_ingest, snapshot, sqlite_place, start_ingest
from tests.services import alive, descendants, processes, wait_until


def _killed(
    point: str, mode: str, quarter: tuple[Path, Path], prefect_api: str, place: Any
) -> tuple[int | None, set[int]]:
    """Run until the fault kills it; its exit code and every helper process it had."""
    landing, register = quarter
    with processes() as running:
        process = start_ingest(
            running, place, landing, register, prefect_api, PIMH_FAULT_AT=point, PIMH_FAULT=mode
        )
        helpers: set[int] = set()
        deadline = time.monotonic() + 180
        while process.poll() is None and time.monotonic() < deadline:
            helpers |= descendants(process.pid)
            time.sleep(0.05)
        return process.poll(), helpers


@pytest.mark.parametrize(
    ("point", "mode"),
    [
        ("after_receive", "kill-group"),
        ("after_read", "kill"),
        ("after_load_chunk:2", "kill"),
        ("after_html_reports", "kill-group"),
        ("after_annotated_copy:2", "kill"),
    ],
)
def test_a_run_killed_part_way_then_run_again_loses_and_doubles_nothing(
    point: str,
    mode: str,
    *,
    quarter: tuple[Path, Path],
    prefect_api: str,
    clean: dict[str, Any],
    tmp_path: Path,
) -> None:
    place = sqlite_place(tmp_path)

    code, helpers = _killed(point, mode, quarter, prefect_api, place)

    assert code == -9, (place.root / "ingest-0.log").read_text()
    # Whether its group or its main process alone was killed, no helper outlives it.
    wait_until(lambda: not any(alive(p) for p in helpers), 20, what="every helper stopping")
    again = run_ingest(place, *quarter, prefect_api)
    assert again.returncode == 0, again.stdout + again.stderr
    assert snapshot(place, quarter[0]) == clean
