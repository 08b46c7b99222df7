"""The rules of the reporters' contacts list, over the records its CSV holds.

The list decides who is sent a reporter's feedback, so a bad line must never slip in:
every problem is found in one pass (see `schemas.contacts_wording` for how each reads).
Spreadsheet habits (spaces, lower-case codes, a board's name for its code, `Lead` for
`lead`) are forgiven; an address that is not one, or a reporter pimh does not know, is a
problem.
"""

# ruff: noqa: N805  (pandera's @pa.check turns the model's methods into classmethods)

from __future__ import annotations

from collections.abc import Collection

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from domain.contacts import CONTACT_COLUMNS, DEFAULT_ROLE, ROLES, ContactsFile, is_email_address
from domain.reference import BOARDS
from schemas.boards import resolve_board
from schemas.checks import failure_cases, ok
from schemas.contacts_wording import no_contact, problem_sentences
from schemas.register import blank_to_null, normalise_charity_number


class ContactsModel(pa.DataFrameModel):
    """One row per contact line of the contacts CSV."""

    source_line: int
    field_count: int
    header_width: int
    reporter_text: str = pa.Field(nullable=True)
    reporter_code: str = pa.Field(nullable=True)
    is_reporter_known: bool
    name: str = pa.Field(nullable=True)
    email_text: str = pa.Field(nullable=True)
    email: str = pa.Field(nullable=True)
    first_line: int = pa.Field(nullable=True)
    role_text: str = pa.Field(nullable=True)
    role: str = pa.Field(nullable=True)

    @pa.check("field_count", name="fields_fit_header")
    def fields_fit_header(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("field_count") <= pl.col("header_width"))

    @pa.check("reporter_code", name="reporter_code_valid")
    def reporter_code_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("reporter_code").is_not_null())

    @pa.check("is_reporter_known", name="reporter_known")
    def reporter_known(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("reporter_code").is_null() | pl.col("is_reporter_known"))

    @pa.check("name", name="name_given")
    def name_given(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("name").is_not_null())

    @pa.check("email", name="email_valid")
    def email_valid(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("email").is_not_null())

    @pa.check("email", name="email_once")
    def email_once(cls, data: PolarsData) -> pl.LazyFrame:
        first = pl.col("first_line")
        return ok(data, first.is_null() | (first == pl.col("source_line")))

    @pa.check("role", name="role_known")
    def role_known(cls, data: PolarsData) -> pl.LazyFrame:
        return ok(data, pl.col("role").is_not_null())

    class Config:
        strict = False
        coerce = False


def _reporter_lookup(texts: pl.Series) -> dict[str, str | None]:
    """Each distinct typed reporter to its code: a board's code or name, or a charity
    number; resolved once per distinct text."""
    found: dict[str, str | None] = {}
    for text in texts.drop_nulls().unique().to_list():
        board = resolve_board(text)
        found[text] = board
    return found


def _email_lookup(texts: pl.Series) -> dict[str, str | None]:
    """Each distinct typed address, trimmed, or None when it is not an address."""
    found: dict[str, str | None] = {}
    for text in texts.drop_nulls().unique().to_list():
        trimmed = text.strip()
        found[text] = trimmed if is_email_address(trimmed) else None
    return found


def _typed(records: pl.DataFrame, known: Collection[str]) -> pl.DataFrame:
    """The model's columns: what was typed, and what it means (null when it means nothing)."""
    blank = pl.all_horizontal(
        pl.col(c).fill_null("").str.strip_chars() == "" for c in CONTACT_COLUMNS
    )
    rows = records.filter(~blank)
    boards = _reporter_lookup(rows["reporter_code"])
    addresses = _email_lookup(rows["email"])
    charity = normalise_charity_number(pl.col("reporter_code"))
    board = pl.col("reporter_code").replace_strict(boards, default=None, return_dtype=pl.String)
    role_key = pl.col("role").fill_null("").str.strip_chars().str.to_lowercase()
    rows = rows.with_columns(
        pl.col("reporter_code").alias("reporter_text"),
        pl.coalesce(charity, board).alias("reporter_code"),
        blank_to_null(pl.col("name")).alias("name"),
        pl.col("email").alias("email_text"),
        pl.col("email").replace_strict(addresses, default=None, return_dtype=pl.String),
        pl.col("role").alias("role_text"),
        pl.when(role_key == "")
        .then(pl.lit(DEFAULT_ROLE))
        .when(role_key.is_in(list(ROLES)))
        .then(role_key)
        .otherwise(None)
        .alias("role"),
    )
    known_codes = [*BOARDS, *known]
    return rows.with_columns(
        pl.col("reporter_code").is_in(known_codes).fill_null(False).alias("is_reporter_known"),
        pl.when(pl.col("email").is_not_null() & pl.col("reporter_code").is_not_null())
        .then(
            pl.col("source_line")
            .first()
            .over(pl.col("reporter_code"), pl.col("email").str.to_lowercase())
        )
        .alias("first_line"),
    ).sort("source_line")


def _failed_checks(rows: pl.DataFrame) -> pl.DataFrame:
    """Each row once per check it fails, with the check's name in `check`."""
    failures = failure_cases(ContactsModel, rows)
    return rows.with_row_index("index").join(
        failures.select("check", pl.col("index").cast(pl.UInt32)), on="index"
    )


def check_contacts_records(
    records: pl.DataFrame, *, source_name: str, sha256: str, known_charities: Collection[str]
) -> ContactsFile:
    """The contacts whose CSV records (as `connectors.contacts_csv` reads them) are
    `records`, with every problem they have. A reporter is known when it is one of the 14
    boards or a charity on `known_charities` (the register's charity numbers)."""
    rows = _typed(records, known_charities)
    if rows.is_empty():
        problems = [no_contact(source_name)]
    else:
        problems = problem_sentences(_failed_checks(rows), source_name)
    if problems:
        return ContactsFile(source_name, sha256, problems=tuple(problems))
    entries = rows.select("reporter_code", "name", "email", "role", "source_line")
    return ContactsFile(source_name, sha256, entries=entries)
