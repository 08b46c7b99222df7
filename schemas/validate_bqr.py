"""Validating a batch of board returns in one pandera call per sheet.

A backfill validates thousands of returns; one call per sheet over all of them, with the
failures split back per return afterwards, keeps the cost linear and small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from connectors.text import parse_number
from connectors.workbook import SHEET_ROW, WorkbookContent
from schemas.boards import resolve_board
from schemas.bqr import SHEET_MODELS, CoverModel, TotalsModel, failure_cases
from schemas.codes import QUARTER_LOOKUP, code_key
from schemas.issues import Issue
from schemas.layouts import BQR
from schemas.prepare import RETURN_INDEX, SheetPart, stack_sheet
from schemas.reference import parse_financial_year
from schemas.rules import (
    COVER_FIELD,
    COVER_WORDING,
    SHEET_WORDING,
    WARNING_CHECKS,
    severity_of,
)


@dataclass(frozen=True, slots=True)
class BoardReturn:
    """A readable BQR workbook and the reporter folder it arrived in."""

    folder_code: str | None
    content: WorkbookContent


@dataclass(slots=True)
class ValidatedBatch:
    """Issues per return (by position in the batch) and the typed rows of every sheet."""

    issues: dict[int, list[Issue]] = field(default_factory=lambda: defaultdict(list))
    # (errors, warnings) found but not listed, per return: past a thousand a sheet, more
    # problems help nobody and would cost memory on a return of 100,000 bad rows.
    unlisted: dict[int, tuple[int, int]] = field(default_factory=dict)
    cover: pl.DataFrame = field(default_factory=pl.DataFrame)
    sheets: dict[str, pl.DataFrame] = field(default_factory=dict)

    def errors(self, index: int) -> int:
        return sum(issue.is_error for issue in self.issues.get(index, []))


def _cover_value(content: WorkbookContent, key: str) -> str | None:
    cover_field = content.cover.get(key)
    return cover_field.value if cover_field else None


def _cover_frame(returns: Sequence[BoardReturn]) -> pl.DataFrame:
    rows = []
    for index, item in enumerate(returns):
        year_text = _cover_value(item.content, "financial_year")
        quarter_text = _cover_value(item.content, "quarter")
        board_text = _cover_value(item.content, "board")
        year_ok = year_text is not None and parse_financial_year(year_text) is not None
        rows.append(
            {
                RETURN_INDEX: index,
                "folder_code": item.folder_code,
                "board_text": board_text,
                "board_code": resolve_board(board_text),
                "financial_year_text": year_text,
                "financial_year": year_text.strip() if year_ok and year_text else None,
                "quarter_text": quarter_text,
                "quarter": QUARTER_LOOKUP.get(code_key(quarter_text or "")),
                "completed_by": _cover_value(item.content, "completed_by"),
                "email": _cover_value(item.content, "email"),
            }
        )
    return pl.DataFrame(rows, schema_overrides={RETURN_INDEX: pl.Int64}, infer_schema_length=None)


def _totals_frame(sheet: str, parts: Sequence[SheetPart], typed: pl.DataFrame) -> pl.DataFrame:
    layout = next(s for s in BQR.sheets if s.name == sheet)
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
            pl.lit(sheet).alias("sheet"), parse_number(pl.col("declared_text")).alias("declared")
        )
        .join(sums, on=[RETURN_INDEX, "column"], how="left")
    )


def _failed_rows(failures: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """The validated rows behind each failure, with the check and the column it failed on."""
    named = failures.select(
        pl.col("check"), pl.col("column").alias("failed_column"), pl.col("index").cast(pl.UInt32)
    )
    return frame.with_row_index("index").join(named, on="index")


LISTED_PER_SHEET = 1000


def _listed(failed: pl.DataFrame, unlisted: dict[int, tuple[int, int]]) -> pl.DataFrame:
    """The first failures of each return, counting the rest into `unlisted`."""
    rank = pl.int_range(pl.len()).over(RETURN_INDEX)
    rest = failed.filter(rank >= LISTED_PER_SHEET)
    if rest.height:
        counts = rest.group_by(RETURN_INDEX).agg(
            pl.col("check").is_in(sorted(WARNING_CHECKS)).not_().sum().alias("errors"),
            pl.col("check").is_in(sorted(WARNING_CHECKS)).sum().alias("warnings"),
        )
        for index, errors, warnings in counts.iter_rows():
            before = unlisted.get(index, (0, 0))
            unlisted[index] = (before[0] + errors, before[1] + warnings)
    return failed.filter(rank < LISTED_PER_SHEET)


def _issues_from_failures(
    failures: pl.DataFrame,
    frame: pl.DataFrame,
    letters: dict[int, dict[str, str]],
    sheet: str,
    unlisted: dict[int, tuple[int, int]],
) -> list[tuple[int, Issue]]:
    if failures.is_empty():
        return []
    found: list[tuple[int, Issue]] = []
    for failed in _listed(_failed_rows(failures, frame), unlisted).iter_rows(named=True):
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
                    SHEET_WORDING[check](row, key),
                    sheet=sheet,
                    cell=f"{sheet}!{letter}{row[SHEET_ROW]}" if letter else sheet,
                    value=None if value is None else str(value),
                ),
            )
        )
    return found


def validate_board_returns(returns: Sequence[BoardReturn]) -> ValidatedBatch:
    """Every BQR rule over every return of the batch; all problems, not the first."""
    batch = ValidatedBatch()
    if not returns:
        return batch
    batch.cover = _cover_frame(returns)
    cover_failures = failure_cases(CoverModel, batch.cover)
    board_of: dict[int, str | None] = dict(
        zip(batch.cover[RETURN_INDEX].to_list(), batch.cover["board_code"].to_list(), strict=True)
    )
    for row in _failed_rows(cover_failures, batch.cover).iter_rows(named=True):
        content = returns[row[RETURN_INDEX]].content
        cover_field = content.cover.get(COVER_FIELD[row["check"]])
        batch.issues[row[RETURN_INDEX]].append(
            Issue(
                "error",
                COVER_WORDING[row["check"]](row, row["failed_column"]),
                sheet="Cover",
                cell=cover_field.cell if cover_field else "Cover",
                value=cover_field.value if cover_field else None,
            )
        )
    for sheet, model in SHEET_MODELS.items():
        layout = next(s for s in BQR.sheets if s.name == sheet)
        parts = [
            SheetPart(index, board_of.get(index), item.content.sheets[sheet])
            for index, item in enumerate(returns)
            if sheet in item.content.sheets
        ]
        letters = {part.return_index: part.table.letters for part in parts}
        typed = stack_sheet(layout, parts)
        batch.sheets[sheet] = typed
        failures = failure_cases(model, typed)
        totals = _totals_frame(sheet, parts, typed)
        total_failures = failure_cases(TotalsModel, totals) if totals.height else failures.clear()
        for index, issue in [
            *_issues_from_failures(failures, typed, letters, sheet, batch.unlisted),
            *_issues_from_failures(total_failures, totals, letters, sheet, batch.unlisted),
        ]:
            batch.issues[index].append(issue)
    return batch
