"""The email telling a reporter what became of a return, as `email.message` builds it.

One plain-text message per return: the outcome in the subject and the first line, the
counts, the first few problems in the words of the report, and the HTML report and the
annotated workbook attached, so the reporter need not go looking in a feedback folder.
Like the reports, it repeats no personal details from the return (Completed by, Email).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Final

from domain.reference import BOARDS
from feedback.subject import where
from warehouse.outbox import OwedEmail

TEMPLATE_NAMES: Final = {
    "BQR": "Board Quarterly Return",
    "TSR": "Third Sector Return",
}

_NEXT_STEP: Final = {
    "accepted": "Its figures are now in the national warehouse. Nothing more is needed.",
    "accepted with warnings": (
        "Its figures are now in the national warehouse. Please check each warning below: "
        "where a figure is wrong, send a corrected return, which will replace this one."
    ),
    "rejected": (
        "Nothing from this return has been loaded. Please correct every problem listed in "
        "the attached report and send the whole return again to your folder ({folder}/)."
    ),
}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to the email: its name as the reporter sees it, and its bytes."""

    file_name: str
    data: bytes


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _period(email: OwedEmail) -> str:
    if email.financial_year and email.quarter:
        return f"{email.financial_year} {email.quarter}"
    return "an unknown quarter"


def subject_line(email: OwedEmail) -> str:
    """E.g. 'PIMH return 2022-23 Q1 from Lothian: rejected (2 errors, 1 warning)'."""
    who = email.reporter_name or BOARDS.get(email.reporter_code, email.reporter_code)
    counts = f"{_plural(email.errors, 'error')}, {_plural(email.warnings, 'warning')}"
    return f"PIMH return {_period(email)} from {who}: {email.outcome} ({counts})"


def _problem_lines(email: OwedEmail) -> list[str]:
    if not email.problems:
        return []
    shown = len(email.problems)
    total = email.errors + email.warnings
    heading = "The problems found:" if shown == total else f"The first {shown} of {total} problems:"
    lines = ["", heading]
    for issue in email.problems:
        value = f" (found '{issue.value}')" if issue.value else ""
        lines.append(f"  - {issue.severity.capitalize()} at {where(issue)}: {issue.message}{value}")
    return lines


def body_text(email: OwedEmail, attachments: Sequence[Attachment]) -> str:
    """The message's text, in plain English."""
    template = TEMPLATE_NAMES.get(email.template or "", "PIMH return")
    received = f"{email.received_at:%d %B %Y at %H:%M} UTC"
    lines = [
        f"Your return {email.file_name} ({template}, {_period(email)}), received {received}, "
        f"was {email.outcome.upper()}: "
        f"{_plural(email.errors, 'error')} and {_plural(email.warnings, 'warning')}.",
        "",
        _NEXT_STEP[email.outcome].format(folder=email.reporter_code),
        *_problem_lines(email),
    ]
    if attachments:
        lines += ["", "Attached:"]
        lines += [f"  - {a.file_name}" for a in attachments]
        lines += [
            "",
            "The report lists every problem with the cell it is in; the copy of your "
            "workbook marks each one in its cell.",
        ]
    lines += [
        "",
        f"SHA-256 of the file received: {email.sha256}",
        "",
        f"This email goes to the contacts registered for {email.reporter_code}. To change "
        "who receives it, contact the PIMH data team.",
    ]
    return "\n".join(lines) + "\n"


def message_id(email: OwedEmail, sender: str) -> str:
    """A Message-ID naming the outbox row, so the data team can match a message to it."""
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "pimh.localhost"
    return make_msgid(idstring=f"pimh-email-{email.email_id}", domain=domain)


def compose(
    email: OwedEmail, attachments: Sequence[Attachment], *, sender: str, msgid: str
) -> EmailMessage:
    """The message for this outbox row, to its registered recipients only."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(email.recipients)
    message["Subject"] = subject_line(email)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = msgid
    message.set_content(body_text(email, attachments))
    for item in attachments:
        kind = mimetypes.guess_type(item.file_name)[0] or "application/octet-stream"
        maintype, _, subtype = kind.partition("/")
        message.add_attachment(
            item.data, maintype=maintype, subtype=subtype, filename=item.file_name
        )
    return message
