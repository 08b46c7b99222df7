"""Prefect settings for a machine with no network and no Prefect server configured.

Applied before Prefect is imported. Each is only a default: a data team pointing pimh at
a real Prefect server sets PREFECT_API_URL (and anything else) in the environment.
"""

from __future__ import annotations

import os
from typing import Final

# How the temporary Prefect server pimh starts (`pimh.prefect_server`), and the data
# team's server in docker-compose.yml, record task runs: a hundred events at a time, at
# most a second after they happen, rather than one event per transaction, which cost
# the server 30 ms of CPU per task run on these machines. Not for a `prefect server` on
# SQLite with several clients (`pimh serve`, a worker and a watcher): its longer write
# transactions made other clients' writes fail with "database is locked".
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
}


def apply_defaults() -> None:
    for name, value in _DEFAULTS.items():
        os.environ.setdefault(name, value)
