"""The feedback page every reporter receives: one self-contained, printable HTML file.

HTML rather than a workbook because it opens anywhere (including on a phone, or for a
charity without Excel) and can be kept or printed as the record of what we received.
Every cell value is the reporter's untrusted input, so the template autoescapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from jinja2 import Environment, PackageLoader, StrictUndefined

from domain.issues import Issue
from feedback.subject import (
    FeedbackSubject,
    locate,
    ordered_issues,
    period_label,
    reporter_label,
    severity_label,
    where,
)

TEMPLATE_NAMES: Final[dict[str, str]] = {
    "BQR": "Board Quarterly Return",
    "TSR": "Third Sector Return",
}
# A cell can hold 32,767 characters; the report only needs enough to recognise it.
MAX_VALUE_CHARS: Final = 200
# Longer than this, a word in "Value found" may be broken anywhere rather than overflow.
LONGEST_UNBROKEN_CHARS: Final = 24


def render_html_report(
    subject: FeedbackSubject, issues: Sequence[Issue], annotated_copy: str | None = None
) -> str:
    """The whole feedback page for one return, problems in the order the workbook reads.

    `annotated_copy` is the file name the marked-up workbook is given beside this report,
    when one is attempted; the page tells the reporter to look for it.
    """
    ordered = ordered_issues(issues)
    errors = sum(1 for issue in ordered if issue.severity == "error")
    warnings = len(ordered) - errors
    template = _environment().get_template("report.html.j2")
    return template.render(
        subject=subject,
        accepted=subject.accepted,
        errors=errors,
        warnings=warnings,
        reporter=_reporter(subject),
        template_name=_template_name(subject.template),
        period=_period(subject),
        received=format_received(subject.received_at),
        rows=[_row(issue) for issue in ordered],
        annotated_copy=annotated_copy,
    )


def plural(count: int, noun: str) -> str:
    """`1 error`, `2 errors`: headlines read as sentences, not as `error(s)`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def format_received(received_at: dt.datetime) -> str:
    """`3 May 2024 at 14:05 UTC`: unambiguous to a reader in any locale."""
    text = f"{received_at.day} {received_at:%B %Y at %H:%M}"
    zone = received_at.tzname()
    return f"{text} {zone}" if zone else text


def shorten(value: str | None) -> str:
    """A cell value cut to a readable length; the empty string when there is none."""
    if value is None:
        return ""
    if len(value) <= MAX_VALUE_CHARS:
        return value
    return value[: MAX_VALUE_CHARS - 1] + "\u2026"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("feedback", "templates"),
        autoescape=True,  # values come from reporters' cells: never trust them as markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["plural"] = plural
    return environment


def _row(issue: Issue) -> dict[str, object]:
    return {
        "severity": issue.severity,
        "label": severity_label(issue),
        "where": where(issue),
        "value": shorten(issue.value),
        "unbroken": _has_long_word(shorten(issue.value)),
        # A cell named but no value found means the cell was blank, which is worth saying.
        "empty_cell": not issue.value and locate(issue).coordinate is not None,
        "message": issue.message,
        # The reporter's own answer to a warning, shown as theirs.
        "explanation": issue.explanation,
    }


def _has_long_word(value: str) -> bool:
    """Whether a value holds a run of characters too long for its column (a pasted URL, a
    hash): only then may the browser break it mid-word."""
    return any(len(word) > LONGEST_UNBROKEN_CHARS for word in value.split())


def _reporter(subject: FeedbackSubject) -> str | None:
    return reporter_label(subject)


def _template_name(template: str | None) -> str | None:
    if template is None:
        return None
    return TEMPLATE_NAMES.get(template, template)


def _period(subject: FeedbackSubject) -> str | None:
    return period_label(subject)
