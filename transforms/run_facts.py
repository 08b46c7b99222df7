"""The fact rows of a run's accepted returns, every template's, tied to their files.

Each template's shaper ties a row to its return by the return's position in its validated
batch; the warehouse ties it to the received file's key, so the positions are swapped for
the keys here, once for every table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Final

import polars as pl

from domain.issues import file_problem
from domain.layouts import BQR, TSR, TemplateLayout
from domain.records import RETURN_INDEX
from schemas.batch import ValidatedBatch
from schemas.validate_batch import TemplateBatch
from transforms.bqr_facts import board_facts
from transforms.source_columns import SOURCE_COLUMNS, source_columns
from transforms.tsr_facts import third_sector_facts

Shaper = Callable[[ValidatedBatch, Collection[int]], dict[str, pl.DataFrame]]

# By template code, as `TemplateBatch.template` names it.
_SHAPERS: Final[dict[str, Shaper]] = {BQR.code: board_facts, TSR.code: third_sector_facts}
_LAYOUTS: Final[dict[str, TemplateLayout]] = {BQR.code: BQR, TSR.code: TSR}


UNSHAPEABLE: Final = (
    "The return's figures could not be prepared for the warehouse, so it was not loaded. "
    "The PIMH data team has been told. Check the return for unusual values and send it "
    "again, or contact the data team."
)


def _shape(batch: TemplateBatch) -> dict[str, pl.DataFrame]:
    """The batch's fact rows; should that fail, each accepted return's alone, and one that
    fails alone is rejected with a file-level problem (added to the batch's issues, so its
    submission record says so) while the rest are shaped without it."""
    shaper = _SHAPERS[batch.template]
    try:
        return shaper(batch.validated, batch.accepted)
    except Exception:  # one return's oddity must not cost the others their loading
        for position in batch.accepted:
            try:
                shaper(batch.validated, [position])
            except Exception:  # whatever it is, it is this return's
                batch.validated.issues[position].append(file_problem(UNSHAPEABLE))
        return shaper(batch.validated, batch.accepted)


def run_fact_rows(batches: Sequence[TemplateBatch]) -> dict[str, pl.DataFrame]:
    """The accepted returns' rows by fact table, `return_index` holding each file's key.

    Only the tables of templates the run holds returns of are present, and, with them,
    `source_column`: the column letter of each measure each accepted return was read from.
    """
    return merged_fact_rows([_batch_fact_rows(batch) for batch in batches])


def merged_fact_rows(parts: Sequence[dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """Fact rows made batch by batch (or template by template), as one run's: each table's
    rows together, in the parts' order (both templates' returns have `source_column`)."""
    tables: dict[str, list[pl.DataFrame]] = {}
    for part in parts:
        for table, rows in part.items():
            tables.setdefault(table, []).append(rows)
    return {
        table: frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
        for table, frames in tables.items()
    }


def _batch_fact_rows(batch: TemplateBatch) -> dict[str, pl.DataFrame]:
    keys = dict(enumerate(batch.keys))
    shaped = _shape(batch)
    # After shaping, which may have rejected a return.
    letters = source_columns(_LAYOUTS[batch.template], batch.returns, batch.accepted)
    return {
        table: rows.with_columns(pl.col(RETURN_INDEX).replace_strict(keys, return_dtype=pl.Int64))
        for table, rows in {**shaped, SOURCE_COLUMNS: letters}.items()
    }
