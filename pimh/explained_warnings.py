"""The plausibility warnings reporters answered in their returns, as `pimh demo` shows them."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine, text

_EXPLAINED = (
    "SELECT s.reporter_code, s.financial_year, s.quarter, i.cell, i.message, i.explanation "
    "FROM validation_issues i JOIN submissions s ON s.submission_id = i.submission_id "
    "WHERE i.explanation IS NOT NULL ORDER BY i.submission_id, i.issue_id"
)


def print_explained_warnings(console: Console, engine: Engine) -> None:
    """Every explained warning in the warehouse (`validation_issues.explanation`)."""
    with engine.connect() as connection:
        rows = connection.execute(text(_EXPLAINED)).all()
    if not rows:
        return
    table = Table(title="Plausibility warnings explained in the returns (validation_issues)")
    for column in ("Reporter", "Quarter", "Cell", "Warning", "Explanation"):
        table.add_column(column, overflow="fold")
    for reporter, year, quarter, cell, message, explanation in rows:
        # Reporters wrote the explanation: never read as markup.
        table.add_row(
            str(reporter), f"{year} {quarter}", str(cell), escape(str(message)),
            escape(str(explanation)),
        )  # fmt: skip
    console.print(table)
