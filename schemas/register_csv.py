"""Reading and checking the register of funded organisations, a CSV the data team keeps.

The register decides which charities' returns are accepted, so a bad line must never
slip in: every problem in the file is found in one pass and worded for the person who
edits the CSV, naming the file, the line and the value found. Spreadsheet habits (spaces,
lower case, `£25,000`, board names instead of codes, a UTF-8 BOM from Excel) are
forgiven; anything that would need a guess is a problem.
"""

# ruff: noqa: N805  (pandera's @pa.check turns the model's methods into classmethods)

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from domain.reference import BOARDS, CHARITY_NUMBER_PATTERN, FUNDS
from schemas.boards import board_meant, resolve_board
from schemas.checks import failure_cases, ok
from schemas.numbers import parse_number

REGISTER_COLUMNS: Final = ("charity_number", "name", "fund", "award_gbp", "board_areas")
HEADER_LINE: Final = ",".join(REGISTER_COLUMNS)
FIRST_RECORD_LINE: Final = 2
UTF8_BOM: Final = b"\xef\xbb\xbf"

# How a fund stream may be written, once lower-cased with spaces folded.
FUND_KEYS: Final[dict[str, str]] = {
    **{code.lower(): code for code in FUNDS},
    **{name.lower(): code for code, name in FUNDS.items()},
}
# The warehouse keeps pounds as NUMERIC(14, 2); a larger award is a typing slip.
AWARD_MAX_GBP: Final = 999_999_999_999.99
_HEADER_KEY: Final = re.compile(r"[\s\-]+")

Row = Mapping[str, Any]


@dataclass(frozen=True)
class RegisterFile:
    """A register CSV read and checked: its identity, its rows, and every problem found.

    `entries` and `board_areas` are empty whenever `problems` is not: a register with
    problems is never half-used.
    """

    source_name: str
    sha256: str
    problems: tuple[str, ...] = ()
    entries: pl.DataFrame = field(default_factory=pl.DataFrame)
    board_areas: pl.DataFrame = field(default_factory=pl.DataFrame)


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


def _blank_to_null(text: pl.Expr) -> pl.Expr:
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


# --- wording -------------------------------------------------------------------------------

Wording = Callable[[Row, str], list[str]]


def _at(row: Row, file: str) -> str:
    return f"{file} line {row['source_line']}"


def _fields(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: {row['field_count']} values where the header has "
        f"{row['header_width']} columns (found '{row['raw_line']}'); a name or amount "
        "containing a comma must be in double quotes."
    ]


def _charity_number(row: Row, file: str) -> list[str]:
    text = row["charity_number_text"]
    if text is None or not text.strip():
        return [
            f"{_at(row, file)}: charity_number is empty; expected a Scottish charity "
            "number (SC followed by six digits)."
        ]
    return [
        f"{_at(row, file)}: '{text}' is not a Scottish charity number (SC followed by six digits)."
    ]


def _duplicate(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: charity number '{row['charity_number_text']}' is already on line "
        f"{row['first_line']}; each organisation is listed once."
    ]


def _name(row: Row, file: str) -> list[str]:
    return [f"{_at(row, file)}: name is empty; expected the organisation's name."]


def _fund(row: Row, file: str) -> list[str]:
    text = row["fund_text"]
    found = "fund is empty" if text is None or not text.strip() else f"'{text}' is not a fund"
    return [f"{_at(row, file)}: {found}; expected MAIN or SMALL (Main Grants or Small Grants)."]


def _award_number(row: Row, file: str) -> list[str]:
    text = row["award_gbp_text"]
    if text is None or not text.strip():
        return [f"{_at(row, file)}: award_gbp is empty; expected the award in pounds, e.g. 25000."]
    return [
        f"{_at(row, file)}: '{text}' is not an amount in pounds; expected a number such as "
        "25000 or £25,000."
    ]


def _award_negative(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: '{row['award_gbp_text']}' is a negative award; expected an "
        "amount of £0 or more."
    ]


def _award_too_large(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: '{row['award_gbp_text']}' is more than the warehouse can hold "
        f"(£{AWARD_MAX_GBP:,.2f}); check the amount."
    ]


