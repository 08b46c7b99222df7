"""The rules of the register of funded organisations, over the records its CSV holds.

The register decides which charities' returns are accepted, so a bad line must never
slip in: every problem is found in one pass (see `schemas.register_wording` for how each
reads). Spreadsheet habits (spaces, lower case, `£25,000`, board names instead of codes)
are forgiven; anything that would need a guess is a problem.
"""

# ruff: noqa: N805  (pandera's @pa.check turns the model's methods into classmethods)

from __future__ import annotations

from typing import Final

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from domain.reference import CHARITY_NUMBER_PATTERN, FUNDS
from domain.register import AWARD_MAX_GBP, REGISTER_COLUMNS, RegisterFile
from schemas.boards import resolve_board
from schemas.checks import failure_cases, ok
from schemas.numbers import parse_number
from schemas.register_wording import no_organisation, problem_sentences

# How a fund stream may be written, once lower-cased with spaces folded.
FUND_KEYS: Final[dict[str, str]] = {
    **{code.lower(): code for code in FUNDS},
    **{name.lower(): code for code, name in FUNDS.items()},
}


# --- normalisers (polars expressions, so they run over the whole file at once) -----------


def normalise_charity_number(text: pl.Expr) -> pl.Expr:
    """`SC` + six digits, upper-cased and trimmed; null when the text is not one."""
    cleaned = text.str.strip_chars().str.to_uppercase()
    return (
        pl.when(cleaned.str.contains(CHARITY_NUMBER_PATTERN.pattern)).then(cleaned).otherwise(None)
    )


def normalise_fund(text: pl.Expr) -> pl.Expr:
    """`MAIN` or `SMALL` from a code or a fund's name in any case; null when neither."""
    key = text.str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")
    return key.replace_strict(FUND_KEYS, default=None, return_dtype=pl.String)


def blank_to_null(text: pl.Expr) -> pl.Expr:
    """A CSV field without surrounding blanks; null when nothing else is left (the register
    and the contacts file alike)."""
    stripped = text.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


# --- the model -----------------------------------------------------------------------------


class RegisterModel(pa.DataFrameModel):
    """One row per organisation line of the register CSV."""

    source_line: int
    field_count: int
    header_width: int
    charity_number_text: str = pa.Field(nullable=True)
    charity_number: str = pa.Field(nullable=True)
    first_line: int = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    fund_text: str = pa.Field(nullable=True)
    fund: str = pa.Field(nullable=True)
    award_gbp_text: str = pa.Field(nullable=True)
    award_gbp: float = pa.Field(nullable=True)
    board_areas_text: str = pa.Field(nullable=True)
    board_count: int
    unknown_board_count: int

    @pa.check("field_count", name="fields_fit_header")
    def fields_fit_header(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("field_count") <= pl.col("header_width"))

    @pa.check("charity_number", name="charity_number_valid")
    def charity_number_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("charity_number").is_not_null())

    @pa.check("charity_number", name="charity_number_once")
    def charity_number_once(cls, data: PolarsData) -> pl.LazyFrame:
        first = pl.col("first_line")
        return ok(data, first.is_null() | (first == pl.col("source_line")))

    @pa.check("name", name="name_given")
    def name_given(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("name").is_not_null())

    @pa.check("fund", name="fund_known")
    def fund_known(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("fund").is_not_null())

    @pa.check("award_gbp", name="award_is_number")
    def award_is_number(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("award_gbp").is_not_null())

    @pa.check("award_gbp", name="award_not_negative")
    def award_not_negative(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("award_gbp").is_null() | (pl.col("award_gbp") >= 0))

    @pa.check("award_gbp", name="award_fits_warehouse")
    def award_fits_warehouse(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("award_gbp").is_null() | (pl.col("award_gbp") <= AWARD_MAX_GBP))

    @pa.check("board_count", name="board_areas_given")
    def board_areas_given(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("board_count") > 0)

    @pa.check("unknown_board_count", name="board_areas_known")
    def board_areas_known(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("unknown_board_count") == 0)

    class Config:
        strict = False
        coerce = False


