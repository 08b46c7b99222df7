"""Reference data fixed by SPEC.md: boards, services, staff groups and periods.

Kept as plain constants so that schemas, the warehouse's dimension seeds, the blank
templates and the sample generator all read one source of truth.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

BOARDS: Final[dict[str, str]] = {
    "S08000015": "Ayrshire and Arran",
    "S08000016": "Borders",
    "S08000017": "Dumfries and Galloway",
    "S08000019": "Forth Valley",
    "S08000020": "Grampian",
    "S08000022": "Highland",
    "S08000024": "Lothian",
    "S08000025": "Orkney",
    "S08000026": "Shetland",
    "S08000028": "Western Isles",
    "S08000029": "Fife",
    "S08000030": "Tayside",
    "S08000031": "Greater Glasgow and Clyde",
    "S08000032": "Lanarkshire",
}

SERVICES: Final[dict[str, str]] = {
    "CPMHT": "Community Perinatal Mental Health Team",
    "IMH": "Infant Mental Health team",
    "MNPI": "Maternity and Neonatal Psychological Interventions team",
    "MBU": "Mother and Baby Unit",
}

# Only these boards host a Mother and Baby Unit (SPEC.md, service lines).
MBU_HOST_BOARDS: Final[frozenset[str]] = frozenset({"S08000024", "S08000031"})

STAFF_GROUPS: Final[tuple[str, ...]] = (
    "Psychiatry",
    "Psychology",
    "Mental Health Nursing",
    "Midwifery",
    "Occupational Therapy",
    "Nursery Nursing",
    "Social Work",
    "Parent-Infant Therapy",
    "Child Psychotherapy",
    "Peer Support",
    "Administration",
    "Other",
)

QUARTERS: Final[tuple[str, ...]] = ("Q1", "Q2", "Q3", "Q4")

BQR_TEMPLATE_NAME: Final = "PIMH Board Quarterly Return"
TSR_TEMPLATE_NAME: Final = "PIMH Third Sector Return"
TEMPLATE_VERSION: Final = "1"

# Returns are due this many days after the quarter ends (SPEC.md, reporting period).
DAYS_DUE_AFTER_QUARTER: Final = 30

BOARD_CODE_PATTERN: Final = re.compile(r"^S08\d{6}$")
CHARITY_NUMBER_PATTERN: Final = re.compile(r"^SC\d{6}$")
FINANCIAL_YEAR_PATTERN: Final = re.compile(r"^(\d{4})-(\d{2})$")


def is_reporter_code(name: str) -> bool:
    """A landing sub-folder is a reporter's when it is named by a board code or charity number."""
    return name in BOARDS or bool(CHARITY_NUMBER_PATTERN.match(name))


def parse_financial_year(text: str) -> int | None:
    """The first calendar year of a financial year written `2022-23`, or None if malformed."""
    match = FINANCIAL_YEAR_PATTERN.match(text.strip())
    if match is None:
        return None
    start = int(match.group(1))
    if (start + 1) % 100 != int(match.group(2)):
        return None
    return start


def quarter_bounds(financial_year: str, quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter; Scottish financial years start on 1 April."""
    start_year = parse_financial_year(financial_year)
    if start_year is None or quarter not in QUARTERS:
        raise ValueError(f"not a reporting period: {financial_year} {quarter}")
    index = QUARTERS.index(quarter)
    first_month = 4 + 3 * index
    year = start_year + (first_month - 1) // 12
    month = (first_month - 1) % 12 + 1
    start = dt.date(year, month, 1)
    end_month = month + 2
    next_start = dt.date(year + (end_month // 12), end_month % 12 + 1, 1)
    return start, next_start - dt.timedelta(days=1)


def due_date(financial_year: str, quarter: str) -> dt.date:
    """The date a return for this quarter is due: 30 days after the quarter ends."""
    return quarter_bounds(financial_year, quarter)[1] + dt.timedelta(days=DAYS_DUE_AFTER_QUARTER)


# Third-sector fund streams: register code -> name written on a return's Cover.
FUNDS: Final[dict[str, str]] = {"MAIN": "Main Grants", "SMALL": "Small Grants"}

SUPPORT_TYPES: Final[tuple[str, ...]] = (
    "Peer support",
    "Parenting support",
    "Counselling",
    "Other",
)

# The fund's outcome framework (SPEC.md, TSR Outcomes): code -> what it measures.
OUTCOMES: Final[dict[str, str]] = {
    "LESS_ISOLATED": "less isolated",
    "MEET_INFANT_NEEDS": "better able to meet the needs of their infants and children",
    "WARM_RELATIONSHIP": (
        "receiving training, information or support about a warm relationship with their infant"
    ),
    "SUPPORT_AT_RISK": "improvement in supporting infants at higher risk of mental health problems",
    "WELLBEING": "improved parental wellbeing",
}

# The first financial year of the programme: the warehouse's quarter calendar starts here.
FIRST_PROGRAMME_YEAR: Final = 2019


def financial_year_label(start_year: int) -> str:
    """`2022-23` for the financial year starting in April 2022."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"
