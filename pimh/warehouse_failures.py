"""What went wrong with the warehouse, in a sentence fit for the terminal.

Commands never show a traceback for a warehouse they cannot reach: they say where they
looked (never printing its password) and the database's own first line of explanation.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError


def shown_url(url: str) -> str:
    """The warehouse URL fit to print: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a valid SQLAlchemy URL)"


def first_line(exc: BaseException) -> str:
    """The first line of the reason, from the database driver when it gave one; the rest
    of a driver's message is detail for the log, not the terminal."""
    reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(reason).strip()
    return text.splitlines()[0] if text else ""


def unreachable(exc: BaseException, url: str) -> str:
    """The warehouse at `url` could not be reached or written, and why."""
    reason = first_line(exc) or type(exc).__name__
    return f"The warehouse at {shown_url(url)} could not be reached or written: {reason}"
