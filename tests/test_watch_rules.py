"""The watcher's rules, with the time given: batching, settling by listing and by events.

No threads and no clock: each rule is tested to its boundary. The watcher itself, with
real writers and inotify, is tested in test_watch.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from watchdog.events import (
    DirDeletedEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
)

from connectors.batches import Batcher, SettledFile
from connectors.watch_events import EventSettler
from connectors.watch_poll import Listed, ListingSettler
from tests.watch_harness import BORDERS, CLOSE_QUIET, LOTHIAN, SETTLE, put

# --- batching ------------------------------------------------------------------------


def test_a_full_batch_goes_at_once_and_the_rest_waits_for_the_next() -> None:
    batcher = Batcher(max_files=3, quiet_seconds=0.25, max_wait_seconds=2.0)
    for name in "abcd":
        batcher.add(name, 0.0)
    assert batcher.take_due(0.0) == ["a", "b", "c"]
    assert batcher.take_due(0.125) is None
    assert batcher.take_due(0.25) == ["d"]
    assert batcher.take_due(5.0) is None


def test_a_batch_goes_once_quiet_or_once_old() -> None:
    batcher = Batcher(max_files=100, quiet_seconds=0.5, max_wait_seconds=1.0)
    batcher.add("a", 0.0)
    batcher.add("b", 0.25)
    assert batcher.take_due(0.625) is None
    assert batcher.take_due(0.75) == ["a", "b"]
    # A steady trickle never goes quiet: it goes when its first file has waited long enough.
    for at in (2.0, 2.25, 2.5, 2.75):
        batcher.add(f"at {at}", at)
        assert batcher.take_due(at + 0.125) is None
    batcher.add("at 3.0", 3.0)
    assert batcher.take_due(3.0) == ["at 2.0", "at 2.25", "at 2.5", "at 2.75", "at 3.0"]


def test_a_file_settling_twice_while_waiting_is_oneput() -> None:
    batcher = Batcher(max_files=100, quiet_seconds=0.25, max_wait_seconds=1.0)
    batcher.add("a", 0.0)
    batcher.add("a", 0.125)
    assert batcher.take_due(0.25) == ["a"]
    assert len(batcher) == 0


# --- settling by listing -----------------------------------------------------------------


def _listing(**versions: str) -> dict[str, Listed]:
    return {url: Listed((version, "", ""), 1) for url, version in versions.items()}


def test_a_listed_file_settles_after_two_listings_far_enough_apart_once_per_version() -> None:
    settler = ListingSettler(settle_seconds=SETTLE)
    assert settler.observe(_listing(a="v1"), 0.0) == []
    assert settler.observe(_listing(a="v1"), SETTLE / 2) == []
    assert settler.observe(_listing(a="v1"), SETTLE) == [SettledFile("a", 1)]
    assert settler.observe(_listing(a="v1"), 5.0) == []
    # New bytes under the same name: a new version, taken again once it holds still.
    assert settler.observe(_listing(a="v2"), 6.0) == []
    assert settler.observe(_listing(a="v3"), 6.5) == []
    assert settler.observe(_listing(a="v3"), 6.5 + SETTLE) == [SettledFile("a", 1)]
    # Gone, then back with the very same fingerprint: a new arrival.
    assert settler.observe({}, 7.0) == []
    assert settler.observe(_listing(a="v3"), 7.5) == []
    assert settler.observe(_listing(a="v3"), 7.5 + SETTLE) == [SettledFile("a", 1)]


def test_files_skipped_at_start_are_taken_only_in_a_later_version() -> None:
    settler = ListingSettler(settle_seconds=SETTLE)
    first = _listing(recorded="v1", new="v1")
    settler.skip(first, {"recorded", "not listed"})
    settler.observe(first, 0.0)
    assert settler.observe(first, 0.5) == [SettledFile("new", 1)]
    settler.observe(_listing(recorded="v2", new="v1"), 1.0)
    assert settler.observe(_listing(recorded="v2", new="v1"), 1.5) == [SettledFile("recorded", 1)]


# --- settling by events ------------------------------------------------------------------


@pytest.fixture
def events(landing: Path) -> EventSettler:
    return EventSettler(str(landing), close_quiet_seconds=CLOSE_QUIET, settle_seconds=SETTLE)


def _apply(settler: EventSettler, at: float, *happened: FileSystemEvent) -> None:
    for event in happened:
        settler.apply(event, at)


def _urls(settled: list[SettledFile]) -> list[str]:
    return [file.url for file in settled]


def test_a_file_being_written_waits_for_its_close_however_long_the_writer_pauses(
    events: EventSettler, landing: Path
) -> None:
    path = put(landing)
    _apply(events, 0.0, FileCreatedEvent(path), FileOpenedEvent(path), FileModifiedEvent(path))
    assert events.settled(1000.0) == []
    events.apply(FileClosedEvent(path), 1000.0)
    assert events.settled(1000.0 + CLOSE_QUIET / 2) == []
    assert events.settled(1000.0 + CLOSE_QUIET) == [SettledFile(path, 5)]
    assert events.settled(2000.0) == []
    assert len(events) == 0


def test_a_write_after_the_close_waits_for_the_next_close(
    events: EventSettler, landing: Path
) -> None:
    path = put(landing)
    events.apply(FileClosedEvent(path), 0.0)
    events.apply(FileModifiedEvent(path), 0.05)
    assert events.settled(10.0) == []
    events.apply(FileClosedEvent(path), 10.0)
    assert _urls(events.settled(10.0 + CLOSE_QUIET)) == [path]


def test_reading_a_file_is_no_change(events: EventSettler, landing: Path) -> None:
    path = put(landing)
    events.apply(FileOpenedEvent(path), 0.0)
    events.apply(FileClosedNoWriteEvent(path), 0.1)
    assert events.settled(10.0) == []
    assert len(events) == 0


def test_a_file_seen_only_appearing_settles_by_its_size_and_time(
    events: EventSettler, landing: Path
) -> None:
    """Written into a new folder before its watch was added: no open, no close was seen."""
    path = put(landing)
    events.apply(FileCreatedEvent(path, is_synthetic=True), 0.0)
    put(landing, data=b"grown bytes")
    assert events.settled(SETTLE) == []  # it changed since it appeared: wait again
    assert events.settled(SETTLE * 1.5) == []
    assert events.settled(SETTLE * 2) == [SettledFile(path, 11)]


def test_a_created_file_its_writer_opened_waits_for_the_close(
    events: EventSettler, landing: Path
) -> None:
    path, read = put(landing), put(landing, f"{BORDERS}/read.xlsx")
    _apply(events, 0.0, FileCreatedEvent(path), FileOpenedEvent(path))
    # A reader's open and close of a file that appeared leave it settling by its metadata.
    _apply(events, 0.0, FileCreatedEvent(read), FileOpenedEvent(read), FileClosedNoWriteEvent(read))
    assert _urls(events.settled(100.0)) == [read]
    events.apply(FileClosedEvent(path), 100.0)
    assert _urls(events.settled(100.0 + CLOSE_QUIET)) == [path]


def test_a_file_moved_into_place_settles_and_one_moved_away_is_forgotten(
    events: EventSettler, landing: Path
) -> None:
    path, gone = put(landing), put(landing, f"{BORDERS}/gone.xlsx")
    events.apply(FileModifiedEvent(gone), 0.0)
    events.apply(FileMovedEvent(path + ".part", path), 0.0)
    events.apply(FileMovedEvent(gone, ""), 0.0)
    assert _urls(events.settled(CLOSE_QUIET)) == [path]
    assert len(events) == 0


def test_temporary_hidden_and_outside_files_are_never_followed(
    events: EventSettler, landing: Path
) -> None:
    names = ["S08000024/~$q1.xlsx", "S08000024/q1.xlsx.part", ".snapshot/S08000024/q1.xlsx"]
    paths = [put(landing, name) for name in names] + [str(landing.parent / "beside.xlsx")]
    for path in paths:
        events.apply(FileClosedEvent(path), 0.0)
        events.apply(FileMovedEvent("", path), 0.0)
        events.appeared(path, 0.0)
    assert len(events) == 0


def test_a_deleted_file_or_folder_is_forgotten(events: EventSettler, landing: Path) -> None:
    path, other = put(landing), put(landing, f"{BORDERS}/other.xlsx")
    events.apply(FileClosedEvent(path), 0.0)
    events.apply(FileClosedEvent(other), 0.0)
    events.apply(DirDeletedEvent(str(landing / LOTHIAN)), 0.01)
    events.apply(FileDeletedEvent(other), 0.01)
    assert len(events) == 0
