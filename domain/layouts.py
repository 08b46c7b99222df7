"""Each return template's sheets and columns, declared once for everything that needs them.

The reader locates tables by these headers; the schemas build their models and type their
frames from them; the blank templates print their headers, help and dropdowns; the
transforms and the warehouse shape the fact tables by each column's kind. Adding a column
to a template is therefore one entry here (plus its rules, and a migration for the
warehouse). A column's `key` is its name in frames and rules; `fact_key` its name in the
fact table and views.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from string import ascii_uppercase
from typing import Final, Literal, get_args

from domain.headers import canonical_keys
from domain.reference import BOARDS, OUTCOMES, SERVICES, SUPPORT_TYPES

ColumnKind = Literal["code", "text", "wte", "count", "pounds"]

# The largest figure of each kind a return can sensibly hold (SPEC.md gives WTE's): a
# count of people in one quarter from one reporter, or pounds for one service or grant,
# beyond these is a slip of the keyboard, rejected at its cell. Far below what the
# warehouse's columns hold (Integer; Numeric(14, 2)), so both backends agree.
LARGEST: Final[dict[ColumnKind, float]] = {
    "wte": 200.0,
    "count": 1_000_000,
    "pounds": 1_000_000_000,
}
MeasureKind = Literal["wte", "count", "pounds"]
# The code lists a coded column takes its values from (SPEC.md): services, staff groups,
# NHS boards (by name or code), third-sector support types and the fund's outcomes.
CodeList = Literal["service", "staff_group", "board", "support_type", "outcome"]

MEASURE_KINDS: Final[frozenset[str]] = frozenset(get_args(MeasureKind))
# Excel refuses a longer input message on a cell.
HELP_LIMIT: Final = 255


@dataclass(frozen=True, slots=True)
class ColumnLayout:
    """One column of a data sheet: its header, the kind of value it holds, and its help.

    `help` is what the blank shows on the header cell; `codes` names the code list of a
    coded column; `fact_name` is set where the fact table names the column differently.
    """

    key: str
    header: str
    kind: ColumnKind
    unit: str | None = None
    # An optional column may be left off the sheet altogether: all its cells are then empty.
    optional: bool = False
    help: str = ""
    codes: CodeList | None = None
    fact_name: str | None = None

    def __post_init__(self) -> None:
        # Declarations are checked at import, so a bad one never reaches a reporter.
        if (self.kind == "code") != (self.codes is not None):
            raise ValueError(f"{self.key}: a code column, and only one, names its code list")
        if len(self.help) > HELP_LIMIT:
            raise ValueError(f"{self.key}: help longer than Excel's {HELP_LIMIT} characters")

    @property
    def match_keys(self) -> frozenset[str]:
        return canonical_keys(self.header, self.unit)

    @property
    def printed(self) -> str:
        """The header as the template prints it, e.g. `Funded WTE` (amounts carry no `£`)."""
        return f"{self.header} {self.unit}" if self.unit and self.unit != "£" else self.header

    @property
    def fact_key(self) -> str:
        return self.fact_name or self.key

    @property
    def is_measure(self) -> bool:
        return self.kind in MEASURE_KINDS


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """One data sheet: its columns in order, and what the blank and the facts make of it.

    `guidance` is the blank's line under the title; `input_rows` how many rows the blank
    offers; `fact_table` the warehouse table its accepted rows land in.
    """

    name: str
    columns: tuple[ColumnLayout, ...]
    _: KW_ONLY
    guidance: str
    input_rows: int
    fact_table: str

    def __post_init__(self) -> None:
        if len(self.columns) > len(ascii_uppercase):
            raise ValueError(f"{self.name}: a template sheet's columns must fit in A to Z")

    @property
    def first_header(self) -> ColumnLayout:
        return self.columns[0]

    @property
    def figure_columns(self) -> tuple[ColumnLayout, ...]:
        """The columns a fact row carries: all but the reporter's free-text Explanation."""
        return tuple(c for c in self.columns if c.kind != "text")

    @property
    def measures(self) -> tuple[ColumnLayout, ...]:
        return tuple(c for c in self.columns if c.is_measure)

    @property
    def measure_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.measures)

    def keys(self, kind: ColumnKind) -> tuple[str, ...]:
        """The keys of the sheet's columns of one kind, e.g. every WTE, for a rule on each."""
        return tuple(c.key for c in self.columns if c.kind == kind)

    def column(self, key: str) -> ColumnLayout:
        return next(c for c in self.columns if c.key == key)

    def template_letter(self, key: str) -> str:
        """The column letter of `key` in the blank template, whose columns run from A in
        order (within A to Z: checked at declaration). The warehouse names cells with it,
        so it needs no spreadsheet library."""
        return ascii_uppercase[next(i for i, c in enumerate(self.columns) if c.key == key)]


