"""Polars' allocator gives freed memory back at once in the process that runs the flow,
and only there: the processes it starts (the reader's workers) keep polars' own setting.

Each case runs a fresh interpreter (the setting only takes before polars is imported),
makes and drops about 150 MB of frames, and reads its resident memory from /proc.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.allocator import ALLOCATOR_VARIABLE, POLARS_OWN, return_freed_memory_at_once

ROOT = Path(__file__).resolve().parents[1]

# Imports `start` (a package a process starts from), then measures resident memory
# before, at the peak of, and just after a burst of polars frames; `inherited` is the
# variable a process started by this one would find.
BURST = """
import importlib, json, os, sys
importlib.import_module(sys.argv[1])
import polars as pl

def resident_mb():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

before = resident_mb()
frames = [
    pl.DataFrame({"n": range(1_500_000)}).with_columns(text=pl.col("n").cast(pl.String))
    for _ in range(3)
]
peak = resident_mb()
del frames
after = resident_mb()
print(json.dumps({"before": before, "peak": peak, "after": after,
                  "inherited": os.environ.get("_RJEM_MALLOC_CONF")}))
"""


def burst(start: str, **environment: str) -> dict[str, float | str | None]:
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_VARIABLE}
    env.update(environment, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", BURST, start],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, float | str | None] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("start", ["pimh", "flows", "benchmarks"])
def test_memory_freed_by_polars_is_given_back_at_once(start: str) -> None:
    figures = burst(start)
    peak, after = float(figures["peak"] or 0), float(figures["after"] or 0)
    assert peak - float(figures["before"] or 0) > 100  # the burst was there to give back
    assert after < peak - 100, figures
    assert figures["inherited"] is None  # a reader worker gets polars' own setting


def test_a_process_started_by_this_one_keeps_polars_own_setting() -> None:
    """As the reader's workers do: started once pimh has set its own, with its environment."""
    parent = (
        "import os, subprocess, sys\n"
        "import pimh\n"
        "child = subprocess.run([sys.executable, '-c', sys.argv[1], 'json'],"
        " env=dict(os.environ), capture_output=True, text=True, check=True)\n"
        "print(child.stdout)"
    )
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_VARIABLE}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", parent, BURST], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=True,
    )  # fmt: skip
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert float(child["after"]) > float(child["peak"]) - 50, child  # kept for a while


def test_what_a_parent_that_imported_polars_passes_on_is_not_an_operators_choice() -> None:
    figures = burst("pimh", **{ALLOCATOR_VARIABLE: POLARS_OWN})
    assert float(figures["after"] or 0) < float(figures["peak"] or 0) - 100, figures


def test_an_operators_own_allocator_setting_is_kept() -> None:
    keep = "dirty_decay_ms:10000,muzzy_decay_ms:10000"
    figures = burst("pimh", **{ALLOCATOR_VARIABLE: keep})
    assert str(figures["inherited"]).endswith(keep)  # polars puts its own first
    # Kept for ten seconds, as the operator asked: still resident just after the burst.
    assert float(figures["after"] or 0) > float(figures["peak"] or 0) - 50, figures


def test_too_late_once_polars_is_imported() -> None:
    import polars  # noqa: F401 - the point: polars is already loaded in this process

    before = os.environ.get(ALLOCATOR_VARIABLE)
    assert return_freed_memory_at_once() is False
    assert os.environ.get(ALLOCATOR_VARIABLE) == before
