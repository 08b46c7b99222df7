"""The plain script an analyst would write: pandas + openpyxl, row checks, to_sql.

The yardstick the pipeline must beat by far (issue 5): no audit trail, no cell-level
feedback, a handful of checks in Python loops. It reads each workbook once and handles
both templates, telling them apart by their sheets, as such a script would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

# An analyst hard-codes each sheet's first header and its columns by position.
BOARD_SHEETS: dict[str, tuple[str, list[str]]] = {
    "staffing": ("service", ["service", "staff_group", "funded", "in_post", "vacant"]),
    "activity": (
        "service",
        [
            "service",
            "received",
            "accepted",
            "first",
            "caseload",
            "discharges",
            "waiting",
            "admissions",
            "occupied",
            "available",
        ],
    ),
    "finance": ("service", ["service", "allocation", "spend", "forecast"]),
}
CHARITY_SHEETS: dict[str, tuple[str, list[str]]] = {
    "activity": (
        "board area",
        ["board_area", "support_type", "mothers", "fathers", "infants", "other_carers"],
    ),
    "outcomes": ("outcome", ["outcome", "respondents", "improving"]),
    "finance": ("grant awarded", ["grant_awarded", "spend"]),
}


def _table(
    raw: dict[str, pd.DataFrame], sheet: str, first: str, columns: list[str]
) -> pd.DataFrame:
    name = next(n for n in raw if n.strip().lower() == sheet)
    frame = raw[name].dropna(how="all").dropna(axis=1, how="all")
    header_at = next(
        i
        for i, v in enumerate(frame.iloc[:, 0])
        if str(v).strip().lower().replace("_", " ").startswith(first)
    )
    # Columns past the ones it knows (the optional Explanation column) are left out.
    body = frame.iloc[header_at + 1 :, : len(columns)]
    body.columns = columns[: body.shape[1]]
    return body[body.iloc[:, 0].astype(str).str.lower() != "total"]


def _number(value: object) -> float:
    return float(str(value).replace(",", "").replace("£", ""))


def _bigger_than(frame: pd.DataFrame, part: int, whole: int) -> bool:
    """A row-by-row check: is any `part` figure above its `whole` (or unreadable)?"""
    for _, row in frame.iterrows():
        values = list(row)
        try:
            if _number(values[part]) > _number(values[whole]):
                return True
        except ValueError:
            return True
    return False


def ingest(files: list[Path], database: Path) -> int:
    """Read every return, check a few rules row by row, append to SQLite; returns loaded."""
    loaded = 0
    with sqlite3.connect(database) as connection:
        for path in files:
            raw = pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
            charity = any(n.strip().lower() == "outcomes" for n in raw)
            layout = CHARITY_SHEETS if charity else BOARD_SHEETS
            tables = {key: _table(raw, key, *spec) for key, spec in layout.items()}
            if charity:
                bad = _bigger_than(tables["outcomes"], 2, 1)  # improving above respondents
            else:
                bad = _bigger_than(tables["activity"], 2, 1)  # accepted above received
            if bad:
                continue
            prefix = "tsr_" if charity else "bqr_"
            for key, frame in tables.items():
                rows = frame.astype(str).assign(source=path.name)
                rows.to_sql(prefix + key, connection, if_exists="append", index=False)
            loaded += 1
    return loaded
