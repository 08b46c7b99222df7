"""Where each figure sits in a return template: sheets, headers and cover labels.

The reader locates tables by these declarations; the schemas validate the columns they
name. A column's `key` is its name everywhere downstream (frames, warehouse, views).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from domain.headers import canonical_keys

ColumnKind = Literal["code", "text", "wte", "count", "pounds"]


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    key: str
    header: str
    kind: ColumnKind
    unit: str | None = None
    # An optional column may be left off the sheet altogether: all its cells are then empty.
    optional: bool = False

    @property
    def match_keys(self) -> frozenset[str]:
        return canonical_keys(self.header, self.unit)

    @property
    def printed(self) -> str:
        """The header as the template prints it, e.g. `Funded WTE` (amounts carry no `£`)."""
        return f"{self.header} {self.unit}" if self.unit and self.unit != "£" else self.header


@dataclass(frozen=True, slots=True)
class SheetLayout:
    name: str
    columns: tuple[ColumnLayout, ...]

    @property
    def first_header(self) -> ColumnLayout:
        return self.columns[0]

    @property
    def measures(self) -> tuple[ColumnLayout, ...]:
        return tuple(c for c in self.columns if c.kind in ("wte", "count", "pounds"))

    def column(self, key: str) -> ColumnLayout:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True, slots=True)
class TemplateLayout:
    code: Literal["BQR", "TSR"]
    cover_labels: dict[str, str]
    sheets: tuple[SheetLayout, ...]


def _col(
    key: str, header: str, kind: ColumnKind, unit: str | None = None, *, optional: bool = False
) -> ColumnLayout:
    return ColumnLayout(key=key, header=header, kind=kind, unit=unit, optional=optional)


BQR_STAFFING: Final = SheetLayout(
    "Staffing",
    (
        _col("service", "Service", "code"),
        _col("staff_group", "Staff group", "code"),
        _col("funded_wte", "Funded", "wte", "WTE"),
        _col("in_post_wte", "In post", "wte", "WTE"),
        _col("vacant_wte", "Vacant", "wte", "WTE", optional=True),
    ),
)

BQR_ACTIVITY: Final = SheetLayout(
    "Activity",
    (
        _col("service", "Service", "code"),
        _col("referrals_received", "Referrals received", "count"),
        _col("referrals_accepted", "Referrals accepted", "count"),
        _col("first_assessments", "First assessments", "count"),
        _col("open_caseload", "Open caseload", "count"),
        _col("discharges", "Discharges", "count"),
        _col("waiting_over_12_weeks", "Waiting over 12 weeks", "count"),
        _col("admissions", "Admissions", "count", optional=True),
        _col("occupied_bed_days", "Occupied bed days", "count", optional=True),
        _col("available_bed_days", "Available bed days", "count", optional=True),
    ),
)

BQR_FINANCE: Final = SheetLayout(
    "Finance",
    (
        _col("service", "Service", "code"),
        _col("allocation_gbp", "Allocation", "pounds", "£"),
        _col("spend_gbp", "Spend in quarter", "pounds", "£"),
        _col("forecast_gbp", "Forecast full year", "pounds", "£"),
    ),
)

# Cover label (as printed on the template) for each cover field key.
BQR_COVER: Final[dict[str, str]] = {
    "template": "Template",
    "template_version": "Template version",
    "board": "Board",
    "financial_year": "Financial year",
    "quarter": "Quarter",
    "completed_by": "Completed by",
    "email": "Email",
}

BQR: Final = TemplateLayout("BQR", BQR_COVER, (BQR_STAFFING, BQR_ACTIVITY, BQR_FINANCE))

# Columns of the Activity sheet that only a Mother and Baby Unit reports.
MBU_ONLY_COLUMNS: Final = ("admissions", "occupied_bed_days", "available_bed_days")


TSR_ACTIVITY: Final = SheetLayout(
    "Activity",
    (
        _col("board_area", "Board area", "code"),
        _col("support_type", "Support type", "code"),
        _col("mothers", "Mothers and birthing parents", "count"),
        _col("fathers_partners", "Fathers and partners", "count"),
        _col("infants", "Infants", "count"),
        _col("other_carers", "Other carers", "count"),
    ),
)

TSR_OUTCOMES: Final = SheetLayout(
    "Outcomes",
    (
        _col("outcome", "Outcome", "code"),
        _col("respondents", "Respondents", "count"),
        _col("reporting_improvement", "Reporting improvement", "count"),
    ),
)

TSR_FINANCE: Final = SheetLayout(
    "Finance",
    (
        _col("grant_awarded_gbp", "Grant awarded", "pounds", "£"),
        _col("spend_gbp", "Spend in quarter", "pounds", "£"),
    ),
)

TSR_COVER: Final[dict[str, str]] = {
    "template": "Template",
    "template_version": "Template version",
    "charity_number": "Charity number",
    "organisation": "Organisation",
    "fund": "Fund",
    "financial_year": "Financial year",
    "quarter": "Quarter",
    "completed_by": "Completed by",
    "email": "Email",
}

TSR: Final = TemplateLayout("TSR", TSR_COVER, (TSR_ACTIVITY, TSR_OUTCOMES, TSR_FINANCE))

# People counted on a third-sector Activity row, by the group they belong to.
PEOPLE_COLUMNS: Final = tuple(column.key for column in TSR_ACTIVITY.measures)


def sheet_layout(template: TemplateLayout, name: str) -> SheetLayout:
    return next(sheet for sheet in template.sheets if sheet.name == name)
