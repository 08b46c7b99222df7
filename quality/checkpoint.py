"""Running the suites against a warehouse with Great Expectations, and what came of it.

The Great Expectations context is ephemeral: made for one run, in memory, so nothing is
written to the working directory (or anywhere but the Data Docs folder), and the
warehouse URL, password and all, is kept nowhere on disk. The data source is a SQL data
source on the warehouse's own URL, SQLite or PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import great_expectations as gx
from great_expectations.core.expectation_validation_result import (
    ExpectationValidationResult,
)
from great_expectations.core.result_format import ResultFormat
from great_expectations.data_context.types.base import ProgressBarsConfig
from sqlalchemy.engine import make_url

from domain.periods import Period
from quality.suites import Suite, warehouse_suites
from warehouse.quality_results import ExpectationOutcome, QualityCheck, Severity

DOCS_SITE: Final = "pimh_quality"
# Enough of what was found for a person to see what is wrong; the rest is in Data Docs.
DETAIL_CHARACTERS: Final = 300


def _context(docs_dir: Path) -> Any:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        DOCS_SITE,
        {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def _data_source(context: Any, url: str) -> Any:
    backend = make_url(url).get_backend_name()
    sources = context.data_sources
    if backend == "sqlite":
        return sources.add_sqlite("warehouse", connection_string=url)
    if backend == "postgresql":
        return sources.add_postgres("warehouse", connection_string=url)
    return sources.add_sql("warehouse", connection_string=url)


def _validation(context: Any, source: Any, suite: Suite, period: Period | None) -> Any:
    asset = source.add_query_asset(suite.name, query=suite.batch_query(period))
    batch = asset.add_batch_definition_whole_table("checked")
    gx_suite = context.suites.add(
        gx.ExpectationSuite(name=suite.name, expectations=list(suite.expectations))
    )
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARACTERS else text[: DETAIL_CHARACTERS - 1] + "…"


def _failure(info: Mapping[str, Any]) -> str | None:
    """Why an expectation could not be evaluated (its SQL failed, say), if it could not."""
    found = [info, *(v for v in info.values() if isinstance(v, Mapping))]
    for entry in found:
        if entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "").strip()
            return f"could not be checked: {message.splitlines()[0] if message else 'error'}"
    return None


def _detail(result: ExpectationValidationResult) -> tuple[int | None, str | None]:
    """How many rows were unexpected, and a sample of them (or why it could not run)."""
    failure = _failure(result.exception_info or {})
    if failure:
        return None, _shorten(failure)
    found: Mapping[str, Any] = result.result or {}
    count = found.get("unexpected_count")
    if count is None:
        # Custom SQL: the observed value is the number of rows the query returned.
        observed = found.get("observed_value")
        count = observed if isinstance(observed, int) else None
    if result.success:
        return count, None
    details = found.get("details") or {}
    sample = found.get("partial_unexpected_list") or details.get("unexpected_rows")
    return count, _shorten(f"for example {sample}") if sample else None


def _outcome(suite: str, result: ExpectationValidationResult) -> ExpectationOutcome:
    config = result.expectation_config
    assert config is not None  # every result of a suite's run names its expectation
    meta = config.meta or {}
    severity: Severity = "warning" if meta.get("severity") == "warning" else "error"
    count, detail = _detail(result)
    return ExpectationOutcome(
        key=str(meta.get("key", config.type)),
        suite=suite,
        expectation_type=config.type,
        severity=severity,
        is_passed=bool(result.success),
        description=str(config.description or config.type),
        count_unexpected=count,
        detail=detail,
    )


def _page_of(docs_dir: Path, identifier: Any) -> Path:
    """Where the Data Docs put one suite's validation result: validations/<suite>/<run
    name>/<run time>/<batch>.html."""
    return docs_dir.joinpath("validations", *identifier.to_tuple()).with_suffix(".html")


def _write_check_page(docs_dir: Path, check: QualityCheck, pages: Mapping[str, Path]) -> Path:
    """A plain page for this check: the verdict, each suite's counts and its Data Docs page.

    GX's own index lists the results with scripts it loads from the internet, so offline it
    shows an empty list; this page needs nothing, and is the one each kept check links to.
    """
    rows = []
    for suite, page in pages.items():
        mine = [o for o in check.outcomes if o.suite == suite]
        failed = [o for o in mine if not o.is_passed]
        errors = sum(o.severity == "error" for o in failed)
        link = html.escape(page.relative_to(docs_dir).as_posix())
        rows.append(
            f"<tr><td><a href='../{link}'>{html.escape(suite)}</a></td><td>{len(mine)}</td>"
            f"<td>{errors}</td><td>{len(failed) - errors}</td></tr>"
        )
    failures = "".join(
        f"<li><b>{html.escape(o.key)}</b> ({o.severity}): {html.escape(o.description)} "
        f"{html.escape(o.detail or '')}</li>"
        for o in check.outcomes
        if not o.is_passed
    )
    what = f"{check.financial_year} {check.quarter}" if check.quarter else "every quarter"
    verdict = "passed" if check.is_passed else "failed"
    page = docs_dir / "checks" / f"check-{check.checked_at:%Y%m%dT%H%M%S.%fZ}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<title>Warehouse quality {html.escape(what)}: {verdict}</title>"
        f"<h1>Warehouse quality ({html.escape(what)}): {verdict}</h1>"
        f"<p>Checked {check.checked_at:%Y-%m-%d %H:%M} UTC with Great Expectations "
        f"{html.escape(check.gx_version)}. <a href='../index.html'>All Data Docs</a></p>"
        "<table border='1' cellpadding='4'><tr><th>Suite (its Data Docs)</th>"
        "<th>Expectations</th><th>Errors failed</th><th>Warnings failed</th></tr>"
        f"{''.join(rows)}</table>" + (f"<h2>Failed</h2><ul>{failures}</ul>" if failures else ""),
        encoding="utf-8",
    )
    return page


def run_checks(url: str, period: Period | None, docs_dir: Path) -> QualityCheck:
    """Check the warehouse at `url` (one quarter, or all when `period` is None), building
    Data Docs into `docs_dir`; every expectation's outcome, not yet kept anywhere."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    # An expectation that cannot be evaluated is an outcome (with its reason), not a log
    # full of tracebacks.
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)
    context = _context(docs_dir)
    source = _data_source(context, url)
    suites = warehouse_suites()
    validations = [_validation(context, source, suite, period) for suite in suites]
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name="warehouse",
            validation_definitions=validations,
            # COMPLETE keeps the rows a custom SQL expectation found (SUMMARY only counts
            # them): what a person needs to see, in the table and in Data Docs.
            result_format=ResultFormat.COMPLETE,
        )
    )
    checked_at = dt.datetime.now(dt.UTC)
    run = checkpoint.run()
    # Once for the whole run: UpdateDataDocsAction rebuilds the site once per suite.
    context.build_data_docs(site_names=[DOCS_SITE])
    outcomes: list[ExpectationOutcome] = []
    pages: dict[str, Path] = {}
    for identifier, validation in run.run_results.items():
        suite = validation.suite_name
        outcomes.extend(_outcome(suite, result) for result in validation.results)
        pages[suite] = _page_of(docs_dir, identifier)
    check = QualityCheck(
        checked_at=checked_at,
        financial_year=period.financial_year if period else None,
        quarter=period.quarter if period else None,
        outcomes=tuple(outcomes),
        gx_version=gx.__version__,
    )
    page = _write_check_page(docs_dir, check, pages)
    return replace(check, docs_url=page.resolve().as_uri())
