"""Realistic landing areas for benchmarks: every board and funded charity, N quarters.

Each quarter holds the 14 boards' returns and the 34 charities' returns of the demo
register (48 returns; 40 quarters = 1,920 workbooks). Quirks rotate across returns;
about 3% of returns carry an error and 3% a warning, as a real backfill would. The
register the charities' returns are checked against is written beside the landing area.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from domain.periods import FIRST_PROGRAMME_YEAR, QUARTERS
from domain.reference import BOARDS
from samples.board_returns import Quirks, Row, realistic_board_return, write_board_return
from samples.third_sector_demo import RegisterEntry, demo_register, write_register
from samples.third_sector_returns import (
    realistic_third_sector_return,
    write_third_sector_return,
)

QUIRKS = (
    Quirks(),
    Quirks(title_rows=1, header_style="snake_case"),
    Quirks(header_style="units_in_brackets", sheet_names="padded_lower"),
    Quirks(numbers_as_text=True, blank_rows_between=True),
    Quirks(total_row=True, start_column=1),
    Quirks(title_rows=0, header_style="upper_case", sheet_names="upper_case"),
)
# Of every hundred returns, how many carry an error and how many (more) a warning.
ERROR_SHARE, WARNING_SHARE = 0.03, 0.03


def periods(quarters: int, first_year: int = FIRST_PROGRAMME_YEAR) -> list[tuple[str, str]]:
    """Consecutive (financial year, quarter) pairs from the programme's first quarter,
    so that every quarter has a register in force for the charities' returns."""
    found = []
    for index in range(quarters):
        start = first_year + index // 4
        found.append((f"{start}-{(start + 1) % 100:02d}", QUARTERS[index % 4]))
    return found


def register_path(landing: Path) -> Path:
    """Where `generate` writes the register for a landing area (outside the landing area,
    so the watcher and `pimh ingest` never take it for a return)."""
    return landing.parent / f"{landing.name}-register.csv"


def _spoil(rows: list[Row], rng: random.Random, column: int, value: int) -> None:
    rows[rng.randrange(len(rows))][column] = value


def _board_returns(landing: Path, year: str, quarter: str, rng: random.Random, n: int) -> int:
    for index, code in enumerate(BOARDS):
        content = realistic_board_return(code, year, quarter, rng)
        roll = rng.random()
        if roll < ERROR_SHARE:
            _spoil(content.activity, rng, 2, 10**6)  # accepted above received
        elif roll < ERROR_SHARE + WARNING_SHARE:
            _spoil(content.finance, rng, 3, 10**9)  # forecast far above allocation
        path = landing / code / f"{code} {year} {quarter}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_board_return(path, content, QUIRKS[(n + index) % len(QUIRKS)])
    return len(BOARDS)


def _charity_returns(
    landing: Path,
    register: list[RegisterEntry],
    period: tuple[str, str],
    rng: random.Random,
    n: int,
) -> int:
    year, quarter = period
    for index, entry in enumerate(register):
        content = realistic_third_sector_return(
            entry.charity_number, entry.name, entry.fund, entry.award_gbp,
            entry.board_areas, year, quarter, rng,
        )  # fmt: skip
        roll = rng.random()
        if roll < ERROR_SHARE:  # more people improving than answered
            content.outcomes[0][2] = int(content.outcomes[0][1] or 0) + 5
        elif roll < ERROR_SHARE + WARNING_SHARE:  # grant differs from the register
            content.finance[0][0] = entry.award_gbp + 2_500
        path = landing / entry.charity_number / f"{entry.charity_number} {year} {quarter}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_third_sector_return(path, content, QUIRKS[(n + index) % len(QUIRKS)])
    return len(register)


def generate(landing: Path, quarters: int, seed: int = 1, charities: bool = True) -> int:
    """Write `quarters` quarters of returns under `landing` (and the register beside it);
    returns the file count. `charities=False` writes the boards' returns alone."""
    rng = random.Random(seed)
    register = demo_register()
    write_register(register_path(landing), register)
    count = 0
    for period in periods(quarters):
        count += _board_returns(landing, *period, rng, count)
        if charities:
            count += _charity_returns(landing, register, period, rng, count)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--boards-only", action="store_true")
    args = parser.parse_args()
    written = generate(args.landing, args.quarters, charities=not args.boards_only)
    print(f"wrote {written} returns to {args.landing}; register: {register_path(args.landing)}")


if __name__ == "__main__":
    main()
