"""Cross-period plausibility: this quarter's figures against the reporter's previous ones.

Pure: two frames of figures in, one frame of warnings out, all in polars expressions. A
warning never rejects a return (SPEC.md); it asks the reporter to check a figure or
explain it, in words naming both quarters and both values.

Both frames are long, one row per figure (`FIGURE_SCHEMA`): the template, reporter,
quarter, sheet, subject (the service, say) and measure, and the figure. The current frame
also says which return (`return_index`) and cell each figure came from, and any
explanation the reporter wrote on its row; a row holding only an explanation (no figure)
comes as one `answers_only` row with no measure, naming the Service cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import polars as pl

from domain.layouts import BQR, TSR
from domain.records import RETURN_INDEX

# The columns of a frame of figures; the current frame has `CURRENT_EXTRA` too.
FIGURE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "template": pl.String(),
    "reporter_code": pl.String(),
    "financial_year": pl.String(),
    "quarter": pl.String(),
    "sheet": pl.String(),
    "subject": pl.String(),
    "measure": pl.String(),
    "value": pl.Float64(),
}
CURRENT_EXTRA: Final[dict[str, pl.DataType]] = {
    RETURN_INDEX: pl.Int64(),
    "cell": pl.String(),
    "explanation": pl.String(),
    "answers_only": pl.Boolean(),
}
WARNING_SCHEMA: Final[dict[str, pl.DataType]] = {
    RETURN_INDEX: pl.Int64(),
    "rule": pl.String(),
    "sheet": pl.String(),
    "cell": pl.String(),
    "subject": pl.String(),
    "value": pl.String(),
    "message": pl.String(),
    "explanation": pl.String(),
}

# Each rule's figures, as (template, sheet, measure).
WTE_FIGURES: Final = (("BQR", "Staffing", "funded_wte"),)
COUNT_FIGURES: Final = (
    ("BQR", "Activity", "open_caseload"),
    ("BQR", "Activity", "referrals_received"),
    ("BQR", "Activity", "referrals_accepted"),
)
ALLOCATION_FIGURES: Final = (
    ("BQR", "Finance", "allocation_gbp"),
    ("TSR", "Finance", "grant_awarded_gbp"),
)
# (template, sheet, spend measure, allocation measure)
SPEND_FIGURES: Final = (
    ("BQR", "Finance", "spend_gbp", "allocation_gbp"),
    ("TSR", "Finance", "spend_gbp", "grant_awarded_gbp"),
)
# (template, sheet) whose subjects are the services a reporter runs.
SERVICE_SHEETS: Final = (("BQR", "Activity"),)

# The figures compared, by (template, sheet): what the current and previous frames hold.
COMPARED: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("BQR", "Staffing"): ("funded_wte",),
    ("BQR", "Activity"): ("referrals_received", "referrals_accepted", "open_caseload"),
    ("BQR", "Finance"): ("allocation_gbp", "spend_gbp"),
    ("TSR", "Finance"): ("grant_awarded_gbp", "spend_gbp"),
}


def subject_of(template: str, sheet: str) -> pl.Expr:
    """What a row of the sheet is about, in the words of a warning: `CPMHT`, or
    `CPMHT (Psychology)` for a staff group; none for a charity's one Finance row.

    Written over the column names the rows and the views share (`service`, `staff_group`).
    """
    if template == "BQR" and sheet == "Staffing":
        return pl.format("{} ({})", pl.col("service"), pl.col("staff_group")).alias("subject")
    if template == "BQR":
        return pl.col("service").alias("subject")
    return pl.lit(None, pl.String).alias("subject")


_LABELS: Final = {c.key: c.printed for t in (BQR, TSR) for s in t.sheets for c in s.measures}
_KINDS: Final = {c.key: c.kind for t in (BQR, TSR) for s in t.sheets for c in s.measures}
_ASK: Final = "please check it or explain it."


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a change is implausible (`config.settings` holds them as PIMH_PLAUSIBILITY_*)."""

    wte_change: float = 0.5
    count_factor: float = 2.0
    allocation_tolerance_gbp: float = 0.0
    spend_factor: float = 1.0


