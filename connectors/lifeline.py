"""Helper processes that die with the process that started them, however it dies.

A container runtime or the OOM killer stops a command with SIGKILL, which no handler in
the command can catch; on Linux the kernel can still tell each helper (the reader's
forkserver and workers, Prefect's API server) that its parent is gone. Elsewhere this
is a no-op and helpers exit when their pipes close.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from typing import Final

_PR_SET_PDEATHSIG: Final = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux only).

    If the parent is already gone (this process was re-parented before asking), exit now.
    """
    if sys.platform != "linux":
        return
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)
    if os.getppid() != parent or parent == 1:
        os._exit(1)
