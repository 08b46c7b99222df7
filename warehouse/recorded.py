"""Which landed files the warehouse has recorded already, without reading them.

The watcher at start and the hourly sweep look at every file in the landing area; a
landing area that has served for years holds thousands. A file is taken as recorded when
a submission came from the same place with the same size, processed after the file last
changed; anything else (a new file, or a file replaced under the same name) is handed to
the ingest flow, whose claims and fingerprints have the final word.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, func, select

from domain.records import LandedFile
from warehouse.read import as_utc
from warehouse.tables import received_file, submission

_BATCH = 500


def recorded_urls(engine: Engine, landed: Sequence[LandedFile]) -> set[str]:
    """The URLs of `landed` files the warehouse has recorded (see the module docstring)."""
    found: set[str] = set()
    by_url = {file.url: file for file in landed}
    urls = list(by_url)
    with engine.connect() as connection:
        for start in range(0, len(urls), _BATCH):
            rows = connection.execute(
                select(
                    submission.c.origin_path,
                    received_file.c.size_bytes,
                    func.max(submission.c.processed_at),
                )
                .join(received_file, received_file.c.sha256 == submission.c.sha256)
                .where(submission.c.origin_path.in_(urls[start : start + _BATCH]))
                .group_by(submission.c.origin_path, received_file.c.size_bytes)
            )
            for origin, size, processed in rows:
                file = by_url[origin]
                changed = file.modified
                if size == file.size and (
                    changed is None or as_utc(processed).timestamp() >= changed
                ):
                    found.add(origin)
    return found
