"""Prefect settings for a machine with no network and no Prefect server configured.

Applied before Prefect is imported. Each is only a default: a data team pointing pimh at
a real Prefect server sets PREFECT_API_URL (and anything else) in the environment.
"""

from __future__ import annotations

import os
from typing import Final

# How Prefect's server records task runs (see `_DEFAULTS`); docker-compose.yml gives the
# data team's server the same.
RECORDER_BATCHING: Final = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
}

_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
    # The server records task runs from their events one event per transaction by
    # default: 30 ms of the server's CPU per task run on these machines, a third of a
    # backfill's when both cores are busy. Recorded together, at most a second later.
    # Read by any server pimh starts (the temporary one, `pimh serve`'s).
    **RECORDER_BATCHING,
}


def apply_defaults() -> None:
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
