"""The landing watcher on real folders: real writers, inotify, listings and threads.

Files are taken once they stop changing, each once, in bounded batches. Every watcher a
test starts is stopped and joined afterwards, and the test fails if a thread is left
behind or the watcher raised. The rules themselves are tested in test_watch_rules.py.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from connectors.landing import discover
from connectors.watch import watch_landing
from domain.records import LandedFile
from tests.watch_harness import (
    BORDERS,
    CLOSE_QUIET,
    FAST,
    LOTHIAN,
    SETTLE,
    StartWatcher,
    Watcher,
    new_threads,
    put,
    watchers,
)


@pytest.fixture
def watch() -> Iterator[StartWatcher]:
    with watchers() as start:
        yield start


def _taken_once(watcher: Watcher, landing: Path, *urls: str | Path) -> None:
    """`urls` were each taken exactly once: checked after a later file was taken too."""
    sentinel = put(landing, f"{BORDERS}/sentinel {uuid.uuid4().hex}.xlsx")
    watcher.wait_for(sentinel)
    taken = watcher.files()
    assert sorted(url for url in taken if url != sentinel) == sorted(map(str, urls))
    assert len(taken) == len(set(taken))


def test_a_slow_copy_held_open_is_taken_only_once_closed(
    watch: StartWatcher, landing: Path
) -> None:
    # The reporter's folder is there before the watch: a file written into a folder made
    # after it may be seen only appearing, and settle by its metadata (watch_events).
    (landing / LOTHIAN).mkdir()
    watcher = watch(landing)
    target = landing / LOTHIAN / "slow.xlsx"
    with target.open("wb") as writer:
        for chunk in range(3):
            writer.write(b"x" * 1000)
            writer.flush()
            # Longer than both quiet periods; meanwhile another file is taken.
            other = put(landing, f"{BORDERS}/meanwhile {chunk}.xlsx")
            time.sleep(CLOSE_QUIET + SETTLE)
            watcher.wait_for(other)
            assert str(target) not in watcher.files()
    watcher.wait_for(target)
    assert f"settled: {target} (3000 bytes)" in watcher.lines
    target.read_bytes()  # our own reading of it is no change
    meanwhile = [landing / BORDERS / f"meanwhile {chunk}.xlsx" for chunk in range(3)]
    _taken_once(watcher, landing, target, *meanwhile)


def test_a_file_renamed_into_place_is_taken(
    watch: StartWatcher, landing: Path, tmp_path: Path
) -> None:
    watcher = watch(landing)
    partial = Path(put(landing, f"{LOTHIAN}/q1.xlsx.part"))
    partial.rename(landing / LOTHIAN / "q1.xlsx")
    outside = tmp_path / "copied beside.xlsx"
    outside.write_bytes(b"bytes")
    outside.rename(landing / LOTHIAN / "q2.xlsx")
    _taken_once(watcher, landing, landing / LOTHIAN / "q1.xlsx", landing / LOTHIAN / "q2.xlsx")


def test_temporary_lock_and_hidden_files_are_never_taken(
    watch: StartWatcher, landing: Path
) -> None:
    watcher = watch(landing)
    for name in [
        f"{LOTHIAN}/~$q1.xlsx",
        f"{LOTHIAN}/.q1.xlsx.swp",
        f"{LOTHIAN}/q1.tmp",
        f"{LOTHIAN}/q1.xlsx.crdownload",
        f".snapshot/hourly.0/{LOTHIAN}/q1.xlsx",
        ".DS_Store",
    ]:
        put(landing, name)
    time.sleep(CLOSE_QUIET + SETTLE)
    _taken_once(watcher, landing)


def test_ten_files_dropped_together_are_one_batch(watch: StartWatcher, landing: Path) -> None:
    # Quiet for long enough that a busy test machine cannot split the drop.
    watcher = watch(landing, settings=FAST.model_copy(update={"batch_quiet_seconds": 1.0}))
    dropped = [put(landing, f"{LOTHIAN}/return {n}.xlsx") for n in range(10)]
    watcher.wait_for(*dropped)
    assert [sorted(batch) for batch in watcher.batches] == [sorted(dropped)]


def test_a_storm_of_files_comes_in_a_few_bounded_batches_each_file_once(
    watch: StartWatcher, landing: Path
) -> None:
    watcher = watch(landing, batch_seconds=0.2)
    dropped = [put(landing, f"S080000{16 + n % 5}/return {n}.xlsx") for n in range(500)]
    watcher.wait_for(*dropped, timeout=30)
    assert sorted(watcher.files()) == sorted(dropped)
    assert all(len(batch) <= FAST.batch_max_files for batch in watcher.batches)
    assert len(watcher.batches) <= 10, [len(b) for b in watcher.batches]


def test_files_there_at_start_are_taken_except_those_already_recorded(
    watch: StartWatcher, landing: Path
) -> None:
    waiting = [put(landing, f"{LOTHIAN}/q{n}.xlsx") for n in range(3)]
    asked: list[LandedFile] = []

    def already_recorded(found: list[LandedFile]) -> set[str]:
        asked.extend(found)
        return {waiting[0]}

    watcher = watch(landing, already_recorded=already_recorded)
    assert sorted(file.url for file in asked) == waiting
    assert {file.reporter_code for file in asked} == {LOTHIAN}
    watcher.wait_for(*waiting[1:])
    _taken_once(watcher, landing, *waiting[1:])


def test_a_local_folder_is_polled_when_asked(watch: StartWatcher, landing: Path) -> None:
    watcher = watch(landing, poll=True)
    assert "listing it every" in watcher.lines[0]
    path = put(landing)
    _taken_once(watcher, landing, path)


def test_object_storage_is_polled_new_files_once_replaced_files_again(
    watch: StartWatcher,
) -> None:
    location = f"memory://landing-{uuid.uuid4().hex}"
    store = fsspec.filesystem("memory")
    root = location.removeprefix("memory://")
    store.pipe(f"{root}/{LOTHIAN}/before.xlsx", b"there at start")

    def already_recorded(found: list[LandedFile]) -> set[str]:
        return {file.url for file in found if file.file_name == "before.xlsx"}

    watcher = watch(location, already_recorded=already_recorded)
    store.pipe(f"{root}/{LOTHIAN}/q1.xlsx", b"first")
    store.pipe(f"{root}/{LOTHIAN}/~$q1.xlsx", b"lock")
    urls = {file.file_name: file.url for file in discover(location)}
    assert set(urls) == {"before.xlsx", "q1.xlsx"}  # named as `pimh ingest` names them
    watcher.wait_for(urls["q1.xlsx"])
    store.pipe(f"{root}/{BORDERS}/q1.xlsx", b"other")
    watcher.wait_for(f"memory:///{root.lstrip('/')}/{BORDERS}/q1.xlsx")
    assert watcher.files().count(urls["q1.xlsx"]) == 1
    store.pipe(f"{root}/{LOTHIAN}/q1.xlsx", b"second, replacing the first")
    deadline = time.monotonic() + 10
    while watcher.files().count(urls["q1.xlsx"]) < 2:
        assert time.monotonic() < deadline, "a replaced file was not taken again"
        time.sleep(0.02)
    assert urls["before.xlsx"] not in watcher.files()
    assert not any("~$" in url for url in watcher.files())
    store.rm(root, recursive=True)


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_stop_is_prompt_and_leaves_no_thread(poll: bool, landing: Path) -> None:
    before = set(threading.enumerate())
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(
        target=watch_landing,
        args=(str(landing), lambda batch: None, stop),
        kwargs={"settings": FAST, "log": lines.append, "poll": poll},
    )
    thread.start()
    while not lines:
        time.sleep(0.01)
    time.sleep(0.2)
    asked_at = time.monotonic()
    stop.set()
    thread.join(timeout=5)
    assert time.monotonic() - asked_at < 1.0
    assert new_threads(before) == []


def test_a_failing_callback_ends_the_watch_and_leaves_no_thread(landing: Path) -> None:
    before = set(threading.enumerate())
    put(landing)

    def refuse(batch: list[str]) -> None:
        raise RuntimeError("the warehouse is down")

    with pytest.raises(RuntimeError, match="warehouse is down"):
        watch_landing(str(landing), refuse, threading.Event(), settings=FAST)
    assert new_threads(before) == []


def test_a_landing_area_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        watch_landing(
            str(tmp_path / "missing"), lambda batch: None, threading.Event(), settings=FAST
        )
