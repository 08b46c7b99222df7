"""Running a landing watcher in a test: its own thread, what it handed over, a clean end.

Shared by the tests of the watcher's rules and of the watcher itself: the timings (short,
and exact in binary so that rules are tested to the boundary) and a file-dropping helper.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from config.settings import Settings
from connectors.watch import watch_landing

LOTHIAN, BORDERS = "S08000024", "S08000016"
CLOSE_QUIET, SETTLE = 0.125, 0.25

FAST = Settings(
    close_quiet_seconds=CLOSE_QUIET,
    settle_seconds=SETTLE,
    watch_poll_seconds=0.1,
    batch_max_files=100,
    batch_quiet_seconds=0.3,
    batch_max_wait_seconds=2.0,
)


def put(landing: Path, name: str = f"{LOTHIAN}/q1.xlsx", data: bytes = b"bytes") -> str:
    """Drop a file under `landing` in one write; its path, as the watcher names it."""
    path = landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


class Watcher:
    """A watcher running in its own thread: the batches it handed over, the lines it logged."""

    def __init__(self, batch_seconds: float) -> None:
        self.stop = threading.Event()
        self.batches: list[list[str]] = []
        self.lines: list[str] = []
        self.failure: BaseException | None = None
        self._batch_seconds = batch_seconds
        self._lock = threading.Lock()

    def on_batch(self, batch: list[str]) -> None:
        with self._lock:
            self.batches.append(batch)
        time.sleep(self._batch_seconds)  # an ingest run takes time; files keep settling

    def files(self) -> list[str]:
        with self._lock:
            return [url for batch in self.batches for url in batch]

    def wait_for(self, *urls: str | Path, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not {str(url) for url in urls} <= set(self.files()):
            assert time.monotonic() < deadline, f"not taken within {timeout}s: {urls}"
            assert self.failure is None, self.failure
            time.sleep(0.02)


StartWatcher = Callable[..., Watcher]


def new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread not in before]


@contextmanager
def watchers() -> Iterator[StartWatcher]:
    """Starts watchers; on leaving, stops each (promptly) and checks no thread is left."""
    before = set(threading.enumerate())
    running: list[tuple[Watcher, threading.Thread]] = []

    def start(location: str | Path, *, batch_seconds: float = 0.0, **options: Any) -> Watcher:
        watcher = Watcher(batch_seconds)
        options.setdefault("settings", FAST)

        def run() -> None:
            try:
                watch_landing(
                    str(location),
                    watcher.on_batch,
                    watcher.stop,
                    log=watcher.lines.append,
                    **options,
                )
            except BaseException as exc:
                watcher.failure = exc

        thread = threading.Thread(target=run, name="test watcher")
        thread.start()
        running.append((watcher, thread))
        deadline = time.monotonic() + 10
        while not watcher.lines:  # the first line: the watch is in place
            assert watcher.failure is None, watcher.failure
            assert time.monotonic() < deadline, "the watcher did not start"
            time.sleep(0.01)
        return watcher

    try:
        yield start
    finally:
        for watcher, _ in running:
            watcher.stop.set()
        for watcher, thread in running:
            thread.join(timeout=5)
            assert not thread.is_alive(), "the watcher did not stop"
            assert watcher.failure is None, watcher.failure
    assert new_threads(before) == []
