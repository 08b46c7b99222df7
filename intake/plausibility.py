"""Plausibility warnings for a run's accepted returns, added to their issues.

Each accepted return is compared with its reporter's previous quarter as it will stand
once this run is loaded: the current accepted return of that quarter, which is either the
warehouse's or, when this run holds a later-arriving return for that quarter (a reporter
catching up two quarters at once, say), that one. A warning the reporter explained in an
earlier return for the same quarter, rule, subject and value is not raised again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import polars as pl
from sqlalchemy import Engine

from config.settings import Settings
from domain.issues import Issue
from domain.records import RETURN_INDEX
from schemas.validate_batch import TemplateBatch
from transforms.plausibility import Thresholds, plausibility_warnings, previous_period
from transforms.plausibility_figures import current_figures
from warehouse.previous import PREVIOUS_SCHEMA, explained_warnings, previous_figures

_PERIOD = ["template", "reporter_code", "financial_year", "quarter"]
_SAME_WARNING = ["reporter_code", "financial_year", "quarter", "rule", "subject", "value"]


def thresholds_of(settings: Settings) -> Thresholds:
    """The plausibility thresholds the settings give (PIMH_PLAUSIBILITY_*)."""
    return Thresholds(
        wte_change=settings.plausibility_wte_change,
        count_factor=settings.plausibility_count_factor,
        allocation_tolerance_gbp=settings.plausibility_allocation_tolerance_gbp,
        spend_factor=settings.plausibility_spend_factor,
    )


def previous_quarters(
    stored: pl.DataFrame, current: pl.DataFrame, arrivals: Mapping[int, dt.datetime]
) -> pl.DataFrame:
    """Per reporter and quarter, the figures of whichever return is current once loaded:
    the warehouse's (`stored`) or the latest arrival among this run's (`current`)."""
    received = pl.DataFrame(
        {RETURN_INDEX: list(arrivals), "received_at": list(arrivals.values())},
        schema={RETURN_INDEX: pl.Int64, "received_at": PREVIOUS_SCHEMA["received_at"]},
    )
    in_run = (
        current.filter(~pl.col("answers_only"))
        .join(received, on=RETURN_INDEX, how="inner")
        .select(*PREVIOUS_SCHEMA, pl.col(RETURN_INDEX).alias("source"))
    )
    # The warehouse's returns rank below this run's at the same arrival time: the loader
    # makes the one recorded last current (`warehouse.submissions.decide_current`).
    candidates = pl.concat(
        [stored.with_columns(pl.lit(-1, pl.Int64).alias("source")), in_run], how="vertical"
    )
    winners = (
        candidates.select(*_PERIOD, "received_at", "source")
        .unique()
        .sort("received_at", "source")
        .group_by(_PERIOD, maintain_order=True)
        .last()
    )
    return candidates.join(winners, on=[*_PERIOD, "received_at", "source"], how="semi").drop(
        "source", "received_at"
    )


def plausibility_issues(
    engine: Engine,
    batches: Sequence[TemplateBatch],
    arrivals: Mapping[int, dt.datetime],
    thresholds: Thresholds,
) -> dict[int, list[Issue]]:
    """The plausibility warnings of the run's accepted returns, by received file key.

    `arrivals` gives each received file's arrival time by key.
    """
    current = current_figures(batches)
    if current.is_empty():
        return {}
    year, quarter = previous_period()
    wanted = current.select("template", "reporter_code", year, quarter).unique().drop_nulls().rows()
    stored = previous_figures(engine, wanted)
    previous = previous_quarters(stored, current, arrivals)
    found = plausibility_warnings(current, previous, thresholds)
    if found.is_empty():
        return {}
    periods = current.select(RETURN_INDEX, "reporter_code", "financial_year", "quarter").unique()
    found = found.join(periods, on=RETURN_INDEX, how="left")
    explained = explained_warnings(engine, periods.drop(RETURN_INDEX).unique().rows())
    fresh = found.join(explained, on=_SAME_WARNING, how="anti", nulls_equal=True)
    issues: dict[int, list[Issue]] = {}
    for row in fresh.iter_rows(named=True):
        issues.setdefault(row[RETURN_INDEX], []).append(
            Issue(
                "warning",
                row["message"],
                sheet=row["sheet"],
                cell=row["cell"],
                value=row["value"],
                rule=row["rule"],
                subject=row["subject"],
                explanation=row["explanation"],
            )
        )
    return issues


def add_to_batches(batches: Sequence[TemplateBatch], issues: Mapping[int, list[Issue]]) -> None:
    """Each warning into its return's validated issues, so its record and reports list it."""
    for batch in batches:
        for position, key in enumerate(batch.keys):
            batch.validated.issues[position].extend(issues.get(key, []))
