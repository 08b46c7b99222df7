"""Reading many workbooks in worker processes, so a parser crash cannot take the batch down.

calamine can abort the whole process on some hostile workbooks (NOTES.md), and any parser
can hang on one. Workbooks are read in a pool of processes (which also reads them in
parallel); if a worker dies or the pool runs out of time, its processes are killed and the
unread files are re-read one per process, each with its own time limit, so that only the
culprit is lost. It is rejected with a plain-English file problem.
"""

from __future__ import annotations

import atexit
import multiprocessing
import resource
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar, cast

from connectors.lifeline import die_with_parent
from connectors.workbook import extract_workbook, extract_workbooks
from domain.issues import file_problem
from domain.layouts import TemplateLayout
from domain.workbook import WorkbookContent

_CRASHED = (
    "The workbook could not be read: opening it stopped the reader. It may be damaged or "
    "not a real spreadsheet. Save it again from Excel and resend."
)
_TOO_SLOW = (
    "The workbook could not be read: the reader gave up after {seconds:g} seconds. It may "
    "be damaged or far larger than a return. Save it again from Excel and resend."
)

Extractor = Callable[[bytes], WorkbookContent]
# Chunks per worker: enough to balance the load, few enough that locating tables over
# a chunk at once pays; and a cap, so one chunk never holds a whole huge backfill.
CHUNKS_PER_WORKER = 4
MAX_CHUNK = 400
# Items a process of `map_in_lanes` takes at once (each an annotated copy's workbook).
LANE_RUN = 8
A = TypeVar("A")
R = TypeVar("R")


def _unreadable(message: str) -> WorkbookContent:
    content = WorkbookContent()
    content.issues.append(file_problem(message))
    return content


# Each worker's own ceiling on the memory it may allocate (heap and anonymous maps), so
# that no workbook, whatever it claims or inflates to, can take the machine: past it the
# worker's allocation fails, the worker dies, and only its file is lost.
DEFAULT_WORKER_MEMORY_MB = 1024
_memory_limit_mb = DEFAULT_WORKER_MEMORY_MB


def _start_worker(memory_limit_mb: int) -> None:
    """Every worker dies with the forkserver it was forked from, and is capped in memory.

    RLIMIT_DATA rather than RLIMIT_AS: polars reserves far more address space than it
    uses, so a cap on address space breaks ordinary reading.
    """
    die_with_parent()
    if memory_limit_mb > 0:
        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


# The modules whose work runs in the pool: the reader, the annotated copies, the archive.
_PRELOAD = ("connectors.workbook", "feedback.annotate", "intake.received")


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a server that has already imported the reader: no import per worker.
    # `connectors.forkserver_start` first: the forkserver arms its lifeline as it imports it.
    context.set_forkserver_preload(["connectors.forkserver_start", *_PRELOAD])
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(_memory_limit_mb,)
    )


_shared: dict[int, ProcessPoolExecutor] = {}


def _noop() -> None:
    return None


def warm_reader_pool(workers: int, memory_limit_mb: int | None = None) -> None:
    """Start the shared pool's processes now, in the background, ready for the first read.

    Starting the forkserver and its workers costs about a second; begun before Prefect's
    own start-up, it overlaps with it. The pool lives for the process and is replaced
    whenever a crash or a hang breaks it. `memory_limit_mb` caps each worker (0: no cap);
    pools made later keep the last cap given.
    """
    global _memory_limit_mb  # noqa: PLW0603 - one setting for every pool this process makes
    if memory_limit_mb is not None:
        _memory_limit_mb = memory_limit_mb
    if workers > 0 and workers not in _shared:
        pool = _pool(workers)
        for _ in range(workers):
            pool.submit(_noop)
        _shared[workers] = pool
        atexit.register(pool.shutdown, wait=False, cancel_futures=True)


def _shared_pool(workers: int) -> ProcessPoolExecutor:
    warm_reader_pool(workers)
    return _shared[workers]


def submit_to_pool(workers: int, work: Callable[..., R], *args: object) -> Future[R]:
    """`work(*args)` on the shared pool, queued ahead of what is submitted after it.

    For background work that must not run on this process's threads (see
    `intake.received`). If the pool breaks, the future says so and the caller redoes it.
    """
    pool = _shared_pool(workers)
    try:
        return pool.submit(work, *args)
    except BrokenProcessPool:  # a worker died since the last use: a fresh pool takes it
        _kill(pool)
        return _shared_pool(workers).submit(work, *args)


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a broken or stuck pool without waiting on it (a plain shutdown can hang)."""
    for workers, shared in list(_shared.items()):
        if shared is pool:
            del _shared[workers]
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)


@dataclass(frozen=True, slots=True)
class _Raised:
    """What a worker hands back, instead of raising, when an item's work raised."""

    error: str


@dataclass(frozen=True, slots=True)
class _Contained(Generic[A, R]):
    """`work` whose exceptions (a MemoryError at the worker's cap, a parser's bug) stay
    with the item: picklable, so the pool's map carries on with the other items."""

    work: Callable[[A], R]

    def __call__(self, item: A) -> R | _Raised:
        try:
            return self.work(item)
        except Exception as error:  # one item's failure, whatever it is, is that item's
            return _Raised(type(error).__name__)


def _one_by_one(
    work: Callable[[A], R], items: Sequence[A], seconds: float, failed: Callable[[str], R]
) -> list[R]:
    results = []
    for item in items:
        pool = _pool(1)
        try:
            result = pool.submit(_Contained(work), item).result(timeout=seconds)
            results.append(failed(_CRASHED) if isinstance(result, _Raised) else result)
        except BrokenProcessPool:
            results.append(failed(_CRASHED))
        except FutureTimeout:
            results.append(failed(_TOO_SLOW.format(seconds=seconds)))
        finally:
            _kill(pool)
    return results


