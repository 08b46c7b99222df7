"""The plain script an analyst would write: pandas + openpyxl, row checks, to_sql.

The yardstick the pipeline must beat by far (issue 5): no audit trail, no cell-level
feedback, a handful of checks in Python loops.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd

SHEETS = {"staffing": "Staffing", "activity": "Activity", "finance": "Finance"}
# An analyst hard-codes the columns by position.
COLUMNS = {
    "staffing": ["service", "staff_group", "funded", "in_post", "vacant"],
    "activity": [
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
    "finance": ["service", "allocation", "spend", "forecast"],
}


def _table(path: Path, sheet: str) -> pd.DataFrame:
    raw = pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None)
    name = next(n for n in raw if n.strip().lower() == sheet.lower())
    frame = raw[name].dropna(how="all").dropna(axis=1, how="all")
    header_at = next(
        i for i, v in enumerate(frame.iloc[:, 0]) if str(v).strip().lower() == "service"
    )
    body = frame.iloc[header_at + 1 :]
    body.columns = COLUMNS[sheet.lower()][: body.shape[1]]
    return body[body.iloc[:, 0].astype(str).str.lower() != "total"]


def ingest(files: list[Path], database: Path) -> int:
    """Read every return, check a few rules row by row, append to SQLite; returns loaded."""
    loaded = 0
    with sqlite3.connect(database) as connection:
        for path in files:
            tables = {key: _table(path, sheet) for key, sheet in SHEETS.items()}
            ok = True
            for _, row in tables["activity"].iterrows():
                values = list(row)
                try:
                    if float(str(values[2]).replace(",", "")) > float(
                        str(values[1]).replace(",", "")
                    ):
                        ok = False
                except ValueError:
                    ok = False
            if not ok:
                continue
            for key, frame in tables.items():
                rows = frame.astype(str).assign(source=path.name)
                rows.to_sql(key, connection, if_exists="append", index=False)
            loaded += 1
    return loaded
