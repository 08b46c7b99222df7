"""Reading what plausibility compares with: previous quarters' figures, earlier answers.

The previous quarter's figures are read from the downstream views, which hold each
reporter's current accepted return, in the long form of `transforms.plausibility`, with
when that return arrived (a return in the run being loaded may be later still). The
warnings reporters have already explained are read from the audit trail, so one is not
raised again for the same figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import polars as pl
from sqlalchemy import Engine, Table, select

from transforms.plausibility import COMPARED, FIGURE_SCHEMA, subject_of
from warehouse.read import as_utc
from warehouse.row_values import each_in
from warehouse.tables import submission, validation_issue
from warehouse.views.current import activity as activity_view
from warehouse.views.current import finance, staffing, third_sector_finance

# (template, reporter, financial year, quarter)
Period = tuple[str, str, str, str]

_VIEWS: Final[dict[tuple[str, str], Table]] = {
    ("BQR", "Staffing"): staffing.table,
    ("BQR", "Activity"): activity_view.table,
    ("BQR", "Finance"): finance.table,
    ("TSR", "Finance"): third_sector_finance.table,
}
_REPORTER: Final = {"BQR": "board_code", "TSR": "charity_number"}
_SUBJECT_COLUMNS: Final = ("service", "staff_group")
_PERIOD_SCHEMA: Final = {
    "template": pl.String,
    "reporter_code": pl.String,
    "financial_year": pl.String,
    "quarter": pl.String,
}

PREVIOUS_SCHEMA: Final[dict[str, pl.DataType]] = {
    **FIGURE_SCHEMA,
    "received_at": pl.Datetime("us", "UTC"),
}
EXPLAINED_SCHEMA: Final = {
    "reporter_code": pl.String,
    "financial_year": pl.String,
    "quarter": pl.String,
    "rule": pl.String,
    "subject": pl.String,
    "value": pl.String,
}


def previous_figures(engine: Engine, periods: Sequence[Period]) -> pl.DataFrame:
    """The compared figures of the current accepted return of each period, if any.

    `PREVIOUS_SCHEMA`: one row per figure, with its return's arrival time.
    """
    frames = []
    with engine.connect() as connection:
        for (template, sheet), measures in COMPARED.items():
            wanted = [(r, y, q) for t, r, y, q in periods if t == template]
            if not wanted:
                continue
            view = _VIEWS[(template, sheet)]
            reporter = view.c[_REPORTER[template]]
            names = [name for name in _SUBJECT_COLUMNS if name in view.c]
            rows = connection.execute(
                select(
                    reporter.label("reporter_code"),
                    view.c.financial_year,
                    view.c.quarter,
                    *(view.c[name] for name in names),
                    *(view.c[m] for m in measures),
                    submission.c.received_at,
                )
                .join(submission, submission.c.submission_id == view.c.submission_id)
                .where(*each_in((reporter, view.c.financial_year, view.c.quarter), wanted))
            ).all()
            if rows:
                frames.append(_long(template, sheet, measures, names, rows))
    if not frames:
        return pl.DataFrame(schema=PREVIOUS_SCHEMA)
    return pl.concat(frames, how="vertical").join(
        pl.DataFrame(list(periods), schema=_PERIOD_SCHEMA, orient="row").unique(),
        on=list(_PERIOD_SCHEMA),
        how="semi",
    )


def _long(
    template: str,
    sheet: str,
    measures: Sequence[str],
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> pl.DataFrame:
    """The rows of one view, as long figures."""
    schema: dict[str, pl.DataType] = {
        "reporter_code": pl.String(),
        "financial_year": pl.String(),
        "quarter": pl.String(),
        **dict.fromkeys(names, pl.String()),
        **dict.fromkeys(measures, pl.Float64()),
        "received_at": pl.Datetime("us", "UTC"),
    }
    data = [(*row[:-1], as_utc(_moment(row[-1]))) for row in rows]
    frame = pl.DataFrame(data, schema=schema, orient="row", strict=False)
    index = ["reporter_code", "financial_year", "quarter", "subject", "received_at"]
    return (
        frame.with_columns(subject_of(template, sheet))
        .select(*index, *measures)
        .unpivot(index=index, on=list(measures), variable_name="measure", value_name="value")
        .select(
            pl.lit(template).alias("template"),
            "reporter_code",
            "financial_year",
            "quarter",
            pl.lit(sheet).alias("sheet"),
            "subject",
            "measure",
            "value",
            "received_at",
        )
        .cast(PREVIOUS_SCHEMA)  # type: ignore[arg-type]
    )


def _moment(value: object) -> dt.datetime:
    """A timestamp as either backend gives it (SQLite through a view: ISO text)."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def explained_warnings(engine: Engine, periods: Sequence[tuple[str, str, str]]) -> pl.DataFrame:
    """Every warning a reporter explained for these (reporter, year, quarter) periods.

    `EXPLAINED_SCHEMA`: enough to know the same warning again (rule, subject and value).
    """
    if not periods:
        return pl.DataFrame(schema=EXPLAINED_SCHEMA)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                submission.c.reporter_code,
                submission.c.financial_year,
                submission.c.quarter,
                validation_issue.c.rule,
                validation_issue.c.subject,
                validation_issue.c.value,
            )
            .join(submission, submission.c.submission_id == validation_issue.c.submission_id)
            .where(
                validation_issue.c.explanation.is_not(None),
                validation_issue.c.rule.is_not(None),
                *each_in(
                    (submission.c.reporter_code, submission.c.financial_year, submission.c.quarter),
                    periods,
                ),
            )
            .distinct()
        ).all()
    keys = ["reporter_code", "financial_year", "quarter"]
    return pl.DataFrame(rows, schema=EXPLAINED_SCHEMA, orient="row").join(
        pl.DataFrame(list(periods), schema=keys, orient="row").unique(), on=keys, how="semi"
    )
