"""What validating any template's batch of returns shares: failures back to cells.

Each template validates all its returns in one pandera call per sheet; this module turns
the failures back into `Issue`s per return, naming the cell, and checks Total rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from domain.issues import Issue
from domain.layouts import SheetLayout, TemplateLayout
from domain.records import RETURN_INDEX
from domain.workbook import SHEET_ROW, WorkbookContent
from schemas.bqr import TotalsModel
from schemas.checks import failure_cases
from schemas.numbers import parse_number
from schemas.prepare import SheetPart, stack_sheet
from schemas.rules import SHEET_WORDING, WARNING_CHECKS, Wording, severity_of

# Past this many problems on one sheet, more help nobody and would cost memory on a
# return of 100,000 bad rows: they are counted, not listed.
LISTED_PER_SHEET = 1000


@dataclass(frozen=True, slots=True)
class ReturnInput:
    """A readable workbook and the reporter folder it arrived in."""

    folder_code: str | None
    content: WorkbookContent


@dataclass(slots=True)
class ValidatedBatch:
    """Issues per return (by position in the batch) and the typed rows of every sheet."""

    issues: dict[int, list[Issue]] = field(default_factory=lambda: defaultdict(list))
    # (errors, warnings) found but not listed, per return.
    unlisted: dict[int, tuple[int, int]] = field(default_factory=dict)
    cover: pl.DataFrame = field(default_factory=pl.DataFrame)
    sheets: dict[str, pl.DataFrame] = field(default_factory=dict)

    def errors(self, index: int) -> int:
        return sum(issue.is_error for issue in self.issues.get(index, []))


def cover_value(content: WorkbookContent, key: str) -> str | None:
    cover_field = content.cover.get(key)
    return cover_field.value if cover_field else None


def failed_rows(failures: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """The validated rows behind each failure, with the check and the column it failed on."""
    named = failures.select(
        pl.col("check"), pl.col("column").alias("failed_column"), pl.col("index").cast(pl.UInt32)
    )
    return frame.with_row_index("index").join(named, on="index")


def _listed(failed: pl.DataFrame, unlisted: dict[int, tuple[int, int]]) -> pl.DataFrame:
    """The first failures of each return, counting the rest into `unlisted`."""
    rank = pl.int_range(pl.len()).over(RETURN_INDEX)
    rest = failed.filter(rank >= LISTED_PER_SHEET)
    if rest.height:
        warning = pl.col("check").is_in(sorted(WARNING_CHECKS))
        counts = rest.group_by(RETURN_INDEX).agg(
            warning.not_().sum().alias("errors"), warning.sum().alias("warnings")
        )
        for index, errors, warnings in counts.iter_rows():
            before = unlisted.get(index, (0, 0))
            unlisted[index] = (before[0] + errors, before[1] + warnings)
    return failed.filter(rank < LISTED_PER_SHEET)


def sheet_issues(
    failures: pl.DataFrame,
    frame: pl.DataFrame,
    letters: Mapping[int, Mapping[str, str]],
    sheet: str,
    unlisted: dict[int, tuple[int, int]],
    *,
    wording: Mapping[str, Wording] = SHEET_WORDING,
) -> list[tuple[int, Issue]]:
    """One issue per failed check on a data sheet, at the cell it failed on."""
    if failures.is_empty():
        return []
    found: list[tuple[int, Issue]] = []
    for failed in _listed(failed_rows(failures, frame), unlisted).iter_rows(named=True):
        row = {**failed, "sheet": sheet}
        check = row["check"]
        is_total = check.startswith("total_")
        key = row["column"] if is_total else row["failed_column"]
        letter = letters.get(row[RETURN_INDEX], {}).get(key)
        value = row["declared_text"] if is_total else row.get(f"{key}_text")
        found.append(
            (
                row[RETURN_INDEX],
                Issue(
                    severity_of(check),
                    wording[check](row, key),
                    sheet=sheet,
                    cell=f"{sheet}!{letter}{row[SHEET_ROW]}" if letter else sheet,
                    value=None if value is None else str(value),
                ),
            )
        )
    return found


def _totals_frame(
    layout: SheetLayout, parts: Sequence[SheetPart], typed: pl.DataFrame
) -> pl.DataFrame:
    measures = [c.key for c in layout.measures]
    declared = [
        {
            RETURN_INDEX: part.return_index,
            "column": key,
            SHEET_ROW: part.table.total_row,
            "declared_text": part.table.total.get(key),
        }
        for part in parts
        if part.table.total is not None
        for key in measures
    ]
    schema = {RETURN_INDEX: pl.Int64, "column": pl.String, SHEET_ROW: pl.Int64}
    if not declared:
        return pl.DataFrame(schema={**schema, "declared_text": pl.String})
    sums = (
        typed.group_by(RETURN_INDEX)
        .agg(pl.col(measures).sum())
        .unpivot(index=RETURN_INDEX, variable_name="column", value_name="computed")
    )
    return (
        pl.DataFrame(declared, schema={**schema, "declared_text": pl.String})
        .with_columns(
            pl.lit(layout.name).alias("sheet"),
            parse_number(pl.col("declared_text")).alias("declared"),
        )
        .join(sums, on=[RETURN_INDEX, "column"], how="left")
    )


SheetEnricher = Callable[[str, pl.DataFrame], pl.DataFrame]


def validate_sheets(
    template: TemplateLayout,
    models: Mapping[str, type],
    returns: Sequence[ReturnInput],
    batch: ValidatedBatch,
    board_of: Mapping[int, str | None],
    *,
    enrich: SheetEnricher | None = None,
) -> None:
    """Every data sheet's rules and Total rows over the whole batch, into `batch`.

    `enrich` may add columns a sheet's rules need from outside the sheet (the register).
    """
    for layout in template.sheets:
        model = models[layout.name]
        parts = [
            SheetPart(index, board_of.get(index), item.content.sheets[layout.name])
            for index, item in enumerate(returns)
            if layout.name in item.content.sheets
        ]
        letters = {part.return_index: part.table.letters for part in parts}
        typed = stack_sheet(layout, parts)
        if enrich is not None:
            typed = enrich(layout.name, typed)
        batch.sheets[layout.name] = typed
        failures = failure_cases(model, typed)
        totals = _totals_frame(layout, parts, typed)
        total_failures = failure_cases(TotalsModel, totals) if totals.height else failures.clear()
        for index, issue in [
            *sheet_issues(failures, typed, letters, layout.name, batch.unlisted),
            *sheet_issues(total_failures, totals, letters, layout.name, batch.unlisted),
        ]:
            batch.issues[index].append(issue)


def record_cover_issues(
    batch: ValidatedBatch,
    returns: Sequence[ReturnInput],
    failures: pl.DataFrame,
    *,
    wording: Mapping[str, Wording],
    field_of: Mapping[str, str],
    sheet_of: Mapping[str, str],
) -> None:
    """Cover rule failures as issues at the Cover cell at fault (or the sheet at fault)."""
    for row in failed_rows(failures, batch.cover).iter_rows(named=True):
        check = row["check"]
        message = wording[check](row, row["failed_column"])
        if check in sheet_of:
            issue = Issue("error", message, sheet=sheet_of[check], cell=sheet_of[check])
        else:
            cover_field = returns[row[RETURN_INDEX]].content.cover.get(field_of[check])
            issue = Issue(
                "error",
                message,
                sheet="Cover",
                cell=cover_field.cell if cover_field else "Cover",
                value=cover_field.value if cover_field else None,
            )
        batch.issues[row[RETURN_INDEX]].append(issue)
