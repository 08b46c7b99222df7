"""A file taken from the landing area: its bytes, fingerprint and archive copy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.archive import archive, read_bytes, sha256_of
from connectors.landing import LandedFile


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    key: int
    landed: LandedFile
    data: bytes
    sha256: str
    archive_url: str
    received_at: dt.datetime


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
