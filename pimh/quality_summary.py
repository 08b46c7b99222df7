"""How a quality check reads on the terminal: for `pimh quality`, and at the end of the demo.

Tables are kept to four narrow columns so they read at 80 columns; what an expectation
found (its rows, its reason) is printed under the table, folded, for the failed ones only.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from config.settings import Settings
from domain.periods import Period
from warehouse.quality_results import CheckSummary, QualityCheck

_RESULT = {
    (True, "error"): "[green]pass[/]",
    (True, "warning"): "[green]pass[/]",
    (False, "error"): "[bold red]FAIL[/]",
    (False, "warning"): "[yellow]warn[/]",
}


def checked_what(financial_year: str | None, quarter: str | None) -> str:
    return f"{financial_year} {quarter}" if financial_year and quarter else "every quarter"


def outcome_table(check: QualityCheck) -> Table:
    """One row per expectation under its suite: its name, severity, result, rows found."""
    table = Table(title=f"Warehouse quality: {checked_what(check.financial_year, check.quarter)}")
    table.add_column("Expectation", overflow="fold", ratio=1)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Rows", justify="right", no_wrap=True)
    suite = None
    for outcome in check.outcomes:
        if outcome.suite != suite:
            # The suite once, as a heading: the rows name the expectation within it.
            suite = outcome.suite
            table.add_row(f"[bold]{escape(suite)}[/]", end_section=False)
        table.add_row(
            "  " + escape(outcome.key.removeprefix(f"{suite}.")),
            outcome.severity,
            _RESULT[(outcome.is_passed, outcome.severity)],
            "" if outcome.count_unexpected is None else str(outcome.count_unexpected),
        )
    return table


def summary_line(check: QualityCheck) -> str:
    errors, warnings = len(check.failed("error")), len(check.failed("warning"))
    verdict = "[green]passed[/]" if check.is_passed else "[bold red]failed[/]"
    return (
        f"Quality check {verdict}: {len(check.outcomes)} expectations; failed: "
        f"{errors} error-level, {warnings} warning-level."
    )


def print_failures(console: Console, check: QualityCheck) -> None:
    """Each failed expectation: what it expects, in plain English, and what was found."""
    for outcome in check.outcomes:
        if outcome.is_passed:
            continue
        style = "red" if outcome.severity == "error" else "yellow"
        found = f" {outcome.detail}" if outcome.detail else ""
        console.print(
            f"[{style}]{escape(outcome.key)}[/] ({outcome.severity}): "
            f"{escape(outcome.description)}{escape(found)}",
            highlight=False,
            soft_wrap=False,
        )


def docs_line(check: QualityCheck) -> str:
    return f"Data Docs: {escape(check.docs_url or '')}"


def history_table(past: list[CheckSummary]) -> Table:
    """Past checks, the latest first: when, which quarter, and how each went."""
    table = Table(title="Warehouse quality checks, latest first")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Checked (UTC)", no_wrap=True)
    table.add_column("Quarter", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Tested", justify="right", no_wrap=True)
    table.add_column("Errors", justify="right", no_wrap=True)
    table.add_column("Warnings", justify="right", no_wrap=True)
    for row in past:
        table.add_row(
            str(row.check_id),
            f"{row.checked_at:%Y-%m-%d %H:%M}",
            checked_what(row.financial_year, row.quarter),
            "[green]passed[/]" if row.is_passed else "[bold red]failed[/]",
            str(row.count_expectations),
            str(row.count_failed_errors),
            str(row.count_failed_warnings),
        )
    return table


def print_quality_summary(console: Console, settings: Settings, year: str, quarter: str) -> None:
    """The demo's last word: the quarter's quality check, in a few lines, and its Data Docs."""
    from quality.run import check_and_keep

    period = Period.parse(year, quarter)
    console.rule(f"The warehouse's quality: {period}")
    kept = check_and_keep(settings.warehouse_url, period, settings.quality_docs_folder())
    console.print(summary_line(kept.check), highlight=False)
    print_failures(console, kept.check)
    console.print(docs_line(kept.check), highlight=False, soft_wrap=True)
