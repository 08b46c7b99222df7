"""`pimh status` and `pimh export`: the tracker and published extracts (placeholder)."""

from __future__ import annotations

import typer


def register_commands(app: typer.Typer) -> None:
    """Add the output commands to the `pimh` app."""
