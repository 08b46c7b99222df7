"""Reporting periods: Scottish financial years (1 April to 31 March) and their quarters.

One parser for every place a year and quarter are typed (a command line, a Cover sheet,
a register's in-force date), so the same mistake always gets the same answer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

QUARTERS: Final[tuple[str, ...]] = ("Q1", "Q2", "Q3", "Q4")

# Returns are due this many days after the quarter ends (SPEC.md, reporting period).
DAYS_DUE_AFTER_QUARTER: Final = 30

# The first financial year of the programme: the warehouse's quarter calendar starts here.
FIRST_PROGRAMME_YEAR: Final = 2019

FINANCIAL_YEAR_PATTERN: Final = re.compile(r"^(\d{4})-(\d{2})$")


def parse_financial_year(text: str) -> int | None:
    """The first calendar year of a financial year written `2022-23`, or None if malformed."""
    match = FINANCIAL_YEAR_PATTERN.match(text.strip())
    if match is None:
        return None
    start = int(match.group(1))
    if (start + 1) % 100 != int(match.group(2)):
        return None
    return start


def financial_year_label(start_year: int) -> str:
    """`2022-23` for the financial year starting in April 2022."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


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


def period_of(day: dt.date) -> tuple[str, str]:
    """The (financial year, quarter) a calendar date falls in."""
    start_year = day.year if day.month >= 4 else day.year - 1
    return financial_year_label(start_year), QUARTERS[(day.month - 4) % 12 // 3]


def quarter_label(day: dt.date) -> str:
    """`1 April 2023 (2023-24 Q1)`; the quarter only when the date starts one."""
    text = f"{day.day} {day:%B %Y}"
    year, quarter = period_of(day)
    return f"{text} ({year} {quarter})" if quarter_bounds(year, quarter)[0] == day else text


def read_quarter(text: str | None) -> str | None:
    """`Q1`..`Q4` as typed (`q1`, ` Q 1 `, `Q.1`), or None when the text names none."""
    if text is None:
        return None
    key = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    return key if key in QUARTERS else None


def read_financial_year(text: str | None) -> str | None:
    """A financial year as typed (` 2022-23 `), or None when malformed."""
    if text is None or parse_financial_year(text) is None:
        return None
    return text.strip()


def parse_quarter(text: str) -> str:
    """The quarter a person typed on a command line: `Q1`..`Q4`, case and surrounding spaces
    forgiven; ValueError in the one wording every command uses for anything else.

    Stricter than `read_quarter` (a Cover sheet's quarter, typed into a cell by a reporter
    and read as leniently as the rest of a return): a command line is retyped at once.
    """
    name = text.strip().upper()
    if name not in QUARTERS:
        raise ValueError(quarter_problem(text))
    return name


def financial_year_problem(text: str) -> str:
    """What is wrong with a malformed financial year, in the words every command uses."""
    return f"'{text}' is not a financial year: write it like 2022-23 (April 2022 to March 2023)."


def quarter_problem(text: str) -> str:
    """What is wrong with a malformed quarter, in the words every command uses."""
    return f"'{text}' is not a quarter: use {', '.join(QUARTERS[:-1])} or {QUARTERS[-1]}."


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting quarter, checked for form (whether it has begun is the warehouse's call)."""

    financial_year: str
    quarter: str

    @classmethod
    def parse(cls, financial_year: str, quarter: str) -> Period:
        """The quarter a person typed on a command line (surrounding spaces and the case of
        `q1` forgiven); ValueError in the one wording every command uses if malformed."""
        year = read_financial_year(financial_year)
        if year is None:
            raise ValueError(financial_year_problem(financial_year))
        return cls(year, parse_quarter(quarter))

    @classmethod
    def exact(cls, financial_year: str, quarter: str) -> Period:
        """The quarter in its canonical form (`2022-23`, `Q1`), as code passes it around;
        ValueError in the same words as `parse` for anything else."""
        if parse_financial_year(financial_year) is None or financial_year != financial_year.strip():
            raise ValueError(financial_year_problem(financial_year))
        if quarter not in QUARTERS:
            raise ValueError(quarter_problem(quarter))
        return cls(financial_year, quarter)

    def __str__(self) -> str:
        return f"{self.financial_year} {self.quarter}"

    @property
    def slug(self) -> str:
        """The quarter as file names carry it: ``2022-23_Q1``."""
        return f"{self.financial_year}_{self.quarter}"

    @property
    def params(self) -> dict[str, str]:
        """Bind parameters for SQL written with `:year` and `:quarter`."""
        return {"year": self.financial_year, "quarter": self.quarter}

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        return quarter_bounds(self.financial_year, self.quarter)

    @property
    def due_on(self) -> dt.date:
        return due_date(self.financial_year, self.quarter)
