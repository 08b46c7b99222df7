"""Writing a quarter's publication to files: csv, parquet or one xlsx workbook.

File names carry the quarter (``pimh_2022-23_Q1_staffing.csv``) so that several quarters
can share a folder, and a file sent on by email still says what it is. Every export also
writes ``pimh_<quarter>_<format>_README.txt`` (the quarter, when it was produced, the disclosure
rules, the tables); the workbook repeats it on its first sheet, ``about``.

Text that a spreadsheet would run as a formula is neutralised (`neutralise_text`) in csv
and xlsx, the formats people open in Excel. Parquet is written as the data are: it is a
typed format read by code (polars, pandas, R arrow, Power BI), none of which evaluates
text, and a leading ``'`` there would only corrupt names for those readers.

The workbook is written with xlsxwriter's conversions off (text to formulas, URLs and
numbers), so a cell holds exactly the text published, ``*`` and counts alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Final

import polars as pl
from xlsxwriter import Workbook

from domain.periods import Period
from extracts.catalogue import TABLES
from extracts.disclosure import SMALLEST_SHOWN
from extracts.neutralise import neutralise_text
from extracts.publish import Publication

XLSX_SHEET_LIMIT: Final = 31
"""Excel refuses longer sheet names."""

ABOUT_SHEET: Final = "about"

_XLSX_OPTIONS: Final = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}


class Format(StrEnum):
    """The formats an export is written in."""

    CSV = "csv"
    PARQUET = "parquet"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Written:
    """One table as written: where, how many rows, how many cells disclosure control hid."""

    table: str
    path: Path
    rows: int
    suppressed: int


def readme_name(period: Period, fmt: Format) -> str:
    """One README per format, so csv and xlsx exports of a quarter can share a folder."""
    return f"pimh_{period.slug}_{fmt.value}_README.txt"


def planned_files(period: Period, outdir: Path, fmt: Format) -> list[Path]:
    """Every file an export of `period` in `fmt` writes: checked before anything is written,
    so a refusal to overwrite leaves the folder as it was."""
    if fmt is Format.XLSX:
        data = [outdir / f"pimh_{period.slug}.xlsx"]
    else:
        data = [outdir / f"pimh_{period.slug}_{name}.{fmt.value}" for name in TABLES]
    return [*data, outdir / readme_name(period, fmt)]


def readme_text(publication: Publication, fmt: Format) -> str:
    """What a reader of the files needs to know: the quarter, when, and the rules applied."""
    p = publication
    if p.has_returns:
        returns = (
            f"Accepted returns: {p.boards_accepted} of {p.boards_expected} NHS boards, "
            f"{p.organisations_accepted} of {p.organisations_expected} third-sector "
            "organisations."
        )
    else:
        returns = (
            "No accepted returns for this quarter: the tables are written empty "
            "(third_sector_funds still lists the register's fund streams)."
        )
    formula = (
        "Text starting with =, +, - or @ is shown with a leading ' so spreadsheets do not "
        "run it as a formula."
        if fmt is not Format.PARQUET
        else "Text is as reported (parquet is not opened as a spreadsheet)."
    )
    tables = [
        f"  {t.name}: {t.title} ({t.frame.height} rows, {t.suppressed} cells suppressed)"
        for t in p.tables
    ]
    return "\n".join(
        [
            f"Perinatal and Infant Mental Health programme: published tables, {p.period}",
            f"Produced {p.produced_at:%Y-%m-%d %H:%M} UTC by `pimh export` ({fmt.value}), from "
            "the current accepted returns in the warehouse.",
            returns,
            "",
            "Statistical disclosure control:",
            f"- Counts of people from 1 to {SMALLEST_SHOWN - 1} are shown as *; 0 stays 0.",
            "- In tables with totals (activity_*, third_sector_people_supported) further cells "
            "are shown as * where a total would otherwise give a hidden count back. Every "
            "total shown is the true total.",
            f"- Percentages from fewer than {SMALLEST_SHOWN} respondents, or from a hidden "
            "count, are left blank.",
            "- WTE, pounds and bed days are not counts of people and are shown as reported.",
            "- A blank count means not reported, or a service the board does not run.",
            "- Contact details of those who completed the returns are never published.",
            f"- {formula}",
            "",
            "Tables:",
            *tables,
            "",
        ]
    )


def write_publication(
    publication: Publication, outdir: Path, fmt: Format, *, force: bool = False
) -> list[Written]:
    """Write every table of `publication` into `outdir` (created if missing).

    Raises FileExistsError, before writing anything, if a file would be overwritten and
    `force` is not set: a published extract may already have been sent on.
    """
    planned = planned_files(publication.period, outdir, fmt)
    existing = [path for path in planned if path.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(str(path) for path in existing))
    outdir.mkdir(parents=True, exist_ok=True)
    if fmt is Format.XLSX:
        written = _write_xlsx(publication, planned[0], fmt)
    else:
        written = []
        for table, path in zip(publication.tables, planned[:-1], strict=True):
            if fmt is Format.CSV:
                write_csv(table.frame, path)
            else:
                table.frame.write_parquet(path)
            written.append(Written(table.name, path, table.frame.height, table.suppressed))
    planned[-1].write_text(readme_text(publication, fmt), encoding="utf-8")
    return written


def write_csv(frame: pl.DataFrame, path: Path | IO[bytes]) -> None:
    """A table as csv, neutralised: csv is usually opened by double-clicking into Excel."""
    neutralise_text(frame).write_csv(path)


def _write_xlsx(publication: Publication, path: Path, fmt: Format) -> list[Written]:
    written = []
    with Workbook(str(path), _XLSX_OPTIONS) as workbook:
        about = workbook.add_worksheet(ABOUT_SHEET)
        about.set_column(0, 0, 120)
        for row, line in enumerate(readme_text(publication, fmt).splitlines()):
            if line:
                about.write_string(row, 0, line)
        for table in publication.tables:
            if len(table.name) > XLSX_SHEET_LIMIT:
                raise ValueError(f"table name {table.name!r} is too long for a sheet name")
            neutralise_text(table.frame).write_excel(
                workbook,
                table.name,
                autofit=True,
                float_precision=2,
                freeze_panes=(1, 0),
            )
            written.append(Written(table.name, path, table.frame.height, table.suppressed))
    return written
