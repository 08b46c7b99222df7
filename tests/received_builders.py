"""Received files and what the reader made of them, for testing the steps after reading."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from connectors.workbook import extract_workbook
from domain.records import LandedFile, ReceivedFile
from domain.workbook import WorkbookContent
from samples.board_returns import BoardReturnContent
from samples.third_sector_returns import ThirdSectorReturnContent
from schemas.validate_batch import RETURN_LAYOUTS
from tests.builders import write
from tests.tsr_builders import write_tsr

MAX_BYTES, MAX_EXPANDED = 20_000_000, 200_000_000
RECEIVED_AT = dt.datetime(2022, 7, 20, 9, 30, tzinfo=dt.UTC)
LANDING = "/landing"  # nothing is written there: give a real folder to steps that write


def board_bytes(tmp_path: Path, content: BoardReturnContent) -> bytes:
    return write(tmp_path / "board.xlsx", content).read_bytes()


def tsr_bytes(tmp_path: Path, content: ThirdSectorReturnContent) -> bytes:
    return write_tsr(tmp_path / "tsr.xlsx", content).read_bytes()


def received(
    key: int,
    data: bytes,
    folder: str | None,
    name: str = "return.xlsx",
    landing: str = LANDING,
) -> ReceivedFile:
    """File `key` of a batch, landed in `folder` (None: straight in the landing area)."""
    where = f"{landing}/{folder}" if folder else landing
    sha256 = hashlib.sha256(data).hexdigest()
    landed = LandedFile(
        url=f"{where}/{name}",
        landing_root=landing,
        folder=folder or "",
        reporter_code=folder if folder and folder[:2] in ("S0", "SC") else None,
        file_name=name,
        size=len(data),
    )
    return ReceivedFile(key, landed, data, sha256, f"/archive/{sha256}/{name}", RECEIVED_AT)


def read(items: list[ReceivedFile]) -> list[WorkbookContent]:
    """What the reader makes of each file, in order."""
    return [extract_workbook(i.data, RETURN_LAYOUTS, MAX_BYTES, MAX_EXPANDED) for i in items]
