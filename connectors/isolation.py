"""Reading many workbooks in worker processes, so a parser crash cannot take the batch down.

calamine can abort the whole process on some hostile workbooks (NOTES.md). Workbooks are
read in a pool of processes (which also reads them in parallel); if a worker dies, the
unread files are re-read one per process so that only the culprit is lost, and it is
rejected with a plain-English file problem.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from connectors.workbook import WorkbookContent, extract_workbook
from schemas.issues import file_problem
from schemas.layouts import TemplateLayout

_CRASHED = (
    "The workbook could not be read: opening it stopped the reader. It may be damaged or "
    "not a real spreadsheet. Save it again from Excel and resend."
)

Extractor = Callable[[bytes], WorkbookContent]


def _crashed() -> WorkbookContent:
    content = WorkbookContent()
    content.issues.append(file_problem(_CRASHED))
    return content


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has already imported the reader: no import per worker.
    context.set_forkserver_preload(["connectors.workbook"])
    return ProcessPoolExecutor(workers, mp_context=context)


def _one_by_one(extract: Extractor, items: Sequence[bytes]) -> list[WorkbookContent]:
    results = []
    for data in items:
        with _pool(1) as pool:
            try:
                results.append(pool.submit(extract, data).result())
            except BrokenProcessPool:
                results.append(_crashed())
    return results


def extract_many(
    items: Sequence[bytes],
    layouts: dict[str, TemplateLayout],
    max_bytes: int,
    max_expanded_bytes: int,
    workers: int,
) -> list[WorkbookContent]:
    """What each workbook holds, in input order. `workers=0` reads in this process."""
    extract = partial(
        extract_workbook,
        layouts=layouts,
        max_bytes=max_bytes,
        max_expanded_bytes=max_expanded_bytes,
    )
    return read_isolated(items, extract, workers)


def read_isolated(
    items: Sequence[bytes], extract: Extractor, workers: int
) -> list[WorkbookContent]:
    """`extract` (picklable) applied to each item in worker processes, crashes contained."""
    if workers <= 0 or not items:
        return [extract(data) for data in items]
    results: list[WorkbookContent | None] = [None] * len(items)
    try:
        with _pool(min(workers, len(items))) as pool:
            chunk = max(1, len(items) // (workers * 8))
            for index, content in enumerate(pool.map(extract, items, chunksize=chunk)):
                results[index] = content
    except BrokenProcessPool:
        unread = [i for i, r in enumerate(results) if r is None]
        for index, content in zip(
            unread, _one_by_one(extract, [items[i] for i in unread]), strict=True
        ):
            results[index] = content
    return [r if r is not None else _crashed() for r in results]


__all__ = ["extract_many"]
