"""The options several `pimh` commands share, declared once so every --help reads the same.

Typer renders help as rich markup, so help texts use parentheses: square brackets would be
taken for markup and vanish.
"""

from __future__ import annotations

from typing import Annotated

import typer

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="SQLAlchemy URL of the warehouse (env PIMH_WAREHOUSE_URL; default sqlite:///pimh.db).",
        show_default=False,
    ),
]
YearOption = Annotated[str, typer.Option("--year", help="Financial year, e.g. 2022-23.")]
QuarterOption = Annotated[str, typer.Option("--quarter", help="Quarter: Q1, Q2, Q3 or Q4.")]
