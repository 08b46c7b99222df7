"""Imported by the reader's forkserver, and only by it, as its first preload module.

The forkserver is started by multiprocessing with no hook of ours; importing this module
is the one thing it does that we choose, so that is where it arms its lifeline: it dies
with the command that started it, and its workers (see `connectors.isolation`) die with it.
"""

from __future__ import annotations

from connectors.lifeline import die_with_parent

die_with_parent()
