"""Reader workers: capped in memory, and gone when the command that started them is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from connectors.isolation import read_isolated
from tests.crashers import HOG, RAISE, hog_on_magic


def test_a_workbook_that_wants_gigabytes_costs_only_itself() -> None:
    """A worker asking for 8 GB meets its own cap: that file is rejected, the rest read."""
    results = read_isolated([b"first", HOG, b"second", RAISE, b"third"], hog_on_magic, workers=2)

    assert [r.template_name for r in results] == ["first", None, "second", None, "third"]
    for lost in (results[1], results[3]):
        assert [i.severity for i in lost.issues] == ["error"]
        assert "could not be read" in lost.issues[0].message


def test_an_exception_in_process_is_contained_too() -> None:
    """With no worker processes an item's exception is that item's problem, not the batch's."""
    results = read_isolated([b"first", RAISE, b"second"], hog_on_magic, workers=0)

    assert [r.template_name for r in results] == ["first", None, "second"]
    assert not results[1].readable


def _children(pid: int) -> set[int]:
    """Every living descendant of `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal is Linux's")
def test_killing_the_command_leaves_no_reader_process_behind(tmp_path: Path) -> None:
    """SIGKILL to the process that started the pool: its forkserver, workers and resource
    tracker all go within seconds (before, they lived on with parent PID 1)."""
    script = tmp_path / "reader.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            sys.path.insert(0, sys.argv[1])
            from connectors.isolation import read_isolated
            from tests.crashers import crash_on_magic
            if __name__ == "__main__":
                read_isolated([b"a", b"b", b"c", b"d"], crash_on_magic, workers=2)
                print("ready", flush=True)
                time.sleep(600)
            """
        )
    )
    command = subprocess.Popen(
        [sys.executable, str(script), str(Path.cwd())], stdout=subprocess.PIPE, text=True
    )
    try:
        assert command.stdout is not None
        assert command.stdout.readline().strip() == "ready"
        helpers = _children(command.pid)
        assert len(helpers) >= 3  # the forkserver and two workers, at least
        os.kill(command.pid, signal.SIGKILL)
        command.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in helpers if _alive(p)] == []
    finally:
        if command.poll() is None:
            command.kill()
        for pid in _children(command.pid):
            os.kill(pid, signal.SIGKILL)
