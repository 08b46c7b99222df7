"""Sorting received files before any parsing: new, duplicate, already seen, or misplaced.

A file at the same place with the same bytes as one already recorded was handled on an
earlier run and is skipped; the same bytes arriving anew (another name, folder or time)
are recorded as a `duplicate` and not loaded twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from intake.received import ReceivedFile


@dataclass(slots=True)
class Triage:
    new: list[ReceivedFile] = field(default_factory=list)
    duplicates: list[ReceivedFile] = field(default_factory=list)
    already_processed: list[ReceivedFile] = field(default_factory=list)
    outside_reporter_folders: list[ReceivedFile] = field(default_factory=list)


def triage(received: Sequence[ReceivedFile], known: Mapping[str, set[str]]) -> Triage:
    """`known` maps each file content already recorded to the origins it came from."""
    sorted_files = Triage()
    seen_in_batch: set[str] = set()
    for item in received:
        origins = known.get(item.sha256, set())
        if item.landed.url in origins:
            sorted_files.already_processed.append(item)
        elif origins or item.sha256 in seen_in_batch:
            sorted_files.duplicates.append(item)
        elif item.landed.reporter_code is None:
            sorted_files.outside_reporter_folders.append(item)
        else:
            sorted_files.new.append(item)
        seen_in_batch.add(item.sha256)
    return sorted_files
