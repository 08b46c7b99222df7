"""`pimh register`: the register of funded organisations (placeholder until built)."""

from __future__ import annotations

import typer

register_app = typer.Typer(
    help="Load the register of funded third-sector organisations.", no_args_is_help=True
)
