"""From validated board returns to the rows of the three board fact tables.

Each row carries its board and quarter from the Cover; Staffing's vacancy is derived
where the return left it empty (SPEC.md), and flagged so.
"""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

from domain.layouts import BQR, BQR_STAFFING
from domain.records import RETURN_INDEX
from schemas.batch import ValidatedBatch
from schemas.bqr import derived_vacancy
from transforms.facts import Derivations, template_facts

_PERIOD = [RETURN_INDEX, "board_code", "financial_year", "quarter"]

_VACANCY: Derivations = {
    "vacant_wte": (
        pl.coalesce(pl.col("vacant_wte"), derived_vacancy()).round(2).alias("vacant_wte"),
        pl.col("vacant_wte").is_null().alias("is_vacant_derived"),
    )
}


def board_facts(batch: ValidatedBatch, accepted: Collection[int]) -> dict[str, pl.DataFrame]:
    """Fact rows of the accepted returns of a batch, by fact table name."""
    return template_facts(BQR, batch, accepted, _PERIOD, {BQR_STAFFING.name: _VACANCY})
