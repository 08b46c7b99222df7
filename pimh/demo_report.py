"""The demo's last step: the Programme Board's quarterly report of the demo quarter."""

from __future__ import annotations

from pathlib import Path

from domain.periods import Period
from pimh.cli_report import write_report
from pimh.terminal import console


def write_demo_report(directory: Path, year: str, quarter: str, warehouse_url: str) -> Path:
    """Write ``<directory>/quarterly-report-<year>-<quarter>.html`` and say where it is."""
    period = Period.parse(year, quarter)
    out = directory / f"quarterly-report-{period.financial_year}-{period.quarter}.html"
    write_report(out, period, warehouse_url, force=True)
    console.print(f"Quarterly report for the Programme Board: {out}", highlight=False)
    return out
