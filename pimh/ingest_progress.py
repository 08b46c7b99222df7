"""The bar `pimh ingest` and `pimh demo` show while a run works, and its retry notices.

Fed by the run itself: each count is a step of the flow finishing (`flows.progress`), and
each retry notice is Prefect's own record of a task failing and being retried. Nothing is
guessed from the clock. With output going to a file or a pipe there is no bar (it would
fill the file with redraws), only the retry notices, one line each.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from flows.progress import Step, reporting_progress

# The steps shown as bars, with their labels; the others set the bars' totals.
BARS: Final[dict[Step, str]] = {"read": "Files read", "validated": "validated", "loaded": "loaded"}

# Prefect's words when a task fails and will be tried again (prefect.task_engine).
_RETRY = re.compile(r"Retry (\d+)/(\d+) will start (.+)$")
_RETRY_LOGGER: Final = "prefect.task_runs"

# What a retried task was reaching for, in the reader's words.
_WHAT: Final[dict[str, str]] = {
    "prepare_warehouse": "the warehouse",
    "claim_files": "the warehouse",
    "read_register": "the warehouse",
    "load_warehouse": "the warehouse",
    "write_annotated_copies": "storage or the warehouse",
    "publish_trackers": "the warehouse",
    "name_this_run": "Prefect's API",
}


def retry_notice(task_run_name: str, message: str) -> str | None:
    """`Could not reach the warehouse; retry 1 of 3 in 1 second…` from Prefect's retry log
    line, or None when the line is not about a retry."""
    match = _RETRY.search(message)
    if match is None:
        return None
    task_name = task_run_name.rsplit("-", 1)[0]
    what = _WHAT.get(task_name, "storage" if task_name else "a step")
    attempt, attempts, when = match.groups()
    seconds = re.match(r"([\d.]+) second", when)
    if seconds is not None:
        count = float(seconds.group(1))
        when = f"in {count:g} second{'' if count == 1 else 's'}"
    return f"Could not reach {what} ({task_name}); retry {attempt} of {attempts} {when}…"


class _RetryNotices(logging.Handler):
    """Prints a notice for every task retry Prefect logs in this run."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        name = str(getattr(record, "task_run_name", "") or "")
        notice = retry_notice(name, record.getMessage().splitlines()[-1])
        if notice is not None:
            self.console.print(
                notice, style="yellow", highlight=False, markup=False, soft_wrap=True
            )


@contextmanager
def ingest_progress(console: Console, locations: int) -> Iterator[None]:
    """Show the run's progress on `console` while the block runs (a bar on a terminal)."""
    notices = _RetryNotices(console)
    logger = logging.getLogger(_RETRY_LOGGER)
    # pimh keeps Prefect's logging at WARNING; its retry lines are INFO. The console
    # handler stays quiet (pimh.cli_ingest), so only this handler prints them.
    level = logger.level
    logger.setLevel(min(logging.INFO, logger.getEffectiveLevel()))
    logger.addHandler(notices)
    try:
        if not console.is_terminal:
            yield
            return
        with _bars(console, locations) as listener, reporting_progress(listener):
            yield
    finally:
        logger.removeHandler(notices)
        logger.setLevel(level)


@contextmanager
def _bars(console: Console, locations: int) -> Iterator[_Listener]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield _Listener(progress, locations)


class _Listener:
    """Turns the flow's step counts into the bars: files read, validated and loaded."""

    def __init__(self, progress: Progress, locations: int) -> None:
        self.progress = progress
        self.status = progress.add_task(f"Looking in {locations} location(s)…", total=None)
        self.bars: dict[Step, TaskID] = {}

    def __call__(self, step: Step, count: int) -> None:
        if step == "received":
            self.progress.update(self.status, description=f"{count} file(s) received")
            return
        if step == "new":
            self.progress.update(self.status, description=f"{count} new file(s) to take in")
            for bar, label in BARS.items():
                self.bars[bar] = self.progress.add_task(label, total=count)
            return
        task = self.bars.get(step)
        if task is not None:
            total = self.progress.tasks[task].total or 0
            self.progress.update(task, completed=count, total=max(total, count))
