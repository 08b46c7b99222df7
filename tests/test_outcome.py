"""What is recorded of a return's problems."""

from __future__ import annotations

from domain.issues import Issue
from intake.outcome import capped


def test_a_return_with_thousands_of_problems_reports_the_first_thousand() -> None:
    """It keeps the first 1,000 problems, errors first, and says how many more there were."""
    issues = [Issue("warning", "w")] * 10 + [
        Issue("error", "e", "Staffing", f"Staffing!A{n}") for n in range(5000)
    ]

    kept = capped(issues)

    assert len(kept) == 1001
    assert all(issue.is_error for issue in kept[:1000])
    assert kept[-1].message.startswith("4,010 more problems (4,000 errors)")
    assert capped(issues[:20]) == issues[:20]
