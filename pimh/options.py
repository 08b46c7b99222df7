"""The options several `pimh` commands share, declared once so every --help reads the same.

The `pimh` app renders help as Markdown (see `pimh.cli`), so a docstring's lines join into
paragraphs that wrap at the terminal's width. Help texts use parentheses, never square
brackets, for asides: under rich markup a bracketed default was taken for markup and
vanished ("SQLAlchemy URL of the warehouse ."), and in Markdown brackets can start a link.
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