def empty_figures(current: bool = False) -> pl.DataFrame:
    return pl.DataFrame(schema={**FIGURE_SCHEMA, **(CURRENT_EXTRA if current else {})})


def previous_period() -> tuple[pl.Expr, pl.Expr]:
    """The quarter before each row's (Q1's is the previous year's Q4), as (year, quarter)."""
    start = pl.col("financial_year").str.slice(0, 4).cast(pl.Int32, strict=False)
    is_q1 = pl.col("quarter") == "Q1"
    year_start = pl.when(is_q1).then(start - 1).otherwise(start)
    year = pl.format(
        "{}-{}", year_start, ((year_start + 1) % 100).cast(pl.String).str.zfill(2)
    ).alias("previous_year")
    number = pl.col("quarter").str.slice(1).cast(pl.Int32, strict=False)
    quarter = pl.format("Q{}", pl.when(is_q1).then(pl.lit(4)).otherwise(number - 1)).alias(
        "previous_quarter"
    )
    return year, quarter


def figure_text(value: pl.Expr) -> pl.Expr:
    """A figure as the warehouse would give it back: `130`, `4.5`, `120000.5`."""
    rounded = value.round(2)
    whole = rounded.round(0)
    return (
        pl.when(rounded == whole)
        .then(whole.cast(pl.Int64).cast(pl.String))
        .otherwise(rounded.cast(pl.String))
    )


def shown_figure(value: pl.Expr, measure: pl.Expr) -> pl.Expr:
    """A figure as a sentence shows it: pounds as `£120,000` (or `£1,200.50`), others plain."""
    rounded = value.round(2)
    pounds = rounded.floor()
    pence = ((rounded - pounds) * 100).round(0).cast(pl.Int64)
    grouped = (
        pounds.cast(pl.Int64)
        .cast(pl.String)
        .str.reverse()
        .str.replace_all(r"(\d{3})", "${1},")
        .str.reverse()
        .str.strip_chars_start(",")
    )
    money = pl.concat_str(
        pl.lit("£"),
        grouped,
        pl.when(pence > 0)
        .then(pl.lit(".") + pence.cast(pl.String).str.zfill(2))
        .otherwise(pl.lit("")),
    )
    kind = measure.replace_strict(_KINDS, default=None, return_dtype=pl.String)
    return pl.when(kind == "pounds").then(money).otherwise(figure_text(value))


def _label() -> pl.Expr:
    return pl.col("measure").replace_strict(_LABELS, default=pl.col("measure"))


def _for_subject() -> pl.Expr:
    """` for CPMHT`, or nothing when the sheet's one row has no subject (a charity's Finance)."""
    return (
        pl.when(pl.col("subject").is_null() | (pl.col("subject") == ""))
        .then(pl.lit(""))
        .otherwise(pl.lit(" for ") + pl.col("subject"))
    )


def _periods_text() -> tuple[pl.Expr, pl.Expr]:
    """`2022-23 Q1` and `Q2` (or `2023-24 Q1` when the year turns)."""
    before = pl.format("{} {}", pl.col("previous_year"), pl.col("previous_quarter"))
    now = (
        pl.when(pl.col("financial_year") == pl.col("previous_year"))
        .then(pl.col("quarter"))
        .otherwise(pl.format("{} {}", pl.col("financial_year"), pl.col("quarter")))
    )
    return before, now


def _among(figures: Iterable[tuple[str, ...]], with_measure: bool = True) -> pl.Expr:
    """Rows of the (template, sheet[, measure]) listed."""
    condition = pl.lit(False)
    for figure in figures:
        match = (pl.col("template") == figure[0]) & (pl.col("sheet") == figure[1])
        if with_measure:
            match = match & (pl.col("measure") == figure[2])
        condition = condition | match
    return condition


