"""Watching a landing area: files are handed on, in batches, as they settle.

Without it nothing happens until someone types `pimh ingest`; with it the service takes
files as they land (SPEC.md, "The service"). A local folder is followed by inotify
events (`watch_events`); object storage, and a local folder on request (a network mount
where inotify sees nothing), by listing it every `watch_poll_seconds` (`watch_poll`).
Files that settle are gathered into bounded batches (`batches`) and handed, one batch at
a time, to the caller's callback in the caller's own thread, in the form `pimh ingest`
takes: local paths for local folders, full URLs for other storage.

Files that landed while nothing was watching are taken at start; the caller may leave out
those the warehouse has recorded (connectors never reach the warehouse, so the caller
passes the question in).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from fsspec import AbstractFileSystem
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from config.settings import Settings
from connectors.batches import Batcher, SettledFile
from connectors.landing import discover, protocol_prefix
from connectors.watch_events import EventSettler, local_events
from connectors.watch_poll import ListingSettler, list_landing
from domain.records import LandedFile

AlreadyRecorded = Callable[[Sequence[LandedFile]], set[str]]
"""Given files found in the landing area, the URLs of those to leave out (recorded)."""

OnBatch = Callable[[list[str]], None]
Log = Callable[[str], None]
Settling = Callable[[float], list[SettledFile]]

logger = logging.getLogger(__name__)


def watch_landing(
    location: str,
    on_batch: OnBatch,
    stop: threading.Event,
    *,
    settings: Settings,
    already_recorded: AlreadyRecorded | None = None,
    log: Log | None = None,
    poll: bool = False,
) -> None:
    """Hand every file that settles under `location` to `on_batch`, until `stop` is set.

    Blocks in the calling thread, which is also the one `on_batch` is called in, a batch
    at a time: files settling meanwhile wait for the next batch. `stop` is honoured within
    a fraction of a second, except while `on_batch` runs (the batch is finished first);
    every thread the watcher started is joined before it returns. An exception from
    `on_batch` or `already_recorded` ends the watch and reaches the caller. `log` (default:
    this module's logger) gets one line as the watch begins and one per file that settles.
    `poll` lists a local folder instead of following its events.
    """
    say = log or logger.info
    batcher = Batcher(
        settings.batch_max_files, settings.batch_quiet_seconds, settings.batch_max_wait_seconds
    )
    with _settling(location, settings, already_recorded, say, poll=poll) as settling:
        _hand_over(
            settling, batcher=batcher, on_batch=on_batch, stop=stop, tick=_tick(settings), say=say
        )


@contextmanager
def _settling(
    location: str,
    settings: Settings,
    already_recorded: AlreadyRecorded | None,
    say: Log,
    *,
    poll: bool,
) -> Iterator[Settling]:
    """How files settle at `location`: by events for a local folder on Linux, else by listing."""
    fs, path = url_to_fs(location)
    if isinstance(fs, LocalFileSystem):
        root = os.path.abspath(path)
        if not os.path.isdir(root):
            raise NotADirectoryError(f"the landing area is not a folder: {location}")
        if not poll and sys.platform.startswith("linux"):
            with _event_settling(root, settings, already_recorded, say) as settling:
                yield settling
            return
        location = root
    poller = _Poller(fs, location, settings, already_recorded, say)
    say(f"watching {location} for files landing, listing it every {settings.watch_poll_seconds}s")
    yield poller.settled


@contextmanager
def _event_settling(
    root: str, settings: Settings, already_recorded: AlreadyRecorded | None, say: Log
) -> Iterator[Settling]:
    """Events first, then the scan of what is already there, so nothing lands in between."""
    with local_events(root) as received:
        settler = EventSettler(
            root,
            close_quiet_seconds=settings.close_quiet_seconds,
            settle_seconds=settings.settle_seconds,
        )
        waiting = _unrecorded(discover(root), already_recorded)
        started = time.monotonic()
        for file in waiting:
            settler.appeared(file.url, started)
        say(f"watching {root} for files landing ({len(waiting)} waiting from before)")

        def settling(now: float) -> list[SettledFile]:
            for at, event in received():
                settler.apply(event, at)
            return settler.settled(now)

        yield settling


def _tick(settings: Settings) -> float:
    """How long the watcher sleeps between looks: short beside its shortest wait, and
    between a fiftieth and a fifth of a second (a stop is noticed within one)."""
    shortest = min(
        settings.close_quiet_seconds, settings.settle_seconds, settings.batch_quiet_seconds
    )
    return min(0.2, max(0.02, shortest / 2))


def _unrecorded(
    found: list[LandedFile], already_recorded: AlreadyRecorded | None
) -> list[LandedFile]:
    if already_recorded is None or not found:
        return found
    skip = already_recorded(found)
    return [file for file in found if file.url not in skip]


def _hand_over(
    settling: Settling,
    *,
    batcher: Batcher,
    on_batch: OnBatch,
    stop: threading.Event,
    tick: float,
    say: Log,
) -> None:
    """The watcher's loop: gather what settled, hand over what is due, sleep a tick."""
    while not stop.is_set():
        now = time.monotonic()
        for file in settling(now):
            say(f"settled: {file.url} ({file.size} bytes)")
            batcher.add(file.url, now)
        batch = batcher.take_due(time.monotonic())
        if batch is not None:
            on_batch(batch)
        else:
            stop.wait(tick)


class _Poller:
    """Lists the landing area every `watch_poll_seconds`; between listings, nothing settles.

    A listing that fails (storage unreachable) is logged and tried again at the next poll:
    an outage delays files, it does not end the watch.
    """

    def __init__(
        self,
        fs: AbstractFileSystem,
        location: str,
        settings: Settings,
        already_recorded: AlreadyRecorded | None,
        say: Log,
    ) -> None:
        _, path = url_to_fs(location)
        self._fs = fs
        self._location = location
        self._root = path.rstrip("/") or "/"
        self._prefix = protocol_prefix(fs, location)
        self._every = settings.watch_poll_seconds
        self._settler = ListingSettler(settings.settle_seconds)
        self._already_recorded = already_recorded
        self._say = say
        self._next_listing = 0.0
        self._listed_once = False

    def settled(self, now: float) -> list[SettledFile]:
        if now < self._next_listing:
            return []
        self._next_listing = now + self._every
        try:
            listing = list_landing(self._fs, self._root, self._prefix)
        except Exception as exc:  # any store's own errors: all mean "not this time"
            self._say(f"listing {self._location} failed ({exc!r}); trying again in {self._every}s")
            return []
        if not self._listed_once:
            self._listed_once = True
            if self._already_recorded is not None and listing:
                self._settler.skip(listing, self._already_recorded(discover(self._location)))
        return self._settler.observe(listing, now)
