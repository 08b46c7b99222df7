"""Steady-state backfill throughput of this tree against an earlier revision, on one
machine at one time.

    .venv/bin/python -m benchmarks.compare --baseline f59731a      # 40 quarters
    .venv/bin/python -m benchmarks.compare --baseline f59731a --quarters 160 --runs 2
    .venv/bin/python -m benchmarks.compare --baseline f59731a --postgres
    .venv/bin/python -m benchmarks.compare --baseline f59731a \
        --ablation benchmarks/ablations/no-plausibility-no-emails.patch

A figure in RESULTS.md was taken on another day: on these shared 2-core machines the
same code measures a quarter faster or slower from one hour to the next, so "no worse than
before" is judged here instead. The baseline is checked out in a temporary git worktree;
both trees ingest the same files (this tree's generator), in alternating rounds, each run
in a fresh process with a fresh Prefect database, after one untimed run. Prints each
side's median and spread, in wall time and in CPU seconds of the process tree (less
moved by a busy neighbour), their ratios, and whether each differs beyond the noise
(`noise_verdict`).

With `--ablation PATCH`, "this tree" is the committed tree (HEAD) with the patch applied,
in a second worktree: what a feature costs is measured by taking it out (the patches in
`benchmarks/ablations/` switch features off; they are never applied to main).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.stats import bootstrap, mannwhitneyu

from benchmarks.run import ROOT, landing_for

# Run in each tree's own interpreter path: uses only what both trees' benchmarks/run.py
# have (steady_state, postgres_database), so an old revision needs nothing of this one.
_DRIVER = """
import contextlib, json, os, sys, time, uuid
from pathlib import Path
tree, landing, runs, work = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
backend = sys.argv[5]
sys.path.insert(0, tree)
from pimh.prefect_env import apply_defaults
apply_defaults()
try:  # Prefect's server as `pimh ingest` starts it, where the tree does
    from pimh.prefect_server import start_prefect_api, wait_for_prefect_api
except ImportError:
    pass
else:
    start_prefect_api()
    wait_for_prefect_api()
from benchmarks.run import postgres_database, steady_state

TICK = os.sysconf("SC_CLK_TCK")

def tree_cpu():
    # CPU seconds of this process and all below it (reader workers, Prefect's server),
    # with their waited-for children: less moved by a busy neighbour than wall time.
    parents, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = sum(int(f) for f in fields[11:15]) / TICK
    mine, grew = {os.getpid()}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in mine} - mine
        grew = bool(more)
        mine |= more
    return sum(cpu[p] for p in mine if p in cpu)

def once():
    place = work / uuid.uuid4().hex[:8]
    place.mkdir(parents=True)
    with contextlib.ExitStack() as stack:
        if backend == "postgresql":  # a throw-away database of the PostgreSQL service
            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{place / 'warehouse.db'}"
        os.sync()
        time.sleep(1)
        before = tree_cpu()
        seconds = steady_state(landing, url, place)[1]
        return [seconds, tree_cpu() - before]

if __name__ == "__main__":
    once()  # untimed: Prefect up, every process warm
    print(json.dumps([once() for _ in range(runs)]))