def extract_many(
    items: Sequence[bytes],
    layouts: dict[str, TemplateLayout],
    max_bytes: int,
    max_expanded_bytes: int,
    workers: int,
    *,
    seconds_per_file: float = 60.0,
) -> list[WorkbookContent]:
    """What each workbook holds, in input order. `workers=0` reads in this process.

    Workbooks go to the workers in chunks, each chunk's tables located at once. A chunk
    whose worker crashes or hangs is read again one workbook per process, so only the
    culprit is lost.
    """
    extract_chunk = partial(
        extract_workbooks,
        layouts=layouts,
        max_bytes=max_bytes,
        max_expanded_bytes=max_expanded_bytes,
    )
    if workers <= 0:
        return extract_chunk(items) if items else []
    size = max(1, min(MAX_CHUNK, -(-len(items) // (workers * CHUNKS_PER_WORKER))))
    chunks = [list(items[i : i + size]) for i in range(0, len(items), size)]
    read = map_isolated(chunks, extract_chunk, workers, seconds_per_file * size, _lost_chunk)
    extract_one = partial(
        extract_workbook,
        layouts=layouts,
        max_bytes=max_bytes,
        max_expanded_bytes=max_expanded_bytes,
    )
    contents: list[WorkbookContent] = []
    for chunk, result in zip(chunks, read, strict=True):
        contents += (
            result
            if result is not None
            else read_isolated(chunk, extract_one, workers, seconds_per_file)
        )
    return contents


def _lost_chunk(_reason: str) -> None:
    return None


def read_isolated(
    items: Sequence[bytes], extract: Extractor, workers: int, seconds_per_file: float = 60.0
) -> list[WorkbookContent]:
    """`extract` (picklable) applied to each item in worker processes, crashes contained."""
    return map_isolated(items, extract, workers, seconds_per_file, _unreadable)


def map_isolated(
    items: Sequence[A],
    work: Callable[[A], R],
    workers: int,
    seconds_per_item: float,
    failed: Callable[[str], R],
) -> list[R]:
    """`work` (picklable) applied to each item in the shared worker pool, in input order.

    An item whose worker crashes or runs out of time gets `failed(reason)` instead, and
    only that item: the rest are retried one per process. `workers=0` works in-process.
    """
    contained = _Contained(work)
    if workers <= 0 or not items:
        return [_unless_raised(contained(item), failed) for item in items]
    results: list[R | _Raised | None] = [None] * len(items)
    done = [False] * len(items)
    pool = _shared_pool(workers)
    # The whole batch's allowance: generous, since a healthy item takes milliseconds.
    allowance = seconds_per_item * (1 + len(items) / workers)
    try:
        chunk = max(1, len(items) // (workers * 8))
        mapped = pool.map(contained, items, chunksize=chunk, timeout=allowance)
        for index, result in enumerate(mapped):
            results[index], done[index] = result, True
    except (BrokenProcessPool, FutureTimeout):
        _kill(pool)
        unread = [i for i, finished in enumerate(done) if not finished]
        retried = _one_by_one(work, [items[i] for i in unread], seconds_per_item, failed)
        for index, result in zip(unread, retried, strict=True):
            results[index], done[index] = result, True
    return [
        _unless_raised(cast(R | _Raised, result), failed) if finished else failed(_CRASHED)
        for result, finished in zip(results, done, strict=True)
    ]


def map_in_lanes(
    items: Sequence[A],
    work: Callable[[A], R],
    workers: int,
    seconds_per_item: float,
    failed: Callable[[str], R],
    *,
    lanes: int,
) -> list[R]:
    """`map_isolated`, with at most `lanes` of the pool's processes at work on the items.

    For work done while this process has work of its own (the annotated copies, made while
    the warehouse loads): on a machine with as many cores as the pool has processes, every
    process at work would leave this one a share of a core. The items go in runs of at
    most `LANE_RUN` (so that no process holds a large share of a batch's workbooks at
    once), `lanes` runs at a time, each made one item after another by one process. A run
    whose process crashes or hangs is made again alone, then item by item, so that only
    the culprit is lost.
    """
    lanes = max(1, lanes)
    if workers <= 0 or lanes >= workers or len(items) < 2:
        return map_isolated(items, work, workers, seconds_per_item, failed)
    runs = [list(items[i : i + LANE_RUN]) for i in range(0, len(items), LANE_RUN)]
    results: list[R] = []
    for start in range(0, len(runs), lanes):
        wave = runs[start : start + lanes]
        made = map_isolated(wave, _Lane(work), workers, seconds_per_item * LANE_RUN, _lost_chunk)
        for run, result in zip(wave, made, strict=True):
            results += (
                [_unless_raised(item, failed) for item in result]
                if result is not None
                else map_isolated(run, work, workers, seconds_per_item, failed)
            )
    return results


@dataclass(frozen=True, slots=True)
class _Lane(Generic[A, R]):
    """`work` applied to each of a run of items in turn, each item's failure its own."""

    work: Callable[[A], R]

    def __call__(self, items: list[A]) -> list[R | _Raised]:
        contained = _Contained(self.work)
        return [contained(item) for item in items]


def _unless_raised(result: R | _Raised, failed: Callable[[str], R]) -> R:
    return failed(_CRASHED) if isinstance(result, _Raised) else result
