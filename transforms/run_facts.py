"""The fact rows of a run's accepted returns, every template's, tied to their files.

Each template's shaper ties a row to its return by the return's position in its validated
batch; the warehouse ties it to the received file's key, so the positions are swapped for
the keys here, once for every table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Final

import polars as pl

from domain.layouts import BQR, TSR
from domain.records import RETURN_INDEX
from schemas.batch import ValidatedBatch
from schemas.validate_batch import TemplateBatch
from transforms.bqr_facts import board_facts
from transforms.tsr_facts import third_sector_facts

Shaper = Callable[[ValidatedBatch, Collection[int]], dict[str, pl.DataFrame]]

# By template code, as `TemplateBatch.template` names it.
_SHAPERS: Final[dict[str, Shaper]] = {BQR.code: board_facts, TSR.code: third_sector_facts}


def run_fact_rows(batches: Sequence[TemplateBatch]) -> dict[str, pl.DataFrame]:
    """The accepted returns' rows by fact table, `return_index` holding each file's key.

    Only the tables of templates the run holds returns of are present.
    """
    facts: dict[str, pl.DataFrame] = {}
    for batch in batches:
        keys = dict(enumerate(batch.keys))
        shaped = _SHAPERS[batch.template](batch.validated, batch.accepted)
        facts.update(
            {
                table: rows.with_columns(
                    pl.col(RETURN_INDEX).replace_strict(keys, return_dtype=pl.Int64)
                )
                for table, rows in shaped.items()
            }
        )
    return facts