# --- preparing the records for the model ---------------------------------------------------


def _board_lookup(pieces: pl.Series) -> dict[str, str | None]:
    """Each distinct typed board area to its code; resolved once per distinct text."""
    return {piece: resolve_board(piece) for piece in pieces.unique().to_list()}


def _board_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Board areas split on ';', resolved to codes, with the pieces that name no board."""
    pieces = frame.select(
        "source_line",
        pl.col("board_areas").fill_null("").str.split(";").alias("piece"),
    ).explode("piece")
    pieces = pieces.with_columns(pl.col("piece").str.strip_chars()).filter(pl.col("piece") != "")
    lookup = _board_lookup(pieces["piece"])
    resolved = pieces.with_columns(
        pl.col("piece").replace_strict(lookup, default=None, return_dtype=pl.String).alias("code")
    )
    per_line = resolved.group_by("source_line").agg(
        pl.col("code").drop_nulls().unique(maintain_order=True).alias("board_codes"),
        pl.col("piece").filter(pl.col("code").is_null()).alias("unknown_boards"),
        pl.len().cast(pl.Int64).alias("board_count"),
    )
    empty = pl.lit([], dtype=pl.List(pl.String))
    return frame.join(per_line, on="source_line", how="left").with_columns(
        pl.col("board_codes").fill_null(empty),
        pl.col("unknown_boards").fill_null(empty),
        pl.col("board_count").fill_null(0),
    )


def _typed(records: pl.DataFrame) -> pl.DataFrame:
    """The model's columns: what was typed, and what it means (null when it means nothing)."""
    blank = pl.all_horizontal(
        pl.col(c).fill_null("").str.strip_chars() == "" for c in REGISTER_COLUMNS
    )
    rows = records.filter(~blank).with_columns(
        pl.col("charity_number").alias("charity_number_text"),
        normalise_charity_number(pl.col("charity_number")).alias("charity_number"),
        blank_to_null(pl.col("name")).alias("name"),
        pl.col("fund").alias("fund_text"),
        normalise_fund(pl.col("fund")).alias("fund"),
        pl.col("award_gbp").alias("award_gbp_text"),
        parse_number(pl.col("award_gbp")).alias("award_gbp"),
        pl.col("board_areas").alias("board_areas_text"),
    )
    rows = _board_columns(rows).with_columns(
        pl.col("source_line").first().over("charity_number").alias("first_line"),
        pl.col("unknown_boards").list.len().cast(pl.Int64).alias("unknown_board_count"),
    )
    return rows.with_columns(
        pl.when(pl.col("charity_number").is_not_null()).then(pl.col("first_line"))
    ).sort("source_line")


# --- the verdict ---------------------------------------------------------------------------


def _failed_checks(rows: pl.DataFrame) -> pl.DataFrame:
    """Each row once per check it fails, with the check's name in `check`."""
    failures = failure_cases(RegisterModel, rows)
    return rows.with_row_index("index").join(
        failures.select("check", pl.col("index").cast(pl.UInt32)), on="index"
    )


def _valid_frames(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    entries = rows.select("charity_number", "name", "fund", "award_gbp", "source_line")
    areas = (
        rows.select("charity_number", pl.col("board_codes").alias("board_code"))
        .explode("board_code")
        .drop_nulls()
    )
    return entries, areas


def check_register_records(records: pl.DataFrame, *, source_name: str, sha256: str) -> RegisterFile:
    """The register whose CSV records (as `connectors.register_csv` reads them) are
    `records`, with every problem they have."""
    rows = _typed(records)
    if rows.is_empty():
        problems = [no_organisation(source_name)]
    else:
        problems = problem_sentences(_failed_checks(rows), source_name)
    if problems:
        return RegisterFile(source_name, sha256, problems=tuple(problems))
    entries, areas = _valid_frames(rows)
    return RegisterFile(source_name, sha256, entries=entries, board_areas=areas)
