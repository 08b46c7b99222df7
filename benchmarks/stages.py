"""CPU of each step of a backfill this process does itself, without Prefect: the least of
several runs, each into a fresh warehouse.

    .venv/bin/python -m benchmarks.stages              # 40 quarters, 5 runs
    .venv/bin/python -m benchmarks.stages --runs 9     # steadier

An end-to-end comparison (`benchmarks.compare`) on these shared machines moves by a tenth
or more from one hour to the next, more than most single changes gain. This calls the
flow's steps as the tasks call them (claim, sort, validate and shape, compare with the
previous quarter, make the records, load), the files read once beforehand, and reports
each step's CPU seconds (its polars threads included): the least of the runs, which a
busy neighbour can only make larger. Judge a change to one step by its line here, before
and after, then the whole by `benchmarks.compare`.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import polars as pl

from benchmarks.generate import register_path
from benchmarks.run import ROOT, landing_for
from config.settings import Settings
from connectors.isolation import extract_many
from domain.records import ReceivedFile
from domain.workbook import WorkbookContent
from intake.claimed import split_by_claims
from intake.landed import settled_returns
from intake.outcome import submission_records
from intake.plausibility import add_to_batches, plausibility_issues, thresholds_of
from intake.received import receive_batch
from intake.register import read_register
from intake.triage import triage
from schemas.validate_batch import (
    RETURN_LAYOUTS,
    TEMPLATE_CODES,
    TemplateBatch,
    validate_by_template,
)
from transforms.run_facts import run_fact_rows
from warehouse.claims import Claimant, claim
from warehouse.engine import cached_warehouse
from warehouse.load import known_files, load_submissions
from warehouse.migrate import upgrade
from warehouse.register import all_register_versions
from warehouse.register_load import load_register

T = TypeVar("T")


class StageTimes:
    """The least CPU seconds seen for each step, in the order the steps first ran."""

    def __init__(self) -> None:
        self.least: dict[str, float] = {}

    def time(self, step: str, action: Callable[[], T]) -> T:
        started = time.process_time()
        result = action()
        spent = time.process_time() - started
        self.least[step] = min(self.least.get(step, spent), spent)
        return result


def one_run(
    landing: Path,
    received: list[ReceivedFile],
    contents: list[WorkbookContent],
    place: Path,
    times: StageTimes,
) -> int:
    """The steps once, into a fresh warehouse under `place`; how many records were loaded."""
    settings = Settings(warehouse_url=f"sqlite:///{place / 'warehouse.db'}")
    engine = cached_warehouse(settings.warehouse_url)
    upgrade(engine)
    load_register(engine, read_register(register_path(landing)))
    claimant = Claimant.for_this_process()
    files = [(item.landed.url, item.sha256) for item in received]
    claims = times.time("claim", lambda: claim(engine, files, claimant, 600))
    claimed, _recorded, _elsewhere = split_by_claims(received, claims)
    sorted_files = times.time(
        "sort", lambda: triage(claimed, known_files(engine, [r.sha256 for r in claimed]))
    )
    register = all_register_versions(engine)
    arrivals = {item.key: item.received_at for item in sorted_files.new}
    batches: list[TemplateBatch] = []
    facts: dict[str, pl.DataFrame] = {}
    for code in TEMPLATE_CODES:
        names = [name for name, layout in RETURN_LAYOUTS.items() if layout.code == code]
        mine = times.time(
            f"validate {code}",
            partial(validate_by_template, sorted_files.new, contents, register, names),
        )
        facts |= times.time(f"shape {code}", partial(run_fact_rows, mine))
        issues = times.time(
            f"compare {code}",
            partial(plausibility_issues, engine, mine, arrivals, thresholds_of(settings)),
        )
        add_to_batches(mine, issues)
        batches += mine
    records = times.time("records", lambda: submission_records(sorted_files, contents, batches))
    loaded = times.time(
        "load",
        lambda: load_submissions(engine, records, facts, settings.load_chunk_size, claimant.token),
    )
    engine.dispose()
    return len(loaded.ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    landing = landing_for(args.out, args.quarters)
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="stages-", dir=args.out) as work:
        landed, _still_changing = settled_returns([str(landing)], 0, 10)
        received, archiving = receive_batch(
            landed, str(Path(work) / "archive"), None, settings.reader_processes
        )
        archiving.confirm()
        read = extract_many(
            [item.data for item in received],
            RETURN_LAYOUTS,
            settings.max_file_bytes,
            settings.max_expanded_bytes,
            settings.reader_processes,
        )
        times = StageTimes()
        loaded = 0
        for number in range(args.runs):
            place = Path(work) / f"run-{number}"
            place.mkdir()
            # The steps add to the contents' issues: each run starts from the reader's.
            loaded = one_run(landing, received, copy.deepcopy(read), place, times)
    print(f"Data: {args.quarters} quarters, {len(received)} returns, {loaded} loaded a run")
    print(f"CPU seconds of each step, the least of {args.runs} runs:")
    for step, seconds in times.least.items():
        print(f"  {step:<14} {seconds * 1000:8.1f} ms")
    print(f"  {'in all':<14} {sum(times.least.values()) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