"""


def _side(
    tree: Path, landing: Path, runs: int, work: Path, backend: str
) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds of the process tree) of each timed run."""
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "PREFECT_HOME": tempfile.mkdtemp(prefix="prefect-", dir=work),
    }
    driver = work / "driver.py"
    driver.write_text(_DRIVER)
    done = subprocess.run(
        [
            sys.executable,
            str(driver),
            str(tree),
            str(landing),
            str(runs),
            str(work / "runs"),
            backend,
        ],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{tree}: the steady-state run failed:\n{done.stderr[-3000:]}")
    return [(float(w), float(c)) for w, c in json.loads(done.stdout.strip().splitlines()[-1])]


def _line(name: str, count: int, runs: list[tuple[float, float]]) -> str:
    wall = [w for w, _ in runs]
    cpu = [c for _, c in runs]
    median = statistics.median(wall)
    return (
        f"{name}: median {median:.2f} s = {count / median:.0f} returns/s over {len(wall)} "
        f"runs ({min(wall):.2f}..{max(wall):.2f} s); CPU {statistics.median(cpu):.2f} s "
        f"({min(cpu):.2f}..{max(cpu):.2f})"
    )


def _ratio(runs: dict[str, list[tuple[float, float]]], which: int) -> float:
    mine = statistics.median(r[which] for r in runs["this-tree"])
    return mine / statistics.median(r[which] for r in runs["baseline"])


# Beyond the noise: a two-sided Mann-Whitney test of the two sides' runs below this.
SIGNIFICANCE = 0.05


def _ratio_of_runs(mine: np.ndarray, baseline: np.ndarray) -> float:
    """The Hodges-Lehmann ratio: the median of every this-over-baseline ratio of two runs."""
    return float(np.median(mine[:, None] / baseline[None, :]))


def noise_verdict(what: str, baseline: Sequence[float], mine: Sequence[float]) -> str:
    """Whether `mine` differs from `baseline` beyond the noise, in one line.

    The runs of one side spread by a tenth or more on these machines, so a ratio of
    medians alone cannot say "no worse beyond noise". A Mann-Whitney U test (two-sided,
    scipy's) asks whether one side's runs tend to be longer than the other's, assuming
    nothing of their spread's shape; with too few runs it could never say so, and says
    that instead. The Hodges-Lehmann ratio says by how much, with a 95% bootstrap
    interval: "within the noise" with an interval reaching 1.3 says little.
    """
    mine_runs, baseline_runs = np.asarray(mine, float), np.asarray(baseline, float)
    ratio = _ratio_of_runs(mine_runs, baseline_runs)
    interval = bootstrap(
        (mine_runs, baseline_runs),
        _ratio_of_runs,
        vectorized=False,
        n_resamples=2000,
        method="percentile",
        rng=np.random.default_rng(0),
    ).confidence_interval
    estimate = f"{what}: {ratio:.2f}x (95% interval {interval.low:.2f}-{interval.high:.2f})"
    if 2 / math.comb(len(mine) + len(baseline), len(mine)) >= SIGNIFICANCE:
        return f"{estimate}, too few runs to judge the noise ({len(mine)} and {len(baseline)})"
    test = mannwhitneyu(mine_runs, baseline_runs, alternative="two-sided")
    judged = "beyond the noise" if test.pvalue < SIGNIFICANCE else "within the noise"
    return f"{estimate}, {judged} (Mann-Whitney p = {test.pvalue:.3f})"


def _ablated_tree(patch: Path, place: Path) -> Path:
    """A worktree of HEAD with `patch` applied, its generated data shared with this one's."""
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(place), "HEAD"],
        check=True,
        capture_output=True,
    )
    subprocess.run(["git", "-C", str(place), "apply", str(patch)], check=True)
    return place


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="a git revision, e.g. f59731a")
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side and round")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument(
        "--ablation", type=Path, help="a patch: measure HEAD with it applied as this tree"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="load a throw-away database of the PostgreSQL service (PIMH_TEST_POSTGRES_URL)",
    )
    args = parser.parse_args()
    landing = landing_for(args.out, args.quarters)
    count = len(list(landing.rglob("*.xlsx")))
    work = Path(tempfile.mkdtemp(prefix="compare-", dir=args.out))
    baseline = work / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline],
        check=True,
        capture_output=True,
    )
    timings: dict[str, list[tuple[float, float]]] = {"baseline": [], "this-tree": []}
    backend = "postgresql" if args.postgres else "sqlite"
    this_tree = ROOT
    try:
        if args.ablation is not None:
            this_tree = _ablated_tree(args.ablation.resolve(), work / "ablated")
        for round_number in range(1, args.rounds + 1):
            for name, tree in (("baseline", baseline), ("this-tree", this_tree)):
                timings[name] += _side(tree, landing, args.runs, work / name, backend)
                print(f"round {round_number}, {name}: {timings[name][-args.runs :]}", flush=True)
    finally:
        for tree in {baseline, this_tree} - {ROOT}:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
        shutil.rmtree(work, ignore_errors=True)  # its runs' warehouses and Prefect homes
    print(f"Data: {args.quarters} quarters, {count} returns, into {backend}")
    print(_line(f"Baseline {args.baseline}", count, timings["baseline"]))
    mine = "This tree" if args.ablation is None else f"HEAD with {args.ablation.name}"
    print(_line(mine, count, timings["this-tree"]))
    print(
        f"{mine} takes {_ratio(timings, 0):.2f}x the baseline's time "
        f"and {_ratio(timings, 1):.2f}x its CPU seconds"
    )
    for which, what in ((0, "Time"), (1, "CPU seconds")):
        print(
            noise_verdict(
                what,
                [run[which] for run in timings["baseline"]],
                [run[which] for run in timings["this-tree"]],
            )
        )


if __name__ == "__main__":
    main()
