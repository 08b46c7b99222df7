"""Named points where the fault tests stop or stall the pipeline, as a crash would.

The reliability suite proves that nothing is lost or doubled when a process dies at the
worst moments (after reading, between two load transactions, while writing feedback), or
when the warehouse goes away mid-load. Acting at a chosen point, rather than after a
guessed delay, makes those tests deterministic:

- `PIMH_FAULT_AT=<point>` (or `<point>:<n>` for its n-th passing) chooses the moment;
- `PIMH_FAULT=kill` (the default) sends this process SIGKILL there, `kill-group` its
  whole process group, `pause:<seconds>` sleeps there (a window to cut the database).

Unset, a point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Final, Literal

Point = Literal[
    "after_receive", "after_read", "after_html_reports", "after_load_chunk",
    "before_annotated_copies", "after_annotated_copy", "before_email_sent",
    "after_email_sent",
]  # fmt: skip
FAULT_AT: Final = "PIMH_FAULT_AT"
FAULT: Final = "PIMH_FAULT"
_passed: dict[str, int] = {}


def checkpoint(point: Point) -> None:
    """Act here if the environment asks for it (see the module docstring)."""
    wanted = os.environ.get(FAULT_AT)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != point:
        return
    _passed[point] = _passed.get(point, 0) + 1
    if _passed[point] != int(nth or 1):
        return
    action, _, argument = os.environ.get(FAULT, "kill").partition(":")
    if action == "pause":
        time.sleep(float(argument or 5))
    elif action == "kill-group":
        os.killpg(os.getpgrp(), signal.SIGKILL)
    else:
        os.kill(os.getpid(), signal.SIGKILL)
