"""The demo's third sector: a register of 34 funded charities and a quarter of their returns.

Built so the national roll-ups reproduce the programme's published figures exactly from
raw returns (../shared/seeds): 16 Main Grants charities averaging £58,000 and 18 Small
Grants charities averaging £11,500; 5,544 people supported; 86% of people less isolated,
77% better able to meet their infants' needs, 80% receiving support about a warm
relationship, 75% improving in supporting infants at higher risk. Around those figures the
quarter shows what a data team meets: returns with errors, with warnings, one corrected
and sent again, one that stays rejected, one sent late and two never sent.
"""

from __future__ import annotations

import copy
import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from domain.reference import BOARDS
from samples.board_returns import Quirks
from samples.third_sector_returns import (
    ThirdSectorReturnContent,
    realistic_third_sector_return,
    write_third_sector_return,
)

PEOPLE_SUPPORTED: Final = 5_544
MAIN_AVERAGE_AWARD: Final = 58_000
SMALL_AVERAGE_AWARD: Final = 11_500
# Outcome -> (respondents in the quarter, percentage reporting improvement).
OUTCOME_FIGURES: Final[dict[str, tuple[int, int]]] = {
    "LESS_ISOLATED": (2_000, 86),
    "MEET_INFANT_NEEDS": (1_800, 77),
    "WARM_RELATIONSHIP": (1_500, 80),
    "SUPPORT_AT_RISK": (1_200, 75),
    "WELLBEING": (1_600, 82),
}

_MAIN_NAMES: Final = (
    "Bumps and Babies Scotland", "Home-Start Glasgow North", "Parent Network Tayside",
    "PANDAS Scotland", "Mothers Together Lothian", "Dads Rock", "Birthlink Families",
    "Highland Perinatal Peer Network", "Fife Family Nurture", "Aberdeen Baby Bank",
    "Circle of Care Lanarkshire", "NurtureTalk Ayrshire", "Borders Parent Circle",
    "Forth Valley Family Wellbeing", "Clyde Infant Mental Health Trust", "Motherwell Bumps",
)  # fmt: skip
_SMALL_NAMES: Final = (
    "Orkney Parent Cafe", "Shetland Little Ones", "Western Isles New Parents",
    "Dumfries Baby Massage Group", "Leith Mums Walk", "Dundee Dads Club",
    "Inverness Sling Library", "Paisley Parent Peer Support", "Kirkcaldy Nurture Group",
    "Stirling Baby Sensory", "Falkirk Family Friends", "Moray Mums Meet",
    "Perth Postnatal Circle", "East Kilbride Bumps", "Galloway Breastfeeding Friends",
    "Arran Family Hub", "Livingston Little Steps", "Cowal Parents Group",
)  # fmt: skip
# Awards average exactly £58,000 and £11,500 (the published averages).
_MAIN_AWARDS: Final = (
    40_000, 45_000, 50_000, 52_000, 55_000, 56_000, 58_000, 58_000,
    58_000, 60_000, 62_000, 64_000, 65_000, 66_000, 68_000, 71_000,
)  # fmt: skip
_SMALL_AWARDS: Final = (
    8_000, 9_000, 9_500, 10_000, 10_000, 10_500, 11_000, 11_000, 11_500,
    11_500, 12_000, 12_000, 12_500, 13_000, 13_000, 13_500, 14_000, 15_000,
)  # fmt: skip

# Which charities show what in the demo quarter (index into the register, 0-33).
_REJECTED_THEN_CORRECTED: Final = 3  # improvement above respondents, then resubmitted
_REJECTED_FUND_MISMATCH: Final = 20  # Cover says Main Grants; the register says Small
_LATE: Final = 7  # sends only after the due date
_MISSING: Final = (12, 30)  # never send
_GRANT_DIFFERS: Final = 5  # warning: grant awarded differs from the register
_AREA_NOT_ON_REGISTER: Final = 22  # warning: an area the register does not list

_QUIRKS: Final = (
    Quirks(),
    Quirks(header_style="snake_case"),
    Quirks(title_rows=1, numbers_as_text=True),
    Quirks(sheet_names="upper_case", blank_rows_between=True),
    Quirks(header_style="units_in_brackets", total_row=True),
    Quirks(start_column=1),
)

Stage = Literal["on time", "after the due date", "for the quarter before"]


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    charity_number: str
    name: str
    fund: str
    award_gbp: int
    board_areas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoTsr:
    """One third-sector return of the demo: where it goes, when, and what it should show."""

    charity_number: str
    stage: Stage
    file_name: str
    expected: Literal["valid", "errors", "warnings"]
    counts_in_rollups: bool
    content: ThirdSectorReturnContent = field(repr=False)
    # Planted when written, once the counted figures are final: improvement above asked.
    improvement_above_respondents: bool = False


