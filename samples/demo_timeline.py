"""The demo's quarter as it unfolds: returns on time, then corrections and late returns.

Files are prepared in an outbox, one folder per stage laid out like the landing area; the
demo drops each stage into the landing area and ingests it with the stage's arrival time,
so the tracker shows what a real quarter shows: accepted, late, rejected and missing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from domain.periods import due_date
from samples.demo import boards_with_planted_errors, generate_demo_quarter, write_corrected_return
from samples.third_sector_demo import (
    Stage,
    demo_register,
    demo_third_sector_returns,
    write_demo_tsr,
    write_register,
)

# Orkney's return arrives only after the due date.
LATE_BOARD: Final = "S08000025"


@dataclass(frozen=True, slots=True)
class DemoStage:
    stage: Stage
    received_at: dt.datetime
    outbox: Path


def prepare_demo(
    directory: Path, financial_year: str, quarter: str, seed: int = 2022
) -> tuple[Path, list[DemoStage]]:
    """Write the register and every stage's returns; returns the register and the stages."""
    register = demo_register(seed)
    register_path = write_register(directory / "register.csv", register)
    on_time = directory / "outbox" / "1-on-time"
    late = directory / "outbox" / "2-after-the-due-date"
    generate_demo_quarter(on_time, financial_year, quarter, seed)
    late.mkdir(parents=True, exist_ok=True)
    shutil.move(on_time / LATE_BOARD, late / LATE_BOARD)
    for board_code in boards_with_planted_errors():
        write_corrected_return(late, board_code, financial_year, quarter, seed)
    returns = demo_third_sector_returns(register, financial_year, quarter, seed)
    for number, item in enumerate(returns):
        write_demo_tsr(on_time if item.stage == "on time" else late, item, number)
    due = due_date(financial_year, quarter)
    nine = dt.time(9, 0, tzinfo=dt.UTC)
    return register_path, [
        DemoStage("on time", dt.datetime.combine(due - dt.timedelta(days=10), nine), on_time),
        DemoStage(
            "after the due date", dt.datetime.combine(due + dt.timedelta(days=13), nine), late
        ),
    ]
