"""Feedback to reporters: what was wrong with their return, in terms they can act on.

Every return with errors or warnings earns its reporter an HTML report and, when the
workbook allows it, a copy of their own workbook with the problems marked in place.
"""

from feedback.annotate import annotate_workbook
from feedback.html_report import render_html_report
from feedback.subject import FeedbackSubject, locate, ordered_issues
from feedback.writer import write_feedback

__all__ = [
    "FeedbackSubject",
    "annotate_workbook",
    "locate",
    "ordered_issues",
    "render_html_report",
    "write_feedback",
]