_PAIR_KEYS: Final = ["template", "reporter_code", "sheet", "subject", "measure"]


def _pairs(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Each current figure beside the same figure of the quarter before (`previous_value`)."""
    year, quarter = previous_period()
    before = previous.select(
        *_PAIR_KEYS,
        pl.col("financial_year").alias("previous_year"),
        pl.col("quarter").alias("previous_quarter"),
        pl.col("value").alias("previous_value"),
    )
    return (
        current.filter(~pl.col("answers_only"))
        .with_columns(year, quarter)
        .join(
            before,
            on=[*_PAIR_KEYS, "previous_year", "previous_quarter"],
            how="inner",
            nulls_equal=True,
        )
        .filter(pl.col("value").is_not_null() & pl.col("previous_value").is_not_null())
    )


def _change_message(verb: pl.Expr) -> pl.Expr:
    before, now = _periods_text()
    return pl.format(
        "{}{} {} from {} in {} to {} in {}; " + _ASK,
        _label(),
        _for_subject(),
        verb,
        shown_figure(pl.col("previous_value"), pl.col("measure")),
        before,
        shown_figure(pl.col("value"), pl.col("measure")),
        now,
    )


def _rose_or_fell() -> pl.Expr:
    return (
        pl.when(pl.col("value") > pl.col("previous_value"))
        .then(pl.lit("rose"))
        .otherwise(pl.lit("fell"))
    )


def _warnings(frame: pl.DataFrame, rule: str, message: pl.Expr) -> pl.DataFrame:
    return frame.select(
        pl.col(RETURN_INDEX),
        pl.lit(rule).alias("rule"),
        pl.col("sheet"),
        pl.col("cell"),
        pl.col("subject"),
        figure_text(pl.col("value")).alias("value"),
        message.alias("message"),
        pl.col("explanation"),
    )


def wte_changes(pairs: pl.DataFrame, thresholds: Thresholds) -> pl.DataFrame:
    """Funded WTE changed by more than the threshold's fraction of last quarter's."""
    old, new = pl.col("previous_value"), pl.col("value")
    found = pairs.filter(
        _among(WTE_FIGURES) & (old > 0) & ((new - old).abs() > thresholds.wte_change * old)
    )
    return _warnings(found, "wte_change", _change_message(_rose_or_fell()))


def count_jumps(pairs: pl.DataFrame, thresholds: Thresholds) -> pl.DataFrame:
    """Open caseload or referrals reached `count_factor` times last quarter's, or 1/that."""
    old, new = pl.col("previous_value"), pl.col("value")
    factor = thresholds.count_factor
    found = pairs.filter(
        _among(COUNT_FIGURES) & (old > 0) & ((new >= factor * old) | (new * factor <= old))
    )
    return _warnings(found, "count_jump", _change_message(_rose_or_fell()))


def allocation_changes(pairs: pl.DataFrame, thresholds: Thresholds) -> pl.DataFrame:
    """A year's allocation (or grant) changed between two quarters of one financial year."""
    # Half a penny: figures are to the penny, and floats may differ below that.
    tolerance = max(thresholds.allocation_tolerance_gbp, 0.005)
    found = pairs.filter(
        _among(ALLOCATION_FIGURES)
        & (pl.col("financial_year") == pl.col("previous_year"))
        & ((pl.col("value") - pl.col("previous_value")).abs() > tolerance)
    )
    before, now = _periods_text()
    message = pl.format(
        "{}{} changed from {} in {} to {} in {}, but it is for the whole financial year; " + _ASK,
        _label(),
        _for_subject(),
        shown_figure(pl.col("previous_value"), pl.col("measure")),
        before,
        shown_figure(pl.col("value"), pl.col("measure")),
        now,
    )
    return _warnings(found, "allocation_change", message)


def spend_above_allocation(current: pl.DataFrame, thresholds: Thresholds) -> pl.DataFrame:
    """Spend in the quarter above `spend_factor` times the year's allocation (or grant)."""
    parts = []
    for template, sheet, spend, allocation in SPEND_FIGURES:
        rows = current.filter(
            (pl.col("template") == template) & (pl.col("sheet") == sheet) & ~pl.col("answers_only")
        )
        of_year = rows.filter(pl.col("measure") == allocation).select(
            RETURN_INDEX, "subject", pl.col("value").alias("allocation"), "measure"
        )
        found = (
            rows.filter(pl.col("measure") == spend)
            .join(of_year, on=[RETURN_INDEX, "subject"], how="inner", nulls_equal=True)
            .filter(
                pl.col("value").is_not_null()
                & pl.col("allocation").is_not_null()
                & (pl.col("value") > thresholds.spend_factor * pl.col("allocation"))
            )
        )
        message = pl.format(
            "{}{} ({}) is above the year's {} ({}) in {} {}; " + _ASK,
            _label(),
            _for_subject(),
            shown_figure(pl.col("value"), pl.col("measure")),
            pl.col("measure_right")
            .replace_strict(_LABELS, default="allocation")
            .str.to_lowercase(),
            shown_figure(pl.col("allocation"), pl.col("measure_right")),
            pl.col("financial_year"),
            pl.col("quarter"),
        )
        parts.append(_warnings(found, "spend_above_allocation", message))
    return pl.concat(parts) if parts else pl.DataFrame(schema=WARNING_SCHEMA)


def missing_services(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """A service reported last quarter with no row (or only an explanation) now."""
    year, quarter = previous_period()
    returns = (
        current.select(RETURN_INDEX, "template", "reporter_code", "financial_year", "quarter")
        .unique()
        .with_columns(year, quarter)
    )
    before = (
        previous.filter(_among(SERVICE_SHEETS, with_measure=False))
        .select(
            "template",
            "reporter_code",
            pl.col("financial_year").alias("previous_year"),
            pl.col("quarter").alias("previous_quarter"),
            "sheet",
            "subject",
        )
        .unique()
    )
    keys = [RETURN_INDEX, "sheet", "subject"]
    reported = current.filter(~pl.col("answers_only")).select(keys).unique()
    answers = (
        current.filter(pl.col("answers_only"))
        .select(*keys, "cell", "explanation")
        .unique(subset=keys, keep="first")
    )
    found = (
        returns.join(
            before,
            on=["template", "reporter_code", "previous_year", "previous_quarter"],
            how="inner",
        )
        .join(reported, on=keys, how="anti", nulls_equal=True)
        .join(answers, on=keys, how="left", nulls_equal=True)
        # A missing service has no figure: its warning's value is empty.
        .with_columns(
            pl.coalesce("cell", "sheet").alias("cell"), pl.lit(None, pl.Float64).alias("value")
        )
    )
    before_text, now = _periods_text()
    message = pl.format(
        "{} was reported in {} but has no row in this return for {}. If the service has "
        "stopped, add a row with only its code and say so in the Explanation column; if "
        "not, add its figures.",
        pl.col("subject"),
        before_text,
        now,
    )
    return _warnings(found, "service_missing", message)


def plausibility_warnings(
    current: pl.DataFrame, previous: pl.DataFrame, thresholds: Thresholds = Thresholds()
) -> pl.DataFrame:
    """Every implausible change in `current` against `previous` (see the module docstring).

    `previous` may hold any quarters; each current figure is compared with the same
    reporter's figure of the quarter immediately before its own. Returns `WARNING_SCHEMA`.
    """
    pairs = _pairs(current, previous)
    found = [
        wte_changes(pairs, thresholds),
        count_jumps(pairs, thresholds),
        allocation_changes(pairs, thresholds),
        spend_above_allocation(current, thresholds),
        missing_services(current, previous),
    ]
    schema = pl.Schema(WARNING_SCHEMA)
    return pl.concat([frame.cast(schema) for frame in found], how="vertical").sort(
        RETURN_INDEX, "sheet", "cell", "rule", maintain_order=True
    )
