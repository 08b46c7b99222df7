"""One quality check of a warehouse from start to end: migrate, check, keep the result.

What the `pimh quality` command, the `check-warehouse` flow and the demo share. Great
Expectations is imported when a check runs, not with this module, so the flow's module
(and the service, which registers it) load without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domain.periods import Period
from warehouse.engine import cached_warehouse
from warehouse.migrate import upgrade
from warehouse.quality_results import QualityCheck, record_quality_check


@dataclass(frozen=True, slots=True)
class KeptCheck:
    """A check's outcome and the id it is kept under in `quality_check`."""

    check_id: int
    check: QualityCheck


def check_and_keep(url: str, period: Period | None, docs_dir: Path) -> KeptCheck:
    """Check the warehouse at `url` (migrated first, so its results table exists), build
    Data Docs into `docs_dir` and keep the outcome in the warehouse."""
    engine = cached_warehouse(url)
    upgrade(engine)
    from quality.checkpoint import run_checks

    check = run_checks(url, period, docs_dir)
    return KeptCheck(record_quality_check(engine, check), check)
