"""How far an ingest run has got, told to whoever is watching (the `pimh` command's bar).

The flow reports each step's count as the step finishes: the progress shown is the
pipeline's own, never an estimate. Nothing is reported unless a listener is set, and a
listener is set for one run in one context (a contextvar), so concurrent runs never see
each other's counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final, Literal

Step = Literal["received", "new", "read", "validated", "loaded"]
Listener = Callable[[Step, int], None]

STEPS: Final[tuple[Step, ...]] = ("received", "new", "read", "validated", "loaded")

_listener: ContextVar[Listener | None] = ContextVar("pimh_progress_listener", default=None)


@contextmanager
def reporting_progress(listener: Listener) -> Iterator[None]:
    """Tell `listener` each step's count (files received, new, read, validated, loaded)."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def report(step: Step, count: int) -> None:
    """A step has finished with `count` files; told to the listener, if there is one."""
    listener = _listener.get()
    if listener is not None:
        listener(step, count)