def _boards_given(row: Row, file: str) -> list[str]:
    return [
        f"{_at(row, file)}: board_areas is empty; expected at least one NHS board code, "
        "e.g. S08000024 (several separated by ';')."
    ]


def _unknown_board(piece: str) -> str:
    found = f"'{piece}' in board_areas is not an NHS board code or name"
    if "," in piece:
        return f"{found}; separate several boards with ';'."
    code = board_meant(piece)
    if code is not None:
        return f"{found}; did you mean {code} ({BOARDS[code]})?"
    return f"{found}; expected a code such as S08000024."


def _boards_known(row: Row, file: str) -> list[str]:
    return [f"{_at(row, file)}: {_unknown_board(p)}" for p in row["unknown_boards"]]


# In the order a line's problems are listed.
WORDING: Final[dict[str, Wording]] = {
    "fields_fit_header": _fields,
    "charity_number_valid": _charity_number,
    "charity_number_once": _duplicate,
    "name_given": _name,
    "fund_known": _fund,
    "award_is_number": _award_number,
    "award_not_negative": _award_negative,
    "award_fits_warehouse": _award_too_large,
    "board_areas_given": _boards_given,
    "board_areas_known": _boards_known,
}


# --- reading the file ------------------------------------------------------------------------


def _decode(data: bytes, file: str) -> tuple[str | None, list[str]]:
    """The text of a UTF-8 file (BOM dropped), or a problem per line that is not UTF-8."""
    body = data.removeprefix(UTF8_BOM)
    try:
        return body.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            shown = line.decode("cp1252", errors="replace").strip()
            problems.append(
                f"{file} line {number}: the file is not UTF-8 text (byte "
                f"0x{line[exc.start]:02X} in '{shown}'); save the register as 'CSV UTF-8'."
            )
    return None, problems


def _header_key(name: str) -> str:
    return _HEADER_KEY.sub("_", name.strip().lower())


def _header_problem(columns: list[str], file: str) -> str | None:
    """A problem naming the register columns the header lacks, or None when all are there."""
    found = {_header_key(c) for c in columns}
    missing = [c for c in REGISTER_COLUMNS if c not in found]
    if not missing:
        return None
    names = ", ".join(f"'{c}'" for c in missing)
    return (
        f"{file} line 1: the header has no {names} column{'s' if len(missing) > 1 else ''} "
        f"(found '{','.join(columns)}'); expected {HEADER_LINE}."
    )


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(first line, fields) of every record after the header, blank lines included.

    polars numbers records, not lines; a quoted value spanning lines or a blank line would
    shift every line number after it, so the csv module, which counts physical lines, says
    where each record starts.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    records, previous_end = [], 0
    for fields in reader:
        records.append((previous_end + 1, fields))
        previous_end = reader.line_num
    return records[1:]


