"""Reading the register CSV the data team keeps: bytes in, its records as strings out.

Spreadsheets save CSV in their own ways (a UTF-8 BOM from Excel, CRLF, header spelling,
extra columns), and every problem must name the physical line the person editing the file
will look at. Nothing here knows what a valid organisation is: that is `schemas.register`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import polars as pl

from domain.register import FIRST_RECORD_LINE, REGISTER_COLUMNS

UTF8_BOM: Final = b"\xef\xbb\xbf"
_HEADER_KEY: Final = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class RegisterCsv:
    """A register CSV as read: its identity, and either its records or why it cannot be read.

    `records` holds every record after the header as strings, under the five register
    columns, with `source_line` (the physical line it starts on), `field_count`,
    `raw_line` and `header_width`; it is None whenever `problems` is not empty.
    """

    source_name: str
    sha256: str
    records: pl.DataFrame | None = None
    problems: tuple[str, ...] = ()


def _decode(data: bytes, file: str, what: str = "register") -> tuple[str | None, list[str]]:
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
                f"0x{line[exc.start]:02X} in '{shown}'); save the {what} as 'CSV UTF-8'."
            )
    return None, problems


def _header_key(name: str) -> str:
    return _HEADER_KEY.sub("_", name.strip().lower())


def _header_problem(
    columns: list[str], file: str, wanted: tuple[str, ...] = REGISTER_COLUMNS
) -> str | None:
    """A problem naming the wanted columns the header lacks, or None when all are there."""
    found = {_header_key(c) for c in columns}
    missing = [c for c in wanted if c not in found]
    if not missing:
        return None
    names = ", ".join(f"'{c}'" for c in missing)
    return (
        f"{file} line 1: the header has no {names} column{'s' if len(missing) > 1 else ''} "
        f"(found '{','.join(columns)}'); expected {','.join(wanted)}."
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


def _select_columns(
    frame: pl.DataFrame, wanted: tuple[str, ...] = REGISTER_COLUMNS
) -> pl.DataFrame:
    """The wanted columns under their canonical names; extra columns are ignored."""
    chosen: dict[str, str] = {}
    for column in frame.columns:
        key = _header_key(column)
        if key in wanted and key not in chosen:
            chosen[key] = column
    return frame.select(pl.col(chosen[key]).alias(key) for key in wanted)


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


def _raw_frame(
    text: str, file: str, wanted: tuple[str, ...] = REGISTER_COLUMNS
) -> tuple[pl.DataFrame | None, list[str]]:
    """Every record as strings, with its CSV line and field count; or whole-file problems."""
    if not text.strip():
        header = ",".join(wanted)
        return None, [f"{file} line 1: the file is empty; expected the header {header}."]
    try:
        frame = pl.read_csv(
            io.StringIO(text), infer_schema=False, truncate_ragged_lines=True, has_header=True
        )
    except pl.exceptions.PolarsError as exc:
        return None, [_unreadable(text, file, exc)]
    problem = _header_problem(frame.columns, file, wanted)
    if problem is not None:
        return None, [problem]
    return _with_lines(_select_columns(frame, wanted), _records(text), len(frame.columns)), []


def parse_csv_records(
    data: bytes, source_name: str, columns: tuple[str, ...], what: str
) -> RegisterCsv:
    """Any list the data team keeps as CSV with these `columns` (the register, the contacts),
    read as the register is; `what` names the list in problems ("save the {what} as ...")."""
    sha256 = hashlib.sha256(data).hexdigest()
    text, problems = _decode(data, source_name, what)
    records = None
    if text is not None:
        records, problems = _raw_frame(text, source_name, columns)
    return RegisterCsv(source_name, sha256, records=records, problems=tuple(problems))


def parse_register_csv(data: bytes, source_name: str) -> RegisterCsv:
    """The register CSV in `data` (a file's bytes as they arrived), named `source_name` in
    every problem."""
    return parse_csv_records(data, source_name, REGISTER_COLUMNS, "register")


def read_register_csv(path: Path) -> RegisterCsv:
    """The register CSV at `path`; a file that cannot be opened is a problem, not a crash."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return RegisterCsv(
            source_name=path.name,
            sha256="",
            problems=(f"{path.name} could not be opened: {exc.strerror or exc}.",),
        )
    return parse_register_csv(data, path.name)
