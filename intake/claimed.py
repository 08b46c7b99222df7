"""Which received files a run goes on with, once it has claimed them in the warehouse."""

from __future__ import annotations

from collections.abc import Sequence

from domain.records import ReceivedFile
from warehouse.claims import Claims, claim_key


def split_by_claims(
    received: Sequence[ReceivedFile], claims: Claims
) -> tuple[list[ReceivedFile], list[ReceivedFile], list[ReceivedFile]]:
    """(claimed by this run, recorded already, taken by another run), in received order."""
    parts: tuple[list[ReceivedFile], list[ReceivedFile], list[ReceivedFile]] = ([], [], [])
    for item in received:
        key = claim_key(item.landed.url, item.sha256)
        if key in claims.claimed:
            parts[0].append(item)
        elif key in claims.recorded:
            parts[1].append(item)
        else:
            parts[2].append(item)
    return parts
