"""What each failed check means to the person who filled in the return.

pandera names the check that failed; this module says whether that is an error or a
warning and words it in plain English with the figures involved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from domain.issues import Severity
from domain.layouts import BQR, LARGEST, TSR, ColumnLayout
from domain.reference import BOARDS, FUNDS, OUTCOMES, SERVICES, STAFF_GROUPS, SUPPORT_TYPES
from domain.text import shown
from schemas.boards import closest_boards

Row = Mapping[str, Any]
Wording = Callable[[Row, str], str]

WARNING_CHECKS: Final = frozenset(
    {
        "in_post_above_funded",
        "forecast_within_allocation",
        "wte_two_decimals",
        "grant_matches_register",
        "board_area_not_on_register",
    }
)

# A warning's message is written before anyone knows whether its return will be accepted
# (an error elsewhere rejects it), so it says only what is true of every return.
WARNING_DOES_NOT_STOP: Final = "a warning alone does not stop a return being accepted."

# Column keys are unique within a sheet name across templates (BQR Activity and TSR
# Activity share no key but their printed headers agree where they do, e.g. spend_gbp).
_COLUMNS: Final[dict[tuple[str, str], ColumnLayout]] = {
    (sheet.name, column.key): column
    for template in (TSR, BQR)
    for sheet in template.sheets
    for column in sheet.columns
}


def severity_of(check: str) -> Severity:
    return "warning" if check in WARNING_CHECKS else "error"


def header(sheet: str, key: str) -> str:
    """The column's header as printed on the template, e.g. `Funded WTE`."""
    return _COLUMNS[(sheet, key)].printed


def number(value: Any) -> str:
    if value is None:
        return "(empty)"
    if abs(float(value)) >= 1e15:  # 1E+308 written out would fill the report
        return f"{float(value):.3g}"
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


def pounds(value: Any) -> str:
    return "(empty)" if value is None else f"£{float(value):,.2f}"


def typed(row: Row, key: str) -> str:
    text = row.get(f"{key}_text")
    return f"'{shown(str(text))}'" if text is not None else "an empty cell"


def _service_known(row: Row, _: str) -> str:
    if row.get("service_text") is None:
        return "Service is empty: every row needs a service code (CPMHT, IMH, MNPI or MBU)."
    return f"{typed(row, 'service')} is not a service: use one of {', '.join(SERVICES)}."


def _staff_group_known(row: Row, _: str) -> str:
    if row.get("staff_group_text") is None:
        return "Staff group is empty: every row needs one of the template's staff groups."
    return (
        f"{typed(row, 'staff_group')} is not a staff group: use one of {', '.join(STAFF_GROUPS)}."
    )


def _mbu_from_host(row: Row, _: str) -> str:
    board = BOARDS.get(str(row.get("board_code")), "This board")
    return (
        f"{board} does not have a Mother and Baby Unit, so it cannot report MBU: only Lothian "
        "and Greater Glasgow and Clyde can."
    )


def _board_known(row: Row, _: str) -> str:
    text = row.get("board_text")
    if text is None:
        return "The Cover sheet does not say which board this return is from."
    suggestions = closest_boards(str(text))
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    return (
        f"'{shown(str(text))}' is not an NHS board we recognise.{hint} You may also give the "
        "board code."
    )


def _board_matches_folder(row: Row, _: str) -> str:
    claimed = BOARDS.get(str(row.get("board_code")), row.get("board_code"))
    folder = BOARDS.get(str(row.get("folder_code")), row.get("folder_code"))
    return (
        f"This return says it is from {claimed} but was sent from the folder of {folder}. "
        "A board may send only its own return."
    )