def _unreadable(text: str, file: str, exc: Exception) -> str:
    """Where a CSV that polars cannot parse goes wrong: almost always an unclosed quote."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error:
        line = text.splitlines()[start - 1] if start <= len(text.splitlines()) else ""
        return (
            f"{file} line {start}: a double quote on this line is never closed (found "
            f"'{line}'); a quoted value must end with a double quote."
        )
    reason = str(exc).strip().splitlines()[0]
    return f"{file} could not be read as CSV: {reason}."


def _raw_frame(text: str, file: str) -> tuple[pl.DataFrame | None, list[str]]:
    """Every record as strings, with its CSV line and field count; or whole-file problems."""
    if not text.strip():
        return None, [f"{file} line 1: the file is empty; expected the header {HEADER_LINE}."]
    try:
        frame = pl.read_csv(
            io.StringIO(text), infer_schema=False, truncate_ragged_lines=True, has_header=True
        )
    except pl.exceptions.PolarsError as exc:
        return None, [_unreadable(text, file, exc)]
    problem = _header_problem(frame.columns, file)
    if problem is not None:
        return None, [problem]
    return _with_lines(_select_register_columns(frame), _records(text), len(frame.columns)), []


def _select_register_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """The five register columns under their canonical names; extra columns are ignored."""
    chosen: dict[str, str] = {}
    for column in frame.columns:
        key = _header_key(column)
        if key in REGISTER_COLUMNS and key not in chosen:
            chosen[key] = column
    return frame.select(pl.col(chosen[key]).alias(key) for key in REGISTER_COLUMNS)


def _with_lines(
    frame: pl.DataFrame, records: list[tuple[int, list[str]]], header_width: int
) -> pl.DataFrame:
    if len(records) != frame.height:  # the parsers disagree: count records instead
        records = [(FIRST_RECORD_LINE + i, []) for i in range(frame.height)]
    return frame.with_columns(
        pl.Series("source_line", [line for line, _ in records], dtype=pl.Int64),
        pl.Series("field_count", [len(fields) for _, fields in records], dtype=pl.Int64),
        pl.Series("raw_line", [",".join(fields) for _, fields in records], dtype=pl.String),
        pl.lit(header_width, dtype=pl.Int64).alias("header_width"),
    )


# --- preparing the rows for the model ------------------------------------------------------


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


def _typed(raw: pl.DataFrame) -> pl.DataFrame:
    """The model's columns: what was typed, and what it means (null when it means nothing)."""
    blank = pl.all_horizontal(
        pl.col(c).fill_null("").str.strip_chars() == "" for c in REGISTER_COLUMNS
    )
    rows = raw.filter(~blank).with_columns(
        pl.col("charity_number").alias("charity_number_text"),
        normalise_charity_number(pl.col("charity_number")).alias("charity_number"),
        _blank_to_null(pl.col("name")).alias("name"),
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


def _problems(rows: pl.DataFrame, file: str) -> list[str]:
    """Every failed check as a sentence, line by line; a line with too many values is
    reported on its own, since its later values sit under the wrong columns."""
    failures = failure_cases(RegisterModel, rows)
    failed = rows.with_row_index("index").join(
        failures.select("check", pl.col("index").cast(pl.UInt32)), on="index"
    )
    order = {check: i for i, check in enumerate(WORDING)}
    by_line: dict[int, list[tuple[int, list[str]]]] = {}
    for row in failed.iter_rows(named=True):
        check = row["check"]
        by_line.setdefault(row["source_line"], []).append((order[check], WORDING[check](row, file)))
    problems: list[str] = []
    for line in sorted(by_line):
        found = sorted(by_line[line])
        if found[0][0] == order["fields_fit_header"]:
            found = found[:1]
        problems.extend(message for _, messages in found for message in messages)
    return problems


def _valid_frames(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    entries = rows.select("charity_number", "name", "fund", "award_gbp", "source_line")
    areas = (
        rows.select("charity_number", pl.col("board_codes").alias("board_code"))
        .explode("board_code")
        .drop_nulls()
    )
    return entries, areas


def check_register(data: bytes, source_name: str) -> RegisterFile:
    """The register in `data` (a CSV file's bytes) with every problem it has."""
    sha256 = hashlib.sha256(data).hexdigest()
    text, problems = _decode(data, source_name)
    raw = None
    if text is not None:
        raw, problems = _raw_frame(text, source_name)
    rows = _typed(raw) if raw is not None else None
    if rows is not None and rows.is_empty():
        problems = [
            f"{source_name} line {FIRST_RECORD_LINE}: no organisation follows the header; "
            "a register lists at least one organisation."
        ]
    elif rows is not None:
        problems = _problems(rows, source_name)
    if problems or rows is None:
        return RegisterFile(source_name, sha256, problems=tuple(problems))
    entries, areas = _valid_frames(rows)
    return RegisterFile(source_name, sha256, entries=entries, board_areas=areas)


def read_register(path: Path) -> RegisterFile:
    """The register CSV at `path`, checked; a file that cannot be opened is a problem too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return RegisterFile(
            source_name=path.name,
            sha256="",
            problems=(f"{path.name} could not be opened: {exc.strerror or exc}.",),
        )
    return check_register(data, path.name)
