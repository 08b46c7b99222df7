"""What `pimh demo` checks before it makes anything, so a typo leaves no half-made folder."""

from __future__ import annotations

import typer

from domain.periods import Period
from pimh.terminal import console


def demo_period(year: str, quarter: str) -> Period:
    """The demo's quarter as typed (`q1` forgiven), or the one wording and exit 2."""
    try:
        return Period.parse(year, quarter)
    except ValueError as exc:
        console.print(str(exc), style="red", highlight=False, markup=False)
        raise typer.Exit(code=2) from None