SHEET_WORDING: Final[dict[str, Wording]] = {
    "service_known": _service_known,
    "staff_group_known": _staff_group_known,
    "mbu_from_host_board": _mbu_from_host,
    "is_number": lambda r, k: f"{header(r['sheet'], k)} must be a number; found {typed(r, k)}.",
    "wte_range": lambda r, k: (
        f"{header(r['sheet'], k)} must be between 0 and 200; found {number(r[k])}."
    ),
    "wte_two_decimals": lambda r, k: (
        f"{header(r['sheet'], k)} is recorded to two decimals; {typed(r, k)} will be "
        f"stored as {round(float(r[k]), 2):g}."
    ),
    "vacancy_arithmetic": lambda r, _: (
        "Vacant WTE must equal Funded WTE minus In post WTE (or 0 when more are in post): "
        f"expected {number(max(0.0, r['funded_wte'] - r['in_post_wte']))}, found "
        f"{number(r['vacant_wte'])}. Leave it empty to have it worked out for you."
    ),
    "in_post_above_funded": lambda r, _: (
        f"In post WTE ({number(r['in_post_wte'])}) is above Funded WTE "
        f"({number(r['funded_wte'])}). Please check it; {WARNING_DOES_NOT_STOP}"
    ),
    "one_row_per_service_and_staff_group": lambda r, _: (
        f"There is already a row for {r['service']} / {r['staff_group']}: give one row per "
        "service and staff group."
    ),
    "count_too_large": lambda r, k: (
        f"{header(r['sheet'], k)} is {number(r[k])}, more than a return can hold (at most "
        f"{LARGEST['count']:,.0f} people): check the figure."
    ),
    "pounds_too_large": lambda r, k: (
        f"{header(r['sheet'], k)} is {pounds(r[k]) if abs(r[k]) < 1e15 else number(r[k])}, "
        f"more than a return can hold (at most £{LARGEST['pounds']:,.0f}): check the figure."
    ),
    "whole_number": lambda r, k: (
        f"{header(r['sheet'], k)} must be a whole number, 0 or more; found {typed(r, k)}."
    ),
    "accepted_within_received": lambda r, _: (
        f"Referrals accepted ({number(r['referrals_accepted'])}) cannot be more than "
        f"referrals received ({number(r['referrals_received'])})."
    ),
    "mbu_only": lambda r, k: (
        f"{header(r['sheet'], k)} is reported only for the Mother and Baby Unit (MBU); leave "
        f"it empty for {r['service']}."
    ),
    "occupied_within_available": lambda r, _: (
        f"Occupied bed days ({number(r['occupied_bed_days'])}) cannot be more than available "
        f"bed days ({number(r['available_bed_days'])})."
    ),
    "one_row_per_service": lambda r, _: (
        f"There is already a row for {r['service']}: give one row per service."
    ),
    "pounds_not_negative": lambda r, k: (
        f"{header(r['sheet'], k)} must be an amount in pounds, 0 or more; found {typed(r, k)}."
    ),
    "forecast_within_allocation": lambda r, _: (
        f"Forecast full year ({pounds(r['forecast_gbp'])}) is more than 10% above the "
        f"allocation ({pounds(r['allocation_gbp'])}). Please check it; {WARNING_DOES_NOT_STOP}"
    ),
    "total_is_number": lambda r, _: (
        f"The Total for {header(r['sheet'], r['column'])} must be a number; found "
        f"'{r['declared_text']}'."
    ),
    "total_adds_up": lambda r, _: (
        f"The Total for {header(r['sheet'], r['column'])} is {number(r['declared'])} but the "
        f"rows above add up to {number(r['computed'] or 0)}."
    ),
}


def _board_area_known(row: Row, _: str) -> str:
    text = row.get("board_area_text")
    if text is None:
        return "Board area is empty: every row needs the NHS board area the people live in."
    suggestions = closest_boards(str(text))
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    return (
        f"'{shown(str(text))}' is not an NHS board area we recognise.{hint} You may also give "
        "the board code."
    )


def _outcome_known(row: Row, _: str) -> str:
    if row.get("outcome_text") is None:
        return "Outcome is empty: every row needs one of the fund's outcome codes."
    return f"{typed(row, 'outcome')} is not an outcome code: use one of {', '.join(OUTCOMES)}."


