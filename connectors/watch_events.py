"""Telling when local files have settled, from the kernel's file-system events (inotify).

A file is taken `close_quiet_seconds` after its writer closed it (or after it was moved
into place) with no write since. A file being written waits for that close however long
the writer pauses, so a copy stalled half-way over a slow link is never read. Reading a
file (ours included) opens and closes it without writing: that is no change.

Some files appear without being seen written: those already there when watching began,
and those written into a new folder before its watch was added (watchdog reports them as
created, nothing more). Their close was missed, so they are taken like files found at
start: once their size and modification time hold still across `settle_seconds`. A real
creation is always followed at once by its writer's open, which moves the file to
waiting for the close.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from queue import Empty, SimpleQueue

from watchdog.events import (
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)

from connectors.batches import SettledFile
from connectors.landing import ignored

Stat = Callable[[str], os.stat_result]
TimedEvent = tuple[float, FileSystemEvent]


@dataclass(frozen=True, slots=True)
class _Appeared:
    """Seen to exist, never seen written: settles once (size, mtime) holds still."""

    fingerprint: tuple[int, int] | None
    since: float


@dataclass(frozen=True, slots=True)
class _Writing:
    """Open for writing: waits for the writer's close.

    `wrote`: a write was seen, not only an open; an open then a close without writing was
    only a reader.
    """

    wrote: bool


@dataclass(frozen=True, slots=True)
class _Closed:
    """Closed after writing, or moved into place, at `since`; taken once quiet."""

    since: float


_State = _Appeared | _Writing | _Closed


class EventSettler:
    """Which files under `root` have settled, from the events seen; it reads no clock.

    Files are named by absolute local path, the form `pimh ingest` takes. `stat_file`
    can be replaced, so the rules can be tested without a file system.
    """

    def __init__(
        self,
        root: str,
        *,
        close_quiet_seconds: float,
        settle_seconds: float,
        stat_file: Stat = os.stat,
    ) -> None:
        self._root = os.path.abspath(root)
        self._close_quiet_seconds = close_quiet_seconds
        self._settle_seconds = settle_seconds
        self._stat = stat_file
        self._states: dict[str, _State] = {}

    def __len__(self) -> int:
        """How many files are being followed (written, closed or appeared, not yet taken)."""
        return len(self._states)

    def appeared(self, path: str, now: float) -> None:
        """A file found without an event (the scan at start): settle it by its metadata."""
        if self._takes(path) and path not in self._states:
            self._states[path] = _Appeared(self._fingerprint(path), now)

    def apply(self, event: FileSystemEvent, at: float) -> None:
        """Follow one event, received at `at`."""
        path = os.fsdecode(event.src_path)
        if event.is_directory:
            # A folder moved in from outside has no source: nothing of it was followed.
            if path and event.event_type in ("deleted", "moved"):
                self._forget_below(path)
            return
        current = self._states.get(path)
        if isinstance(event, FileMovedEvent):
            self._states.pop(path, None)
            destination = os.fsdecode(event.dest_path)
            if destination and self._takes(destination):
                self._states[destination] = _Closed(at)
        elif isinstance(event, FileDeletedEvent):
            self._states.pop(path, None)
        elif not self._takes(path):
            return
        elif isinstance(event, FileCreatedEvent) and not isinstance(current, _Writing):
            self._states[path] = _Appeared(self._fingerprint(path), at)
        elif isinstance(event, FileOpenedEvent) and isinstance(current, _Appeared):
            self._states[path] = _Writing(wrote=False)
        elif isinstance(event, FileModifiedEvent):
            self._states[path] = _Writing(wrote=True)
        elif isinstance(event, FileClosedEvent):
            self._states[path] = _Closed(at)
        elif (
            isinstance(event, FileClosedNoWriteEvent)
            and isinstance(current, _Writing)
            and not current.wrote
        ):
            self._states[path] = _Appeared(self._fingerprint(path), at)

    def settled(self, now: float) -> list[SettledFile]:
        """The files that settled by `now`; each is taken once (until it changes again)."""
        taken: list[SettledFile] = []
        for path, state in sorted(self._states.items()):
            if isinstance(state, _Closed) and now - state.since >= self._close_quiet_seconds:
                size = self._size(path)
                if size is not None:
                    taken.append(SettledFile(path, size))
                del self._states[path]
            elif isinstance(state, _Appeared) and now - state.since >= self._settle_seconds:
                fingerprint = self._fingerprint(path)
                if fingerprint is None:
                    del self._states[path]
                elif fingerprint == state.fingerprint:
                    taken.append(SettledFile(path, fingerprint[0]))
                    del self._states[path]
                else:
                    self._states[path] = _Appeared(fingerprint, now)
        return taken

    def _takes(self, path: str) -> bool:
        """Inside the landing area, and not a temporary, lock or hidden file."""
        relative = os.path.relpath(path, self._root)
        if relative == "." or relative.split(os.sep)[0] == "..":
            return False
        return not ignored(relative.replace(os.sep, "/"))

    def _forget_below(self, folder: str) -> None:
        below = folder.rstrip(os.sep) + os.sep
        for path in [path for path in self._states if path.startswith(below)]:
            del self._states[path]

    def _fingerprint(self, path: str) -> tuple[int, int] | None:
        """(size, modification time in ns) of a regular file; None if it is gone (or not one)."""
        try:
            status = self._stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(status.st_mode):
            return None
        return status.st_size, status.st_mtime_ns

    def _size(self, path: str) -> int | None:
        fingerprint = self._fingerprint(path)
        return None if fingerprint is None else fingerprint[0]


class _Enqueue(FileSystemEventHandler):
    """Hands each event, with the time it came, from the observer's thread to the watcher's."""

    def __init__(self, events: SimpleQueue[TimedEvent]) -> None:
        self._events = events

    def dispatch(self, event: FileSystemEvent) -> None:
        self._events.put((time.monotonic(), event))


def _drain(events: SimpleQueue[TimedEvent]) -> list[TimedEvent]:
    drained: list[TimedEvent] = []
    while True:
        try:
            drained.append(events.get_nowait())
        except Empty:
            return drained


@contextmanager
def local_events(root: str) -> Iterator[Callable[[], list[TimedEvent]]]:
    """The events under `root`, recursively, while the context lasts: yields a function
    returning those received since it was last called.

    Inotify only (Linux), the one backend reporting a close after writing; its "full
    events" mode reports a file moved in from outside the watch as a move, not a bare
    creation. Every watchdog thread is stopped and joined on leaving, even if starting
    failed half-way.
    """
    from watchdog.observers.inotify import InotifyObserver

    events: SimpleQueue[TimedEvent] = SimpleQueue()
    observer = InotifyObserver(generate_full_events=True)
    try:
        observer.schedule(_Enqueue(events), root, recursive=True)
        observer.start()
        yield lambda: _drain(events)
    finally:
        observer.stop()
        if observer.is_alive():
            observer.join()
