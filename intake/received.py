"""A file taken from the landing area: its bytes, fingerprint and archive copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Final

from connectors.archive import archive, archive_url_for, read_all, sha256_of
from connectors.isolation import submit_to_pool
from domain.records import LandedFile, ReceivedFile

# The archive copies go to the worker pool in runs of at most this many bytes. Each run
# is pickled whole in this process on its way to a worker: handed over as one share per
# worker (7 MB each for a backfill of 1,920 files), they left about 10 MB of this
# process's memory resident at the run's peak, since glibc keeps a freed block that
# large in its heap for the next one (its mmap threshold rises to meet it) rather than
# giving it back. A run of this size costs a hand-over of well under a millisecond.
ARCHIVE_RUN_BYTES: Final = 256 * 1024


@dataclass(slots=True)
class Archiving:
    """The archive copies of a batch, written in the background once `start`ed.

    `start` hands the copies to the reader's worker processes. The flow starts them once
    the batch is read: queued before the reading, they held up every read by the tenth
    of a second a worker takes to write a thousand copies, on a machine whose cores the
    reading keeps busy; after it, they are written while this process validates.
    `confirm` starts any not yet started and returns only once every copy is stored,
    writing again any that failed, and raises if one still cannot be stored. The flow
    confirms before it records anything in the warehouse or writes feedback, so a file
    is never on record without its copy (and the landing area still holds the original
    until then).
    """

    archive_root: str
    workers: int = 0
    queued: list[list[ReceivedFile]] = field(default_factory=list)
    pending: list[tuple[list[ReceivedFile], Future[list[str]]]] = field(default_factory=list)
    failed: list[ReceivedFile] = field(default_factory=list)

    def start(self) -> None:
        """The queued copies handed to the worker pool, run by run in the batch's order; a
        run the pool will not take is written by `confirm`, in this process."""
        queued, self.queued = self.queued, []
        for items in queued:
            triples = [(i.sha256, i.landed.file_name, i.data) for i in items]
            try:
                future = submit_to_pool(self.workers, archive_all, self.archive_root, triples)
            except (RuntimeError, OSError):  # a pool shut down, or one that cannot start
                self.failed.extend(items)
            else:
                self.pending.append((items, future))

    def confirm(self) -> None:
        self.start()
        for items, future in self.pending:
            if future.cancelled() or future.exception() is not None:
                self.failed.extend(items)
        self.pending.clear()
        still: list[ReceivedFile] = []
        for item in self.failed:
            try:
                archive(self.archive_root, item.sha256, item.landed.file_name, item.data)
            except OSError:
                still.append(item)
        self.failed = still
        if still:
            names = ", ".join(item.landed.file_name for item in still[:5])
            raise OSError(f"{len(still)} received file(s) could not be archived: {names}")


def archive_all(archive_root: str, files: list[tuple[str, str, bytes]]) -> list[str]:
    """Archive (sha256, file name, bytes) triples; picklable, for a worker process."""
    return [archive(archive_root, sha256, name, data) for sha256, name, data in files]


def receive_batch(
    landed: Sequence[LandedFile],
    archive_root: str,
    received_at: dt.datetime | None = None,
    workers: int = 0,
) -> tuple[list[ReceivedFile], Archiving]:
    """Read and fingerprint every file now; archive them in the background.

    The copies are written by the reader's worker processes (`workers` of them) once
    `Archiving.start` is called: threads here would make every read and every result
    wait its turn for this process's interpreter lock. With no workers they are written
    here, by `confirm`. The copies' locations are known at once (the archive is
    content-addressed); call `Archiving.confirm` before relying on them.
    """
    now = received_at or dt.datetime.now(dt.UTC)
    received: list[ReceivedFile] = []
    contents = read_all([file.url for file in landed])
    for key, (file, data) in enumerate(zip(landed, contents, strict=True)):
        sha256 = sha256_of(data)
        url = archive_url_for(archive_root, sha256, file.file_name)
        received.append(ReceivedFile(key, file, data, sha256, url, now))
    archiving = Archiving(archive_root, workers)
    if workers <= 0 or not received:
        archiving.failed = received  # written by `confirm`, in this process
        return received, archiving
    archiving.queued = runs_of_bytes(received, ARCHIVE_RUN_BYTES)
    return received, archiving


def runs_of_bytes(files: Sequence[ReceivedFile], limit: int) -> list[list[ReceivedFile]]:
    """`files` in order, cut into consecutive runs of at most `limit` bytes of data each;
    a file larger than `limit` is a run of its own."""
    runs: list[list[ReceivedFile]] = []
    size = limit + 1  # so that the first file starts a run
    for file in files:
        if size + len(file.data) > limit:
            runs.append([])
            size = 0
        runs[-1].append(file)
        size += len(file.data)
    return runs