def demo_register(seed: int = 2022) -> list[RegisterEntry]:
    """34 funded charities: 16 Main Grants, 18 Small Grants, each serving 1-3 board areas."""
    rng = random.Random(f"register:{seed}")  # noqa: S311 - sample data, not security
    codes = list(BOARDS)
    entries = []
    funded = [("MAIN", n, a) for n, a in zip(_MAIN_NAMES, _MAIN_AWARDS, strict=True)]
    funded += [("SMALL", n, a) for n, a in zip(_SMALL_NAMES, _SMALL_AWARDS, strict=True)]
    for index, (fund, name, award) in enumerate(funded):
        areas = tuple(sorted(rng.sample(codes, rng.choice((1, 1, 2, 3)))))
        entries.append(RegisterEntry(f"SC{40_000 + index * 37:06d}", name, fund, award, areas))
    return entries


def write_register(path: Path, entries: Sequence[RegisterEntry]) -> Path:
    """The register as the data team keeps it (SPEC.md: charity_number,name,fund,...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["charity_number", "name", "fund", "award_gbp", "board_areas"])
        for e in entries:
            writer.writerow(
                [e.charity_number, e.name, e.fund, e.award_gbp, ";".join(e.board_areas)]
            )
    return path


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Whole numbers in proportion to `weights` that add up to exactly `total`."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("weights must have a positive sum")
    shares = [total * w / whole for w in weights]
    floors = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: shares[i] - floors[i], reverse=True)
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


def _hit_published_figures(contents: Sequence[ThirdSectorReturnContent]) -> None:
    """Rescale the counted returns' people and outcomes to the published totals exactly."""
    cells = [(row, column) for c in contents for row in c.activity for column in range(2, 6)]
    people = _largest_remainder(
        PEOPLE_SUPPORTED, [float(row[col] or 0) + 0.01 for row, col in cells]
    )
    for (row, column), value in zip(cells, people, strict=True):
        row[column] = value
    for outcome, (respondents, percent) in OUTCOME_FIGURES.items():
        rows = [row for c in contents for row in c.outcomes if row[0] == outcome]
        asked = _largest_remainder(respondents, [float(row[1] or 0) + 1 for row in rows])
        improved = _largest_remainder(respondents * percent // 100, [float(a) for a in asked])
        for row, a, i in zip(rows, asked, improved, strict=True):
            row[1], row[2] = a, min(i, a)


def demo_third_sector_returns(
    register: Sequence[RegisterEntry], financial_year: str, quarter: str, seed: int = 2022
) -> list[DemoTsr]:
    """The quarter's third-sector returns, in the order they arrive."""
    counted: list[ThirdSectorReturnContent] = []
    returns: list[DemoTsr] = []
    for index, entry in enumerate(register):
        if index in _MISSING:
            continue
        rng = random.Random(f"{seed}:{entry.charity_number}:{financial_year}:{quarter}")  # noqa: S311
        content = realistic_third_sector_return(
            entry.charity_number, entry.name, entry.fund, entry.award_gbp,
            entry.board_areas, financial_year, quarter, rng,
        )  # fmt: skip
        name = f"{entry.name} {financial_year} {quarter}"
        expected: Literal["valid", "errors", "warnings"] = "valid"
        if index == _GRANT_DIFFERS:
            content.finance[0][0] = entry.award_gbp + 2_500
            expected = "warnings"
        if index == _AREA_NOT_ON_REGISTER:
            outside = next(code for code in BOARDS if code not in entry.board_areas)
            content.activity.append([outside, "Peer support", 2, 1, 2, 0])
            expected = "warnings"
        if index == _REJECTED_FUND_MISMATCH:
            content.fund_label = "Main Grants"
            returns.append(
                DemoTsr(entry.charity_number, "on time", f"{name}.xlsx", "errors", False, content)
            )
            continue
        counted.append(content)
        stage: Stage = "after the due date" if index == _LATE else "on time"
        if index == _REJECTED_THEN_CORRECTED:
            returns.append(
                DemoTsr(
                    entry.charity_number, "on time", f"{name}.xlsx", "errors", False, content, True
                )
            )
            returns.append(
                DemoTsr(
                    entry.charity_number,
                    "after the due date",
                    f"{name} corrected.xlsx",
                    "valid",
                    True,
                    content,
                )
            )
            continue
        returns.append(
            DemoTsr(entry.charity_number, stage, f"{name}.xlsx", expected, True, content)
        )
    _hit_published_figures(counted)
    return returns


def write_demo_tsr(landing: Path, item: DemoTsr, number: int) -> Path:
    """Write one demo return into its charity's folder, with a reading quirk in rotation."""
    content = item.content
    if item.improvement_above_respondents:
        content = copy.deepcopy(content)
        content.outcomes[0][2] = int(content.outcomes[0][1] or 0) + 5
    folder = landing / item.charity_number
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / item.file_name
    write_third_sector_return(path, content, _QUIRKS[number % len(_QUIRKS)])
    return path


__all__ = [
    "OUTCOME_FIGURES",
    "PEOPLE_SUPPORTED",
    "DemoTsr",
    "RegisterEntry",
    "demo_register",
    "demo_third_sector_returns",
    "write_demo_tsr",
    "write_register",
]
