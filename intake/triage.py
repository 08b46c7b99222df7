"""Sorting received files before any parsing: new, duplicate, already seen, or misplaced.

A file at the same place with the same bytes as one already recorded was handled on an
earlier run and is skipped; the same bytes arriving anew for the same reporter (another
name, sub-folder or time) are recorded as a `duplicate` and not loaded twice. The same
bytes in another reporter's folder, or moved into a reporter's folder from outside them,
are judged afresh: where a file sits decides whether it may be loaded, so a file rejected
for its place is not a duplicate once moved to the right one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from domain.records import ReceivedFile


@dataclass(slots=True)
class Triage:
    new: list[ReceivedFile] = field(default_factory=list)
    duplicates: list[ReceivedFile] = field(default_factory=list)
    already_processed: list[ReceivedFile] = field(default_factory=list)
    outside_reporter_folders: list[ReceivedFile] = field(default_factory=list)


def triage(
    received: Sequence[ReceivedFile], known: Mapping[str, set[tuple[str, str | None]]]
) -> Triage:
    """`known` maps each file content already recorded to its (origin, reporter folder)s."""
    sorted_files = Triage()
    seen_in_batch: set[tuple[str, str | None]] = set()
    for item in received:
        earlier = known.get(item.sha256, set())
        sender = (item.sha256, item.landed.reporter_code)
        if any(origin == item.landed.url for origin, _ in earlier):
            sorted_files.already_processed.append(item)
        elif sender in seen_in_batch or any(
            reporter == item.landed.reporter_code for _, reporter in earlier
        ):
            sorted_files.duplicates.append(item)
        elif item.landed.reporter_code is None:
            sorted_files.outside_reporter_folders.append(item)
        else:
            sorted_files.new.append(item)
        seen_in_batch.add(sender)
    return sorted_files
