"""Extractors for the isolation tests, importable by worker processes (so module-level).

`crash_on_magic` stands in for a parser that aborts the whole process on a hostile file,
as calamine can: it exits its process, without raising, when it meets `CRASH`.
"""

from __future__ import annotations

import os
import time

from domain.workbook import WorkbookContent

CRASH = b"crash the reader"


def crash_on_magic(data: bytes) -> WorkbookContent:
    """A WorkbookContent naming the payload as its template, or the end of this process."""
    if data == CRASH:
        os._exit(1)
    return WorkbookContent(template_name=data.decode(), template_version=str(os.getpid()))


HANG = b"hang the reader"


def hang_on_magic(data: bytes) -> WorkbookContent:
    """Like `crash_on_magic`, but never returns on `HANG`: a parser stuck in a loop."""
    if data == HANG:
        while True:
            time.sleep(1)
    return WorkbookContent(template_name=data.decode(), template_version=str(os.getpid()))


HOG = b"eat all the memory"
RAISE = b"raise in the reader"


def hog_on_magic(data: bytes) -> WorkbookContent:
    """Like `crash_on_magic`, but on `HOG` asks for far more memory than a worker may have,
    as a workbook inflating to gigabytes would; on `RAISE` fails with an ordinary bug."""
    if data == HOG:
        hoard = bytearray(8 * 1024**3)
        return WorkbookContent(template_name=str(len(hoard)))
    if data == RAISE:
        raise ValueError("a parser's bug")
    return WorkbookContent(template_name=data.decode(), template_version=str(os.getpid()))


def working_span(data: bytes) -> tuple[str, int, float, float]:
    """The item, the process that did it, and when it began and ended (30 ms of work)."""
    began = time.monotonic()
    time.sleep(0.03)
    return data.decode(), os.getpid(), began, time.monotonic()
