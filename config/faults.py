"""Named points where the fault tests stop the pipeline dead, as a crash would.

The reliability suite proves that nothing is lost or doubled when a process dies at the
worst moments (while reading, between two load transactions, while writing feedback).
Killing at a chosen point, rather than after a guessed delay, makes those tests
deterministic. Set `PIMH_FAULT_KILL_AT=<point>` (or `<point>:<n>` for its n-th passing)
and the process sends itself SIGKILL there; `PIMH_FAULT_KILL_GROUP=1` kills its whole
process group instead. Unset, a point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
from typing import Final, Literal

Point = Literal[
    "after_receive", "after_read", "before_load", "after_load_chunk", "after_html_reports",
    "before_annotated_copies", "after_annotated_copy",
]  # fmt: skip
KILL_AT: Final = "PIMH_FAULT_KILL_AT"
KILL_GROUP: Final = "PIMH_FAULT_KILL_GROUP"
_passed: dict[str, int] = {}


def checkpoint(point: Point) -> None:
    """Die here if the environment asks for it (see the module docstring)."""
    wanted = os.environ.get(KILL_AT)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != point:
        return
    _passed[point] = _passed.get(point, 0) + 1
    if _passed[point] < int(nth or 1):
        return
    if os.environ.get(KILL_GROUP):
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
