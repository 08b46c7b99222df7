"""A file taken from the landing area: its bytes, fingerprint and archive copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from connectors.archive import archive, archive_url_for, read_bytes, sha256_of
from connectors.landing import LandedFile

# Writing a file is mostly waiting on the disk or the object store: a few threads keep
# that wait off the critical path while the batch is read and validated.
ARCHIVE_THREADS = 2


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    key: int
    landed: LandedFile
    data: bytes
    sha256: str
    archive_url: str
    received_at: dt.datetime


@dataclass(slots=True)
class Archiving:
    """The archive copies of a batch being written in the background.

    `confirm` returns only once every copy is stored, writing again any that failed, and
    raises if one still cannot be stored. The flow confirms before it records anything in
    the warehouse or writes feedback, so a file is never on record without its copy (and
    the landing area still holds the original until then).
    """

    archive_root: str
    pending: list[tuple[ReceivedFile, Future[str]]] = field(default_factory=list)
    failed: list[ReceivedFile] = field(default_factory=list)

    def confirm(self) -> None:
        for item, future in self.pending:
            if future.exception() is not None:
                self.failed.append(item)
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


def receive(
    key: int, landed: LandedFile, archive_root: str, received_at: dt.datetime | None = None
) -> ReceivedFile:
    """Read the file once, fingerprint it and keep it in the archive before anything else.

    `received_at` defaults to now; a backfill of history may give the known arrival time.
    """
    data = read_bytes(landed.url)
    sha256 = sha256_of(data)
    stored = archive(archive_root, sha256, landed.file_name, data)
    return ReceivedFile(key, landed, data, sha256, stored, received_at or dt.datetime.now(dt.UTC))


def receive_batch(
    landed: Sequence[LandedFile], archive_root: str, received_at: dt.datetime | None = None
) -> tuple[list[ReceivedFile], Archiving]:
    """Read and fingerprint every file now; archive them on background threads.

    The copies' locations are known at once (the archive is content-addressed); call
    `Archiving.confirm` before relying on them.
    """
    now = received_at or dt.datetime.now(dt.UTC)
    received: list[ReceivedFile] = []
    for key, file in enumerate(landed):
        data = read_bytes(file.url)
        sha256 = sha256_of(data)
        url = archive_url_for(archive_root, sha256, file.file_name)
        received.append(ReceivedFile(key, file, data, sha256, url, now))
    # Writing starts once reading is done: threads waiting on the disk would otherwise
    # make every read here wait its turn for the interpreter lock.
    archiving = Archiving(archive_root)
    writers = ThreadPoolExecutor(ARCHIVE_THREADS, thread_name_prefix="archive")
    for item in received:
        future = writers.submit(
            archive, archive_root, item.sha256, item.landed.file_name, item.data
        )
        archiving.pending.append((item, future))
    writers.shutdown(wait=False)  # the threads finish the queued copies, then end
    return received, archiving
