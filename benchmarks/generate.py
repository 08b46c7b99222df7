"""Realistic landing areas for benchmarks: every board, N quarters, a few percent bad.

Quirks rotate across returns; about 3% of returns carry an error and 3% a warning, as a
real backfill would.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from samples.board_returns import Quirks, Row, realistic_board_return, write_board_return
from schemas.reference import BOARDS, QUARTERS

QUIRKS = (
    Quirks(),
    Quirks(title_rows=1, header_style="snake_case"),
    Quirks(header_style="units_in_brackets", sheet_names="padded_lower"),
    Quirks(numbers_as_text=True, blank_rows_between=True),
    Quirks(total_row=True, start_column=1),
    Quirks(title_rows=0, header_style="upper_case", sheet_names="upper_case"),
)


def periods(quarters: int, first_year: int = 2015) -> list[tuple[str, str]]:
    found = []
    for index in range(quarters):
        start = first_year + index // 4
        found.append((f"{start}-{(start + 1) % 100:02d}", QUARTERS[index % 4]))
    return found


def _spoil(rows: list[Row], rng: random.Random, column: int, value: int) -> None:
    rows[rng.randrange(len(rows))][column] = value


def generate(landing: Path, quarters: int, seed: int = 1) -> int:
    """Write `quarters` quarters of board returns under `landing`; returns the file count."""
    rng = random.Random(seed)
    count = 0
    for year, quarter in periods(quarters):
        for index, code in enumerate(BOARDS):
            content = realistic_board_return(code, year, quarter, rng)
            roll = rng.random()
            if roll < 0.03:
                _spoil(content.activity, rng, 2, 10**6)  # accepted above received
            elif roll < 0.06:
                _spoil(content.finance, rng, 3, 10**9)  # forecast far above allocation
            quirks = QUIRKS[(count + index) % len(QUIRKS)]
            path = landing / code / f"{code} {year} {quarter}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_board_return(path, content, quirks)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--quarters", type=int, default=40)
    args = parser.parse_args()
    print(f"wrote {generate(args.landing, args.quarters)} returns to {args.landing}")


if __name__ == "__main__":
    main()
