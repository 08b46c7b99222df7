"""What the reliability suite compares: a quarter's landing area, a run, and what it left.

Two runs over the same files leave the same warehouse and feedback when nothing was lost
or doubled: the same submissions with the same fates, problems and figures, no claim left
unsettled, and the same reports. Paths differ between runs, so they compare relative to
their landing area and feedback folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samples.demo_timeline import prepare_demo
from tests.queries import query
from tests.services import PIMH, Processes, quiet_environment

ARRIVAL = "2022-07-20T09:00:00+00:00"
FIGURE_VIEWS = (
    "staffing", "activity", "finance",
    "third_sector_activity", "third_sector_outcomes", "third_sector_finance",
)  # fmt: skip


def demo_quarter(root: Path) -> tuple[Path, Path]:
    """The demo's on-time returns (13 boards, 32 charities) in a landing area, and the
    register they are checked against: (landing, register CSV)."""
    register, stages = prepare_demo(root / "prepared", "2022-23", "Q1")
    landing = root / "landing"
    shutil.copytree(stages[0].outbox, landing)
    return landing, register


@dataclass(frozen=True)
class Place:
    """Where one run writes: its warehouse, archive and feedback (the landing is shared)."""

    root: Path
    warehouse_url: str

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    def environment(self, prefect_api_url: str | None, **extra: str) -> dict[str, str]:
        defaults = {
            "PIMH_WAREHOUSE_URL": self.warehouse_url,
            "PIMH_ARCHIVE_URL": str(self.root / "archive"),
            "PIMH_FEEDBACK_URL": str(self.feedback),
            "PIMH_SETTLE_SECONDS": "0",
            "PIMH_ARRIVAL_TIME": ARRIVAL,
            "PIMH_LOAD_CHUNK_SIZE": "8",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        }
        env = quiet_environment(self.root / "prefect-home", **{**defaults, **extra})
        if prefect_api_url:
            env["PREFECT_API_URL"] = prefect_api_url
        return env


def sqlite_place(root: Path) -> Place:
    root.mkdir(parents=True, exist_ok=True)
    return Place(root, f"sqlite:///{root / 'warehouse.db'}")


def ingest_command(landing: Path, register: Path) -> list[str]:
    return [*PIMH, "ingest", str(landing), "--register", str(register)]


def run_ingest(
    place: Place, landing: Path, register: Path, prefect_api_url: str | None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """One `pimh ingest` to the end, bounded in time; its output for the assertion message."""
    return subprocess.run(
        ingest_command(landing, register),
        env=place.environment(prefect_api_url, **extra),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def start_ingest(
    running: Processes,
    place: Place,
    landing: Path,
    register: Path,
    prefect_api_url: str | None,
    **extra: str,
) -> subprocess.Popen[bytes]:
    return running.start(
        ingest_command(landing, register),
        place.environment(prefect_api_url, **extra),
        place.root / f"ingest-{len(running.started)}.log",
    )


def _relative(path: object, root: Path) -> str:
    return os.path.relpath(str(path), root) if path else ""


def snapshot(place: Place, landing: Path) -> dict[str, Any]:
    """What a run left, comparable with another run's over the same files."""
    url = place.warehouse_url
    submissions = sorted(
        (_relative(row[0], landing), *row[1:])
        for row in query(
            url,
            "SELECT origin_path, status, errors, warnings, template, reporter_code, "
            "financial_year, quarter FROM submissions",
        )
    )
    issues = sorted(
        (_relative(row[0], landing), *row[1:])
        for row in query(
            url,
            "SELECT s.origin_path, i.severity, i.cell, i.value, i.message "
            "FROM validation_issues i JOIN submissions s ON s.submission_id = i.submission_id",
        )
    )
    figures = {
        view: sorted(
            tuple(value for value in row[:-2])  # without submission_id and source_row
            for row in query(url, f"SELECT * FROM {view}")
        )
        for view in FIGURE_VIEWS
    }
    feedback = sorted(
        str(path.relative_to(place.feedback))
        for path in place.feedback.rglob("*")
        if path.is_file()
    )
    reports = {
        name: (place.feedback / name).read_text() for name in feedback if name.endswith(".html")
    }
    return {
        "submissions": submissions,
        "issues": issues,
        "figures": figures,
        "unsettled claims": query(
            url, "SELECT COUNT(*) FROM file_claim WHERE submission_id IS NULL"
        ),
        "owed copies": query(url, "SELECT COUNT(*) FROM submission WHERE is_annotation_owed"),
        "feedback files": feedback,
        "reports": reports,
    }