SHEET_WORDING.update(
    {
        "board_area_known": _board_area_known,
        "board_area_not_on_register": lambda r, _: (
            f"{BOARDS.get(str(r['board_area']), r['board_area'])} is not one of the board "
            f"areas the register lists for your organisation. Please check it; "
            f"{WARNING_DOES_NOT_STOP}"
        ),
        "support_type_known": lambda r, _: (
            "Support type is empty: every row needs one."
            if r.get("support_type_text") is None
            else f"{typed(r, 'support_type')} is not a support type: use one of "
            f"{', '.join(SUPPORT_TYPES)}."
        ),
        "one_row_per_area_and_support_type": lambda r, _: (
            f"There is already a row for {BOARDS.get(str(r['board_area']), r['board_area'])} / "
            f"{r['support_type']}: give one row per board area and support type."
        ),
        "outcome_known": _outcome_known,
        "improvement_within_respondents": lambda r, _: (
            f"Reporting improvement ({number(r['reporting_improvement'])}) cannot be more than "
            f"Respondents ({number(r['respondents'])})."
        ),
        "one_row_per_outcome": lambda r, _: (
            f"There is already a row for {r['outcome']}: give one row per outcome."
        ),
        "grant_matches_register": lambda r, _: (
            f"Grant awarded ({pounds(r['grant_awarded_gbp'])}) differs from the award on the "
            f"register of funded organisations ({pounds(r['register_award_gbp'])}). Please "
            f"check it; {WARNING_DOES_NOT_STOP}"
        ),
        "finance_one_row": lambda _r, _k: (
            "The Finance sheet has one row of figures; this is an extra row. Put the "
            "quarter's grant and spend on one row."
        ),
    }
)


def _period(row: Row) -> str:
    return f"{row.get('financial_year')} {row.get('quarter')}"


def _charity_on_register(row: Row, _: str) -> str:
    if not row.get("register_loaded"):
        return (
            f"No register of funded organisations is loaded for {_period(row)}, so "
            f"{row['charity_number']} cannot be checked. The PIMH data team has been told; "
            "please send the return again once they confirm."
        )
    return (
        f"{row['charity_number']} is not on the register of funded organisations for "
        f"{_period(row)}. Check the charity number; if it is right, contact the PIMH data team."
    )


COVER_WORDING: Final[dict[str, Wording]] = {
    "charity_number_valid": lambda r, _: (
        "The Cover sheet does not give the charity number."
        if r.get("charity_number_text") is None
        else f"{typed(r, 'charity_number')} is not a Scottish charity number: SC followed by "
        "six digits, e.g. SC012345."
    ),
    "charity_matches_folder": lambda r, _: (
        f"This return says it is from {r['charity_number']} but was sent from the folder of "
        f"{r['folder_code']}. An organisation may send only its own return."
    ),
    "charity_on_register": _charity_on_register,
    "fund_known": lambda r, _: (
        f"The fund must be {' or '.join(FUNDS.values())}; found {typed(r, 'fund')}."
    ),
    "fund_matches_register": lambda r, _: (
        f"The Cover says {FUNDS.get(str(r['fund']), r['fund'])} but the register of funded "
        f"organisations has {r['charity_number']} under "
        f"{FUNDS.get(str(r['register_fund']), r['register_fund'])}."
    ),
    "finance_has_a_row": lambda _r, _k: (
        "The Finance sheet has no figures: give the grant awarded and the spend in the quarter."
    ),
    "board_known": _board_known,
    "board_matches_folder": _board_matches_folder,
    "financial_year_valid": lambda r, _: (
        f"The financial year must be written like 2022-23; found {typed(r, 'financial_year')}."
    ),
    "quarter_valid": lambda r, _: (
        f"The quarter must be Q1, Q2, Q3 or Q4; found {typed(r, 'quarter')}."
    ),
}

# The Cover field whose cell is at fault for each cover check (a check on another sheet
# as a whole names that sheet instead: see COVER_CHECK_SHEET).
COVER_FIELD: Final[dict[str, str]] = {
    "charity_number_valid": "charity_number",
    "charity_matches_folder": "charity_number",
    "charity_on_register": "charity_number",
    "fund_known": "fund",
    "fund_matches_register": "fund",
    "board_known": "board",
    "board_matches_folder": "board",
    "financial_year_valid": "financial_year",
    "quarter_valid": "quarter",
}

# Checks run on the Cover frame whose fault lies with a whole other sheet.
COVER_CHECK_SHEET: Final[dict[str, str]] = {"finance_has_a_row": "Finance"}
