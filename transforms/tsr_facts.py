"""From validated third-sector returns to the rows of the three third-sector fact tables.

Each row carries the organisation's charity number and the fund it reported under
(checked against the register), so views need no register join.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from domain.layouts import TSR
from domain.records import RETURN_INDEX
from schemas.batch import ValidatedBatch
from transforms.facts import template_facts

_PERIOD = [RETURN_INDEX, "charity_number", "fund", "financial_year", "quarter"]


def third_sector_facts(batch: ValidatedBatch, accepted: Collection[int]) -> dict[str, pl.DataFrame]:
    """Fact rows of the accepted returns of a batch, by fact table name."""
    return template_facts(TSR, batch, accepted, _PERIOD)
