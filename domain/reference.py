"""Reference data fixed by SPEC.md: boards, services, staff groups, funds and outcomes.

Plain constants, so that the schemas, the warehouse's dimension seeds, the blank
templates and the sample generator read one source of truth.
"""

from __future__ import annotations

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

BQR_TEMPLATE_NAME: Final = "PIMH Board Quarterly Return"
TSR_TEMPLATE_NAME: Final = "PIMH Third Sector Return"
TEMPLATE_VERSION: Final = "1"

BOARD_CODE_PATTERN: Final = re.compile(r"^S08\d{6}$")
# A Scottish charity number: `SC` and six digits (SPEC.md, reporters).
CHARITY_NUMBER_PATTERN: Final = re.compile(r"^SC[0-9]{6}$")


def is_reporter_code(name: str) -> bool:
    """A landing sub-folder is a reporter's when it is named by a board code or charity number."""
    return name in BOARDS or bool(CHARITY_NUMBER_PATTERN.match(name))


def charity_number(text: str | None) -> str | None:
    """The charity number written, forgiving case and spaces; None unless `SC` + 6 digits."""
    if text is None:
        return None
    cleaned = text.strip().upper().replace(" ", "")
    return cleaned if CHARITY_NUMBER_PATTERN.match(cleaned) else None


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

# Community services running nationally, as the Scottish Government published them: "In
# Scotland in 2019 there were 4 CPMHT services, 0 IMH services and 1 MNPI service. In 2022
# there are 14 CPMHT services, 14 IMH services, and 10 MNPI services" (Perinatal and infant
# mental health services: update, Scottish Government, August 2022; kept in the project's
# background documents, /work/shared/seeds/002_e8c6441e39e7fc4f.txt, "2019-2022 Service
# Development").
# The warehouse holds no returns before the programme's first quarter, so the quarterly
# report compares each quarter's services with these published counts.
SERVICES_PUBLISHED_SOURCE: Final = (
    "Scottish Government, Perinatal and infant mental health services: update (August 2022)"
)
SERVICES_RUNNING_2019: Final[dict[str, int]] = {"CPMHT": 4, "IMH": 0, "MNPI": 1}
SERVICES_RUNNING_AUGUST_2022: Final[dict[str, int]] = {"CPMHT": 14, "IMH": 14, "MNPI": 10}
