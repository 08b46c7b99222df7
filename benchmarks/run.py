"""Backfill benchmark: throughput, cold start, baseline and floor ratios, growth, memory.

    .venv/bin/python -m benchmarks.run                 # full run (40 quarters), writes RESULTS.md
    .venv/bin/python -m benchmarks.run --smoke         # a few quarters, prints only (CI)

Prints every figure with the machine's details. Targets are judged on full runs only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.generate import generate, register_path

ROOT = Path(__file__).resolve().parents[1]
DATA_VERSION = 2
POSTGRES_ADMIN = os.environ.get(
    "PIMH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    packages = ", ".join(
        f"{p} {version(p)}" for p in ("prefect", "polars", "pandera", "fastexcel", "sqlalchemy")
    )
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {memory_kb / 1e6:.1f} GB, "
        f"Python {platform.python_version()}; {packages}"
    )


def files_in(landing: Path) -> list[Path]:
    return sorted(landing.rglob("*.xlsx"))


def landing_for(out: Path, quarters: int) -> Path:
    """Generated once and kept: boards' and charities' returns, and the register beside.

    The folder is named for the generator's version too, so that a changed generator
    (v2: a board's levels steady from quarter to quarter) is never measured on old files.
    """
    landing = out / f"returns-{quarters}q-v{DATA_VERSION}"
    if not landing.exists() or not register_path(landing).exists():
        shutil.rmtree(landing, ignore_errors=True)
        generate(landing, quarters)
    return landing


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"pimh_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from warehouse.engine import cached_warehouse

        cached_warehouse.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cost_model(runs: list[tuple[int, float]]) -> tuple[float, float, float]:
    """Least-squares line seconds = fixed + per_return * returns over (returns, seconds),
    and the largest relative deviation of a run from it: linear cost means a small one."""
    count = len(runs)
    mean_n = sum(n for n, _ in runs) / count
    mean_s = sum(t for _, t in runs) / count
    spread = sum((n - mean_n) ** 2 for n, _ in runs)
    per_return = sum((n - mean_n) * (t - mean_s) for n, t in runs) / spread
    fixed = mean_s - per_return * mean_n
    worst = max(abs(t - (fixed + per_return * n)) / t for n, t in runs)
    return fixed, per_return, worst


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


STEADY_RUNS = 3


def median_of(repeats: int, run: Callable[[], tuple[int, float]]) -> tuple[int, float, str]:
    """(returns, median seconds, the runs' spread in words) of `repeats` runs, each begun
    with the disk's writes of the one before flushed.

    On these shared 2-core machines one run of the same code varies by a quarter from the
    next; the median and the spread say what is a change and what is noise.
    """
    timings = []
    for _ in range(repeats):
        os.sync()
        time.sleep(1)
        n, seconds = run()
        timings.append(seconds)
    if repeats == 1:
        return n, timings[0], ""
    ordered = sorted(timings)
    return (
        n,
        ordered[len(ordered) // 2],
        (f" (median of {repeats} runs: {ordered[0]:.2f}..{ordered[-1]:.2f} s)"),
    )


def fresh(out: Path, name: str) -> Path:
    """A new folder for one measurement. Old ones are removed when the benchmark starts,
    not between measurements: deleting thousands of files makes the disk busy for a while
    (discards), which would be charged to the next measurement."""
    return out / "runs" / f"{name}-{uuid.uuid4().hex[:8]}"


def steady_state(landing: Path, warehouse_url: str, work: Path) -> tuple[int, float]:
    """(returns, seconds) of one in-process flow run, Prefect already up.

    The register is loaded first, as the data team loads it before a backfill.
    """
    from config.settings import Settings
    from flows.ingest import ingest
    from intake.register import read_register
    from pimh.prefect_server import temporary_server_settings
    from warehouse.engine import cached_warehouse
    from warehouse.register_load import load_register

    load_register(cached_warehouse(warehouse_url), read_register(register_path(landing)))
    settings = Settings(
        warehouse_url=warehouse_url,
        archive_url=str(work / "archive"),
        feedback_url=str(work / "feedback"),
        settle_seconds=0,
    )
    with temporary_server_settings():  # as `pimh ingest` runs it
        seconds = timed(lambda: ingest([str(landing)], settings))
    return len(files_in(landing)), seconds


@dataclass(slots=True)
class PeakMemory:
    """Peak resident memory (MB) of a command's own process and of its largest helper
    process (the reader workers; Prefect's API server is not pimh's and is left out)."""

    command: int = 0
    largest_worker: int = 0


def _rss_mb(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()
        return int(fields[0]) // 1024
    except (OSError, IndexError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    """Processes under `pid` (from /proc), skipping Prefect's server."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if b"uvicorn" not in command:
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cold_command(
    landing: Path, warehouse_url: str, work: Path, register: Path | None = None
) -> tuple[float, PeakMemory]:
    """Wall time and peak memory of a whole `pimh ingest --register` in a fresh process,
    the workers' sampled from /proc every 100 ms."""
    env = {
        **os.environ,
        "PIMH_ARCHIVE_URL": str(work / "archive"),
        "PIMH_FEEDBACK_URL": str(work / "feedback"),
        "PIMH_SETTLE_SECONDS": "0",
    }
    command = [
        sys.executable, "-m", "pimh", "ingest", str(landing), "--warehouse", warehouse_url,
        *(["--register", str(register)] if register else []),
    ]  # fmt: skip
    peak = PeakMemory()
    # GNU time, where installed, reports the command's own exact peak (a child forked
    # from this large process would count this process's pages); the rest is sampled.
    maxrss = work / "command-maxrss-kb"
    gnu_time = Path("/usr/bin/time").exists()
    if gnu_time:
        command = ["/usr/bin/time", "-f", "%M", "-o", str(maxrss), *command]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    while process.poll() is None:
        below = _descendants(process.pid) if gnu_time else [process.pid, *_descendants(process.pid)]
        peak.command = max(peak.command, _rss_mb(below[0]) if below else 0)
        workers = [_rss_mb(child) for child in below[1:]]  # below[0] is pimh itself
        peak.largest_worker = max([peak.largest_worker, *workers])
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    if gnu_time:  # exact, where the sampled figure may miss a short peak
        peak.command = int(maxrss.read_text().split()[-1]) // 1024
    return seconds, peak


def oversized_return(path: Path, rows: int) -> None:
    from samples.board_returns import BoardReturnContent, write_board_return

    groups = ("Psychiatry", "Psychology", "Mental Health Nursing", "Midwifery")
    staffing = [["CPMHT", groups[i % 4], 1.0, 1.0, None] for i in range(rows)]
    content = BoardReturnContent(
        "S08000024", "2022-23", "Q1", "Lothian", "x", "x@example.org", staffing, [], []
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_board_return(path, content)


def main() -> None:  # noqa: PLR0915 - one script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--smoke", action="store_true", help="a few quarters, print only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    quarters = 2 if args.smoke else args.quarters
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    from pimh.prefect_env import apply_defaults

    # Prefect's own database for the benchmark, new each run: its size (every earlier
    # run's history) would otherwise weigh on what is measured. It is created below,
    # before anything is timed: a cold command reuses it, as on a machine in service.
    if "PREFECT_HOME" not in os.environ:
        shutil.rmtree(out / "prefect-home", ignore_errors=True)  # a young database each run
        os.environ["PREFECT_HOME"] = str(out / "prefect-home")
    apply_defaults()
    lines = [f"Date: {dt.date.today()}"]

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    report(f"Machine: {machine()}")
    shutil.rmtree(out / "runs", ignore_errors=True)
    landing = landing_for(out, quarters)
    os.sync()
    count = len(files_in(landing))
    boards = sum(1 for p in files_in(landing) if p.parent.name.startswith("S08"))
    size_mb = sum(p.stat().st_size for p in files_in(landing)) / 1e6
    report(
        f"Data: {quarters} quarters, {count} returns ({boards} boards', {count - boards} "
        f"charities'), {size_mb:.1f} MB"
    )

    empty = fresh(out, "prefect-database")
    (empty / "landing").mkdir(parents=True)
    cold_command(empty / "landing", f"sqlite:///{empty / 'warehouse.db'}", empty)  # untimed
    work = fresh(out, "cold")
    work.mkdir(parents=True)
    cold, peak = cold_command(
        landing, f"sqlite:///{work / 'warehouse.db'}", work, register_path(landing)
    )
    report(
        f"Cold `pimh ingest` (SQLite, Prefect start included): {cold:.2f} s, peak RSS "
        f"{peak.command} MB (largest reader worker {peak.largest_worker} MB)"
    )

    # Prefect up, and every process warm (readers, validation): one quarter, untimed.
    warm = fresh(out, "warm")
    warm.mkdir(parents=True)
    steady_state(landing_for(out, 1), f"sqlite:///{warm / 'warehouse.db'}", warm)
    repeats = 1 if args.smoke else STEADY_RUNS

    def on_sqlite() -> tuple[int, float]:
        work = fresh(out, "steady")
        work.mkdir(parents=True)
        return steady_state(landing, f"sqlite:///{work / 'warehouse.db'}", work)

    n, seconds, spread = median_of(repeats, on_sqlite)
    sqlite_rate = n / seconds
    report(
        f"Steady state, SQLite: {n} returns in {seconds:.2f} s = {sqlite_rate:.0f} returns/s"
        f"{spread}"
    )
    if not args.no_postgres:

        def on_postgres() -> tuple[int, float]:
            with postgres_database() as url:
                return steady_state(landing, url, fresh(out, "steady-pg"))

        n, seconds, spread = median_of(repeats, on_postgres)
        rate = n / seconds
        report(
            f"Steady state, PostgreSQL: {n} returns in {seconds:.2f} s = {rate:.0f} returns/s"
            f"{spread}"
        )

    from benchmarks.baseline_pandas import ingest as baseline
    from benchmarks.read_floor import read_all

    files = files_in(landing)
    base = fresh(out, "baseline")
    base.mkdir(parents=True)
    base_seconds = timed(lambda: baseline(files, base / "baseline.db"))
    base_rate = count / base_seconds
    report(
        f"Plain pandas+openpyxl+to_sql script: {base_rate:.0f} returns/s; "
        f"pipeline/baseline = {sqlite_rate / base_rate:.1f}x"
    )
    floor_seconds = timed(lambda: read_all(files))
    floor_rate = count / floor_seconds
    report(
        f"Read floor (calamine alone, one core): {floor_rate:.0f} returns/s; "
        f"floor/pipeline = {floor_rate / sqlite_rate:.1f}x"
    )

    # Volume grows from the backfill itself (1x = the 40 quarters) to 4x and 16x of it.
    growth = [] if args.smoke else [quarters, quarters * 4, quarters * 16]
    rates = []
    runs: list[tuple[int, float]] = []
    for q in growth:
        grown = landing_for(out, q)
        work = fresh(out, f"growth-{q}")
        work.mkdir(parents=True)
        n, seconds = steady_state(grown, f"sqlite:///{work / 'warehouse.db'}", work)
        rates.append(n / seconds)
        runs.append((n, seconds))
        report(f"Growth {q // quarters}x ({q} quarters, {n} returns): {n / seconds:.0f} returns/s")
    if rates:
        report(f"Throughput spread 1x..16x: {(max(rates) - min(rates)) / max(rates):.0%}")
        fixed, per_return, worst = cost_model(runs)
        report(
            f"Cost model over the growth runs: {fixed:.2f} s per run + {per_return * 1e3:.2f} ms "
            f"per return ({1 / per_return:.0f} returns/s at the margin); largest deviation "
            f"from the line {worst:.0%}"
        )

    rows = 2_000 if args.smoke else 100_000
    big = out / f"oversized-{rows}" / "S08000024" / "oversized.xlsx"
    if not big.exists():
        oversized_return(big, rows)
    work = fresh(out, "oversized")
    work.mkdir(parents=True)
    seconds, peak = cold_command(big.parents[1], f"sqlite:///{work / 'warehouse.db'}", work)
    report(
        f"Oversized return ({rows} rows): {seconds:.2f} s, peak RSS {peak.command} MB "
        f"(largest reader worker {peak.largest_worker} MB)"
    )
    report(
        "Drop-to-warehouse latency and the 500-file storm: benchmarks/service.py "
        "(figures in benchmarks/SERVICE_RESULTS.md)"
    )

    if not args.smoke:
        results = ROOT / "benchmarks" / "RESULTS.md"
        # Comparisons, profiles and notes are written by hand below the figures: keep
        # every section after the first.
        kept = ""
        if results.exists():
            sections = results.read_text().split("\n## ")
            kept = "".join(f"\n## {section}" for section in sections[2:])
        figures = "# Benchmark results\n\n## Figures of the last full run\n\n```\n"
        results.write_text(figures + "\n".join(lines) + "\n```\n" + kept)
        print(f"Recorded in {results}")


if __name__ == "__main__":
    main()
