"""A run's accepted returns as the long frame of figures the plausibility rules compare.

One row per compared figure (`transforms.plausibility.COMPARED`), naming the received
file (`return_index` is its key, as in the fact rows), the cell the figure is in, and the
explanation written on its row; a row holding only an explanation is one `answers_only`
row naming its first cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from domain.layouts import BQR, TSR, TemplateLayout, sheet_layout
from domain.records import RETURN_INDEX
from domain.workbook import SHEET_ROW
from schemas.validate_batch import TemplateBatch
from transforms.facts import explanation_only
from transforms.plausibility import COMPARED, CURRENT_EXTRA, FIGURE_SCHEMA, subject_of

_TEMPLATES: dict[str, TemplateLayout] = {BQR.code: BQR, TSR.code: TSR}
_LETTER_KEY = "letter_key"
_LAYOUT = "layout"


def _letters(batch: TemplateBatch, sheet: str, positions: Sequence[int]) -> pl.DataFrame:
    """(file key, column key, letter) for each accepted return's columns on the sheet.

    Most returns are laid out alike: each distinct set of letters is framed once, and
    joined to the returns having it.
    """
    distinct: dict[tuple[tuple[str, str], ...], int] = {}
    having: list[tuple[int, int]] = []
    for position in positions:
        table = batch.returns[position].content.sheets.get(sheet)
        if table is not None:
            layout = tuple(table.letters.items())
            having.append((batch.keys[position], distinct.setdefault(layout, len(distinct))))
    layouts = pl.DataFrame(
        [(number, key, letter) for layout, number in distinct.items() for key, letter in layout],
        schema={_LAYOUT: pl.Int64, _LETTER_KEY: pl.String, "letter": pl.String},
        orient="row",
    )
    return (
        pl.DataFrame(having, schema={RETURN_INDEX: pl.Int64, _LAYOUT: pl.Int64}, orient="row")
        .join(layouts, on=_LAYOUT, how="inner")
        .drop(_LAYOUT)
    )


def _sheet_figures(
    batch: TemplateBatch, accepted: Sequence[int], sheet: str, measures: Sequence[str]
) -> pl.DataFrame:
    layout = sheet_layout(_TEMPLATES[batch.template], sheet)
    keys = dict(enumerate(batch.keys))
    reporters = pl.DataFrame(
        {
            RETURN_INDEX: [batch.keys[p] for p in accepted],
            "reporter_code": [batch.returns[p].folder_code for p in accepted],
        },
        schema={RETURN_INDEX: pl.Int64, "reporter_code": pl.String},
    )
    cover = batch.validated.cover.select(
        pl.col(RETURN_INDEX).replace_strict(keys, return_dtype=pl.Int64),
        "financial_year",
        "quarter",
    )
    rows = (
        batch.validated.sheets[sheet]
        .filter(pl.col(RETURN_INDEX).is_in(list(accepted)))
        .with_columns(
            pl.col(RETURN_INDEX).replace_strict(keys, return_dtype=pl.Int64),
            subject_of(batch.template, sheet),
            explanation_only(layout).alias("answers_only"),
        )
    )
    index = [RETURN_INDEX, SHEET_ROW, "subject", "explanation", "answers_only"]
    figures = (
        rows.filter(~pl.col("answers_only"))
        .select(*index, *(pl.col(m).cast(pl.Float64) for m in measures))
        .unpivot(index=index, on=list(measures), variable_name="measure", value_name="value")
    )
    answers = rows.filter(pl.col("answers_only")).select(
        *index, pl.lit(None, pl.String).alias("measure"), pl.lit(None, pl.Float64).alias("value")
    )
    first = layout.first_header.key
    return (
        pl.concat([figures, answers], how="vertical_relaxed")
        .with_columns(pl.coalesce("measure", pl.lit(first)).alias(_LETTER_KEY))
        .join(_letters(batch, sheet, accepted), on=[RETURN_INDEX, _LETTER_KEY], how="left")
        .join(reporters, on=RETURN_INDEX, how="inner")
        .join(cover, on=RETURN_INDEX, how="inner")
        .select(
            pl.lit(batch.template).alias("template"),
            "reporter_code",
            "financial_year",
            "quarter",
            pl.lit(sheet).alias("sheet"),
            "subject",
            "measure",
            "value",
            RETURN_INDEX,
            pl.format("{}!{}{}", pl.lit(sheet), pl.col("letter"), pl.col(SHEET_ROW)).alias("cell"),
            "explanation",
            "answers_only",
        )
    )


def current_figures(batches: Sequence[TemplateBatch]) -> pl.DataFrame:
    """The compared figures of every accepted return of the run's batches."""
    frames = [
        _sheet_figures(batch, accepted, sheet, measures)
        for batch in batches
        if (accepted := batch.accepted)
        for (template, sheet), measures in COMPARED.items()
        if template == batch.template and sheet in batch.validated.sheets
    ]
    schema = {**FIGURE_SCHEMA, **CURRENT_EXTRA}
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat([frame.cast(schema) for frame in frames], how="vertical")  # type: ignore[arg-type]
