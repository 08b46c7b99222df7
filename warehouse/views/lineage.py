"""The `lineage` view: every figure of every loaded return, with the cell it was read from.

One row per figure: a measure of one fact row, unpivoted from the sheet layouts
(`domain.layouts`), so a measure added to a template appears here unasked. Each row names
the downstream view the figure is published in and that view's keys, the file it came
from (name, SHA-256, arrival time, status) and its cell: the sheet, the column letter the
reader found the measure's header in for that very return (`source_column`, which holds
only the letters that differ from the template's: `transforms.source_columns`), and the
fact row's sheet row. Superseded returns' figures stay, so a figure's history across
resubmissions is a query; `is_current` marks the ones the downstream views serve.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Numeric,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    select,
    union_all,
)

from domain.layouts import BQR, TSR, ColumnLayout, SheetLayout
from transforms.source_columns import NOT_READ
from warehouse.tables import FACT_TABLES, source_column, submission
from warehouse.views.current import RETURN_VIEWS
from warehouse.views.view import Grain, Layer, View

# Every key of the downstream figure views, in one order; a view's missing keys are NULL.
KEY_COLUMNS: Final = (
    "board_code",
    "charity_number",
    "fund",
    "financial_year",
    "quarter",
    "service",
    "staff_group",
    "support_type",
    "outcome",
)

# Where a fact table's column name differs from the contract's (as in `views.current`).
_PUBLISHED_AS: Final = {"service_code": "service"}

# A measure the transforms may derive rather than read, and the fact column saying so.
_DERIVED_FLAGS: Final = {("fact_staffing", "vacant_wte"): "is_vacant_derived"}


def _view_of(sheet: SheetLayout) -> str:
    """The downstream view publishing a sheet's fact table."""
    return next(view.name for view in RETURN_VIEWS if sheet.fact_table in view.reads)


FIGURE_SHEETS: Final[dict[str, SheetLayout]] = {
    _view_of(sheet): sheet for template in (BQR, TSR) for sheet in template.sheets
}
"""Each downstream view of figures and the sheet its figures are read from, by view name."""


def _keys(fact: Table) -> list[ColumnElement[Any]]:
    published = {_PUBLISHED_AS.get(column.name, column.name): column for column in fact.c}
    return [
        published[key].label(key) if key in published else cast(null(), String).label(key)
        for key in KEY_COLUMNS
    ]


def _letter(stored: ColumnElement[str], template: str) -> ColumnElement[str]:
    """The letter a figure was read from: the template's where none is stored, and NULL
    (no cell) for a measure the return did not have."""
    return case(
        (stored.is_(None), literal(template, String)),
        else_=func.nullif(stored, literal(NOT_READ, String)),
    )


def _figures(view: str, sheet: SheetLayout, measure: ColumnLayout) -> Select[Any]:
    """One measure of one sheet's fact rows, one row per figure."""
    fact = FACT_TABLES[sheet.fact_table]
    letter = source_column.alias("letter")
    flag = _DERIVED_FLAGS.get((sheet.fact_table, measure.fact_key))
    derived: ColumnElement[bool] = fact.c[flag] if flag else false()
    return select(
        literal(view, String).label("view_name"),
        *_keys(fact),
        literal(measure.fact_key, String).label("measure"),
        cast(fact.c[measure.fact_key], Numeric(14, 2, asdecimal=False)).label("value"),
        fact.c.submission_id,
        submission.c.file_name,
        submission.c.sha256,
        literal(sheet.name, String).label("sheet"),
        (
            literal(f"{sheet.name}!", String)
            + _letter(letter.c.column_letter, sheet.template_letter(measure.key))
            + cast(fact.c.source_row, String)
        ).label("cell"),
        fact.c.source_row,
        submission.c.received_at,
        submission.c.status,
        cast(submission.c.status == "accepted", Boolean).label("is_current"),
        cast(derived, Boolean).label("is_derived"),
    ).select_from(
        fact.join(submission, submission.c.submission_id == fact.c.submission_id).outerjoin(
            letter,
            and_(
                letter.c.submission_id == fact.c.submission_id,
                letter.c.sheet == sheet.name,
                letter.c.measure == measure.fact_key,
            ),
        )
    )


lineage: Final = View(
    "lineage",
    Layer.BASE,
    Grain(
        ("submission_id", "sheet", "source_row", "measure"),
        "One row per figure (a measure of one sheet row) of every accepted or superseded "
        "return, with the view and keys it is published under and the cell it came from.",
    ),
    union_all(
        *(
            _figures(view, sheet, measure)
            for view, sheet in FIGURE_SHEETS.items()
            for measure in sheet.measures
        )
    ),
)
