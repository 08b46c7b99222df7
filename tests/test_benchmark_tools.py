"""The benchmarks' tools for telling a change from the machine's noise: the ablation
patches `benchmarks.compare --ablation` measures (each still applies to the committed tree
and switches its features off, so what a feature costs can be measured again whenever the
code has moved on), and the per-step CPU of `benchmarks.stages`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from benchmarks.compare import _ablated_tree, noise_verdict
from benchmarks.run import ROOT

PATCHES = sorted((ROOT / "benchmarks" / "ablations").glob("*.patch"))
# What each patch takes out, by a line of the code it leaves out.
TAKEN_OUT = {
    "no-plausibility-no-emails.patch": [
        ("flows/ingest.py", "if any(batch.accepted for batch in batches[code]):"),
        ("warehouse/load.py", "queue_emails(connection, decided, new_ids)"),
    ],
    "also-no-claims-no-supersession.patch": [
        ("flows/ingest.py", "if any(batch.accepted for batch in batches[code]):"),
        ("warehouse/load.py", "decided = decide_current(connection, todo)"),
        ("warehouse/load.py", "queue_emails(connection, decided, new_ids)"),
    ],
}


def _is_git_checkout() -> bool:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "HEAD"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_every_patch_is_described() -> None:
    assert [p.name for p in PATCHES] == sorted(TAKEN_OUT)


@pytest.mark.skipif(not _is_git_checkout(), reason="needs the git checkout")
@pytest.mark.parametrize("patch", PATCHES, ids=lambda p: p.name)
def test_each_patch_applies_to_the_committed_tree_and_takes_its_features_out(
    patch: Path, tmp_path: Path
) -> None:
    tree = _ablated_tree(patch, tmp_path / "ablated")
    try:
        for name, line in TAKEN_OUT[patch.name]:
            assert line in (ROOT / name).read_text()  # there to take out
            assert line not in (tree / name).read_text()
        assert "ablation:" in (tree / "flows" / "ingest.py").read_text()
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )
    assert not tree.exists()


def test_the_stage_benchmark_times_every_step_of_a_real_backfill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`benchmarks.stages` over one generated quarter: every return loaded in each run,
    and a figure for each step the flow's process does itself."""
    from benchmarks import stages

    monkeypatch.setattr(
        "sys.argv", ["stages", "--quarters", "1", "--runs", "2", "--out", str(tmp_path)]
    )
    stages.main()

    printed = capsys.readouterr().out
    assert "Data: 1 quarters, 48 returns, 48 loaded a run" in printed
    steps = [line.split()[0:2] for line in printed.splitlines() if line.endswith(" ms")]
    assert [s[0] for s in steps] == [
        "claim", "sort", "validate", "shape", "compare", "validate", "shape", "compare",
        "records", "load", "in",
    ]  # fmt: skip
    assert not list(tmp_path.glob("stages-*"))  # its warehouses and archive are removed


def test_runs_spread_alike_are_within_the_noise_and_a_shift_is_beyond_it() -> None:
    """The verdict `benchmarks.compare` prints: runs of two sides that interleave are
    within the noise whatever their medians; a side whose every run is a quarter longer
    is beyond it, and its interval says by how much; two runs a side cannot be judged."""
    baseline = [1.43, 1.52, 1.55, 1.60, 1.64, 1.71, 1.78, 1.86, 2.04]
    interleaved = [1.50, 1.54, 1.58, 1.69, 1.73, 1.76, 1.81, 1.90, 2.07]
    slower = [round(run * 1.1 + 0.25, 2) for run in baseline]

    within = noise_verdict("Time", baseline, interleaved)
    beyond = noise_verdict("Time", baseline, slower)
    unjudged = noise_verdict("Time", baseline[:2], slower[:2])

    assert within.startswith("Time: 1.0")
    assert "within the noise" in within
    assert "beyond the noise" in beyond
    low, high = re.search(r"interval ([\d.]+)-([\d.]+)", beyond).groups()  # type: ignore[union-attr]
    assert 1.1 < float(low) < float(high) < 1.45
    assert "too few runs to judge the noise (2 and 2)" in unjudged
