"""The account of an ingest run that the CLI and the Prefect UI show: a line per file, the
run's name and tags, and the tracker of each quarter it touched.

The data team watches runs in the Prefect UI: a run is named for what it holds
(`S08000024 Lothian 2022-23 Q1`, `12 returns from 9 reporters`) and tagged with its
reporters and quarters, and its table says what became of each return in plain English.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from domain.periods import Period
from domain.records import ReceivedFile, SubmissionRecord


@dataclass(frozen=True, slots=True)
class FileSummary:
    file: str
    reporter_code: str | None
    status: str
    errors: int
    warnings: int
    feedback: str | None
    submission_id: int | None
    reporter_name: str | None = None
    period: str | None = None  # `2022-23 Q1`
    first_problems: str = ""


# The first problems a run's table quotes for each return; the report has them all.
FIRST_PROBLEMS = 2
# Prefect keeps every tag; a backfill's hundreds of reporters and quarters are summed up.
MOST_TAGS = 40


def _period(record: SubmissionRecord) -> str | None:
    if record.financial_year and record.quarter:
        return f"{record.financial_year} {record.quarter}"
    return None


def _first_problems(record: SubmissionRecord) -> str:
    ordered = sorted(record.issues, key=lambda issue: not issue.is_error)
    return " ".join(issue.message for issue in ordered[:FIRST_PROBLEMS])


def run_name(records: Sequence[SubmissionRecord], reporters: Sequence[str | None] = ()) -> str:
    """What a run holds, as its name: `S08000024 Lothian 2022-23 Q1` for one return,
    `12 returns from 9 reporters` for more (`reporters`: the folders of files not read)."""
    codes = {r.reporter_code for r in records} | set(reporters)
    count = len(records) + len(reporters)
    if count == 1 and records:
        record = records[0]
        parts = [
            record.reporter_code or "(no reporter folder)",
            record.reporter_name,
            _period(record),
        ]
        return " ".join(part for part in parts if part)
    return f"{count} return{'s' if count != 1 else ''} from {len(codes - {None})} reporter" + (
        "s" if len(codes - {None}) != 1 else ""
    )


def run_tags(records: Sequence[SubmissionRecord]) -> list[str]:
    """The run's reporters and quarters, as tags to find its runs by in the UI."""
    reporters = sorted({r.reporter_code for r in records if r.reporter_code})
    periods = sorted({p for r in records if (p := _period(r))})
    tags = [*reporters, *periods]
    if len(tags) > MOST_TAGS:
        tags = [*periods[: MOST_TAGS // 2], f"{len(reporters)} reporters"]
    return tags


def feedback_root_for(landing_root: str) -> str:
    """The `feedback` folder beside a landing area (local path or fsspec URL)."""
    protocol, separator, path = landing_root.rpartition("://")
    parent = posixpath.dirname(path.rstrip("/")) if path.rstrip("/") else ""
    joined = posixpath.join(parent, "feedback") if parent else "feedback"
    return f"{protocol}{separator}{joined}" if separator else joined


TAKEN_ELSEWHERE = "taken by another run"


def summarise(
    records: Sequence[SubmissionRecord],
    already_processed: Sequence[ReceivedFile],
    submission_ids: Mapping[int, int],
    statuses: Mapping[int, str] | None = None,
    taken_elsewhere: Sequence[ReceivedFile] = (),
) -> list[FileSummary]:
    """One line per file: its record's fate as the warehouse recorded it (`statuses`, by
    key, where loading decided otherwise), then the files passed over."""
    statuses = statuses or {}
    rows = [
        FileSummary(
            file=record.origin_path,
            reporter_code=record.reporter_code,
            reporter_name=record.reporter_name,
            period=_period(record),
            first_problems=_first_problems(record),
            status=statuses.get(record.key, record.status),
            errors=sum(i.is_error for i in record.issues),
            warnings=sum(not i.is_error for i in record.issues),
            feedback=record.feedback_url,
            submission_id=submission_ids.get(record.key),
        )
        for record in records
    ]
    rows += [
        FileSummary(
            item.landed.url, item.landed.reporter_code, "already processed", 0, 0, None, None
        )
        for item in already_processed
    ]
    rows += [
        FileSummary(item.landed.url, item.landed.reporter_code, TAKEN_ELSEWHERE, 0, 0, None, None)
        for item in taken_elsewhere
    ]
    return rows


def tracker_key(period: Period) -> str:
    """The key of a quarter's tracker artifact: `tracker-2022-23-q1`."""
    return f"tracker-{period.financial_year}-{period.quarter.lower()}"


def quarters_touched(records: Sequence[SubmissionRecord]) -> list[Period]:
    """The quarters the records are for, oldest first."""
    found = {(r.financial_year, r.quarter) for r in records if r.financial_year and r.quarter}
    return [Period.exact(str(year), str(quarter)) for year, quarter in sorted(found)]


def trackers_to_publish(
    touched: Sequence[Period], published: Sequence[Period], limit: int
) -> list[Period]:
    """The quarters whose tracker a run publishes, oldest first: every one touched that
    already has a tracker artifact (so none is left out of date), and the latest `limit`
    of the rest. A run of one board's return touches one quarter; a backfill of ten years
    touches forty, and forty artifacts would cost it more than its loading does."""
    already = set(published)
    new = [p for p in touched if p not in already]
    chosen = already.intersection(touched) | set(new[max(0, len(new) - limit) :])
    return [p for p in touched if p in chosen]


def tracker_markdown(period: str, tracker: pl.DataFrame) -> str:
    """A quarter's submission tracker as Markdown: who has sent, who is late or missing."""
    wording = {
        "accepted": "accepted",
        "late": "late",
        "rejected": "rejected: awaiting resubmission",
        "missing": "missing",
    }
    counts = dict(tracker.group_by("status").len().iter_rows())
    lines = [
        f"# Returns for {period}",
        "",
        ", ".join(f"{counts[s]} {w}" for s, w in wording.items() if s in counts)
        + f" ({tracker.height} expected).",
        "",
        "| Reporter | Name | Status | Received | Due | Errors | Warnings |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for row in tracker.iter_rows(named=True):
        cells = [
            row["reporter_code"],
            _markdown_text(row["reporter_name"] or ""),
            wording.get(row["status"], row["status"]),
            str(row.get("received_on") or ""),
            str(row["due_on"] or ""),
            "" if row["errors"] is None else str(row["errors"]),
            "" if row["warnings"] is None else str(row["warnings"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _markdown_text(text: str) -> str:
    """Text safe in a Markdown table cell (a register name can hold a `|`)."""
    return text.replace("\\", "\\\\").replace("|", "\\|")
