"""Gathering settled files into bounded batches, so a storm of arrivals is a few runs.

A board dropping ten files at once should be one ingest run, not ten; five hundred files
in ten seconds should be a handful of runs of bounded size, never five hundred. The
batcher holds no thread and reads no clock: the watcher tells it the time, so its rules
are tested exactly.
"""

from __future__ import annotations

from itertools import islice
from typing import NamedTuple


class SettledFile(NamedTuple):
    """A file that has stopped changing: its URL as `pimh ingest` takes it, and its size."""

    url: str
    size: int


class Batcher:
    """Settled files waiting for their run, handed over by size, quiet or age.

    A batch is due once it holds `max_files`, or `quiet_seconds` after the last file
    joined it, or `max_wait_seconds` after its first joined, whichever comes first. Files
    beyond `max_files` wait for the next batch, whose clock starts with its own first file.
    """

    def __init__(self, max_files: int, quiet_seconds: float, max_wait_seconds: float) -> None:
        if max_files < 1:
            raise ValueError(f"a batch must hold at least one file, not {max_files}")
        self._max_files = max_files
        self._quiet_seconds = quiet_seconds
        self._max_wait_seconds = max_wait_seconds
        # Insertion order is arrival order; the value is when the file joined.
        self._waiting: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, url: str, now: float) -> None:
        """A file settled at `now`; one already waiting keeps its place (it is one file)."""
        self._waiting.setdefault(url, now)

    def take_due(self, now: float) -> list[str] | None:
        """The next batch if it is due at `now` (and no longer waiting), else None."""
        head = list(islice(self._waiting.items(), self._max_files))
        if not head:
            return None
        first_joined = head[0][1]
        last_joined = max(joined for _, joined in head)
        due = (
            len(head) >= self._max_files
            or now - last_joined >= self._quiet_seconds
            or now - first_joined >= self._max_wait_seconds
        )
        if not due:
            return None
        for url, _ in head:
            del self._waiting[url]
        return [url for url, _ in head]
