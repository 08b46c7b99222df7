"""What every checked CSV's wording shares (the register and the contacts list): where a
problem is, the line with too many values, and the order a line's problems are told in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from domain.text import shown

Row = Mapping[str, Any]
Wording = Callable[[Row, str], list[str]]


def at(row: Row, file: str) -> str:
    return f"{file} line {row['source_line']}"


def too_many_values(quoted: str) -> Wording:
    """The wording for a line with more values than the header: `quoted` says what, if it
    contains a comma, must be in double quotes."""

    def wording(row: Row, file: str) -> list[str]:
        return [
            f"{at(row, file)}: {row['field_count']} values where the header has "
            f"{row['header_width']} columns (found '{shown(row['raw_line'])}'); {quoted} "
            "containing a comma must be in double quotes."
        ]

    return wording


def problem_sentences(failed: pl.DataFrame, file: str, wording: Mapping[str, Wording]) -> list[str]:
    """Every failed check (a row per line and check, the check named in `check`) as a
    sentence, line by line, in `wording`'s order; a line with too many values is reported
    on its own, since its later values sit under the wrong columns."""
    order = {check: i for i, check in enumerate(wording)}
    by_line: dict[int, list[tuple[int, list[str]]]] = {}
    for row in failed.iter_rows(named=True):
        check = row["check"]
        by_line.setdefault(row["source_line"], []).append((order[check], wording[check](row, file)))
    problems: list[str] = []
    for line in sorted(by_line):
        found = sorted(by_line[line])
        if found[0][0] == order["fields_fit_header"]:
            found = found[:1]
        problems.extend(message for _, messages in found for message in messages)
    return problems