@dataclass(frozen=True, slots=True)
class TemplateLayout:
    code: Literal["BQR", "TSR"]
    cover_labels: dict[str, str]
    sheets: tuple[SheetLayout, ...]


def _code(
    key: str, header: str, codes: CodeList, help_text: str, *, fact_name: str | None = None
) -> ColumnLayout:
    return ColumnLayout(key, header, "code", help=help_text, codes=codes, fact_name=fact_name)


def _measure(
    key: str,
    header: str,
    kind: MeasureKind,
    help_text: str,
    *,
    unit: str | None = None,
    optional: bool = False,
) -> ColumnLayout:
    return ColumnLayout(key, header, kind, unit, optional, help_text)


EXPLANATION_KEY: Final = "explanation"
# The last column of every data sheet: where a reporter answers a warning about the row's
# figures (or, on a row with only a Service, why that service has no figures now). It is
# optional, so returns written from the first blanks, which lack it, stay valid.
EXPLANATION: Final = ColumnLayout(
    EXPLANATION_KEY,
    "Explanation",
    "text",
    optional=True,
    help="Optional. If we warned about a figure on this row (a large change since last "
    "quarter, say) and it is right, say why here; we will not ask again about that figure.",
)

_SERVICE_HELP: Final = "Choose the service code from the list: one row per service you run."


def _service(help_text: str = _SERVICE_HELP) -> ColumnLayout:
    return _code("service", "Service", "service", help_text, fact_name="service_code")


BQR_STAFFING: Final = SheetLayout(
    "Staffing",
    (
        _service("Choose the service code from the list."),
        _code("staff_group", "Staff group", "staff_group", "Choose the staff group from the list."),
        _measure(
            "funded_wte", "Funded", "wte",
            "Funded whole-time equivalent, 0 to 200, two decimals.", unit="WTE",
        ),
        _measure(
            "in_post_wte", "In post", "wte",
            "WTE in post on the last day of the quarter, 0 to 200.", unit="WTE",
        ),
        _measure(
            "vacant_wte", "Vacant", "wte",
            "Funded minus in post (0 if over-established). May be left empty.", unit="WTE",
            optional=True,
        ),
        EXPLANATION,
    ),
    guidance="One row per service and staff group. Leave Vacant WTE empty to have it derived.",
    input_rows=40,
    fact_table="fact_staffing",
)  # fmt: skip

BQR_ACTIVITY: Final = SheetLayout(
    "Activity",
    (
        _service(),
        _measure(
            "referrals_received", "Referrals received", "count",
            "Referrals received in the quarter (whole number).",
        ),
        _measure(
            "referrals_accepted", "Referrals accepted", "count",
            "Referrals accepted in the quarter; not above received.",
        ),
        _measure(
            "first_assessments", "First assessments", "count",
            "First assessments carried out in the quarter.",
        ),
        _measure(
            "open_caseload", "Open caseload", "count",
            "People on the caseload on the last day of the quarter.",
        ),
        _measure("discharges", "Discharges", "count", "People discharged in the quarter."),
        _measure(
            "waiting_over_12_weeks", "Waiting over 12 weeks", "count",
            "People waiting over 12 weeks for a first assessment on the last day of the quarter.",
        ),
        _measure(
            "admissions", "Admissions", "count",
            "Mother and Baby Unit rows only: admissions in the quarter.", optional=True,
        ),
        _measure(
            "occupied_bed_days", "Occupied bed days", "count",
            "MBU rows only: occupied bed days; not above available.", optional=True,
        ),
        _measure(
            "available_bed_days", "Available bed days", "count",
            "MBU rows only: bed days available in the quarter.", optional=True,
        ),
        EXPLANATION,
    ),
    guidance="One row per service you run. Leave a cell empty if not reported; 0 means zero.",
    input_rows=len(SERVICES),
    fact_table="fact_activity",
)  # fmt: skip

