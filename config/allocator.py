"""How polars' memory allocator gives memory back in the process that holds a run's data.

Polars allocates through its own jemalloc, which it configures on import to keep freed
pages for half a second to a second and a half (`dirty_decay_ms:500,muzzy_decay_ms:1000`)
in case they are wanted again. A backfill's run lasts two or three seconds and makes
many short-lived frames, so the pages it freed a moment ago were still counted in its
peak memory: about 38 MB of a 1,920-return backfill's 368 MB (benchmarks/RESULTS.md,
eighth round). Given back at once, that peak is 330 MB.

Only in the process that runs the flow. The reader's worker processes churn through
thousands of workbooks' frames and hold little at once; given back at once there too,
a backfill took 1.14x f59731a's time instead of 1.06x (and 1.24x its CPU seconds
instead of 1.17x). So polars is imported here with the setting, and the variable is
then put back as it was found, for the processes this one starts. An operator's own
`_RJEM_MALLOC_CONF` is left alone: polars appends it to its own settings in every
process.

It is done by the packages a process starts from (`pimh`, `flows`, `benchmarks`), since
it must come before polars is imported anywhere.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Final

ALLOCATOR_VARIABLE: Final = "_RJEM_MALLOC_CONF"
RETURN_AT_ONCE: Final = "dirty_decay_ms:0,muzzy_decay_ms:0"
# What polars itself writes to the variable on import, and so what a process started by
# one that had imported polars may inherit: not an operator's choice.
POLARS_OWN: Final = "dirty_decay_ms:500,muzzy_decay_ms:1000"


def return_freed_memory_at_once() -> bool:
    """Import polars with its allocator giving freed pages back at once, in this process
    only; False if polars was imported already (too late) or an operator has set the
    allocator's variable (theirs applies).
    """
    if "polars" in sys.modules:
        return False
    found = os.environ.get(ALLOCATOR_VARIABLE)
    if found not in (None, POLARS_OWN):
        return False
    os.environ[ALLOCATOR_VARIABLE] = RETURN_AT_ONCE
    try:
        importlib.import_module("polars")  # reads the variable, once per process
    finally:
        if found is None:
            os.environ.pop(ALLOCATOR_VARIABLE, None)
        else:
            os.environ[ALLOCATOR_VARIABLE] = found
    return True
