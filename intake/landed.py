"""The run's files: every file the locations name, once, and only once it has settled."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.landing import discover, settled
from domain.records import LandedFile


def settled_returns(
    locations: Sequence[str], quiet_seconds: float, timeout: float
) -> tuple[list[LandedFile], list[LandedFile]]:
    """(files to take now, files still being written when `timeout` ran out).

    Locations may overlap (a landing area and one of its reporter folders): a file found
    through two of them is still one arrival, taken once.
    """
    landed = [file for location in locations for file in discover(location)]
    unique = list({file.url: file for file in landed}.values())
    return settled(unique, quiet_seconds, timeout)