BQR_FINANCE: Final = SheetLayout(
    "Finance",
    (
        _service(),
        _measure(
            "allocation_gbp", "Allocation", "pounds",
            "Programme allocation for the financial year, in pounds.", unit="£",
        ),
        _measure(
            "spend_gbp", "Spend in quarter", "pounds",
            "Spend in this quarter, in pounds.", unit="£",
        ),
        _measure(
            "forecast_gbp", "Forecast full year", "pounds",
            "Forecast spend for the financial year, in pounds.", unit="£",
        ),
        EXPLANATION,
    ),
    guidance="One row per service you run. Amounts in pounds.",
    input_rows=len(SERVICES),
    fact_table="fact_finance",
)  # fmt: skip

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
        _code(
            "board_area", "Board area", "board",
            "Choose the NHS board area the people supported live in: one row per board area "
            "and support type.",
            fact_name="board_code",
        ),
        _code("support_type", "Support type", "support_type", "Choose the support type."),
        _measure(
            "mothers", "Mothers and birthing parents", "count",
            "Mothers and birthing parents newly supported this quarter (whole number).",
        ),
        _measure(
            "fathers_partners", "Fathers and partners", "count",
            "Fathers and partners newly supported this quarter (whole number).",
        ),
        _measure(
            "infants", "Infants", "count", "Infants newly supported this quarter (whole number).",
        ),
        _measure(
            "other_carers", "Other carers", "count",
            "Other carers (grandparents, kinship or foster carers) newly supported this quarter.",
        ),
        EXPLANATION,
    ),
    guidance="One row per board area and support type. Count people newly supported this "
    "quarter. Leave a cell empty if not reported; 0 means zero.",
    # Every board area with every support type fits.
    input_rows=len(BOARDS) * len(SUPPORT_TYPES),
    fact_table="fact_ts_activity",
)  # fmt: skip

TSR_OUTCOMES: Final = SheetLayout(
    "Outcomes",
    (
        _code(
            "outcome", "Outcome", "outcome",
            "The fund outcome the row reports on. The five are filled in for you, one per row; "
            "what each means is listed to the right.",
        ),
        _measure(
            "respondents", "Respondents", "count",
            "People asked about this outcome this quarter (whole number).",
        ),
        _measure(
            "reporting_improvement", "Reporting improvement", "count",
            "Of the people asked, how many reported an improvement; not above Respondents.",
        ),
        EXPLANATION,
    ),
    guidance="One row per outcome. Leave a row's figures empty if you did not ask about it "
    "this quarter.",
    input_rows=len(OUTCOMES),
    fact_table="fact_ts_outcome",
)  # fmt: skip

TSR_FINANCE: Final = SheetLayout(
    "Finance",
    (
        _measure(
            "grant_awarded_gbp", "Grant awarded", "pounds",
            "Your grant for the financial year, in pounds, as in your award letter.", unit="£",
        ),
        _measure(
            "spend_gbp", "Spend in quarter", "pounds",
            "Spend of the grant in this quarter, in pounds.", unit="£",
        ),
        EXPLANATION,
    ),
    guidance="One row: your grant for the year and your spend this quarter, in pounds.",
    # One row by contract (SPEC.md, TSR Finance).
    input_rows=1,
    fact_table="fact_ts_finance",
)  # fmt: skip

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
PEOPLE_COLUMNS: Final = TSR_ACTIVITY.measure_keys


def sheet_layout(template: TemplateLayout, name: str) -> SheetLayout:
    return next(sheet for sheet in template.sheets if sheet.name == name)
