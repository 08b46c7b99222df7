"""Finding returns in a landing area (local or any fsspec storage) and keeping them archived."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.archive import archive, archive_url_for, read_bytes, sha256_of
from connectors.landing import discover, settled
from domain.records import LandedFile, ReceivedFile

LOTHIAN, BORDERS, CHARITY = "S08000024", "S08000016", "SC012345"


def _put(path: Path, data: bytes = b"workbook bytes") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _where(found: list[LandedFile], root: Path) -> dict[str, tuple[str | None, str, str]]:
    """Each file found, by its path under `root`: (reporter, folder, file name)."""
    return {
        Path(f.url).relative_to(root).as_posix(): (f.reporter_code, f.folder, f.file_name)
        for f in found
    }


@pytest.fixture
def populated(landing: Path) -> Path:
    """A landing area with reporter folders, strays, nested folders and files never taken."""
    _put(landing / LOTHIAN / "lothian Q1.xlsx", b"lothian")
    _put(landing / BORDERS / "borders.xlsx", b"borders!")
    _put(landing / CHARITY / "tsr.xlsx")
    _put(landing / LOTHIAN / "2022-23" / "Q2" / "lothian Q2.xlsx")
    _put(landing / "stray.xlsx")
    _put(landing / "Lothian" / "named not coded.xlsx")
    _put(landing / "misc" / LOTHIAN / "deeper.xlsx")
    # Never taken: Excel lock files, hidden files and folders, partial copies.
    _put(landing / LOTHIAN / "~$lothian Q1.xlsx")
    _put(landing / LOTHIAN / ".lothian Q1.xlsx.swp")
    _put(landing / ".DS_Store")
    _put(landing / ".snapshot" / "hourly.0" / LOTHIAN / "lothian Q1.xlsx")
    _put(landing / BORDERS / "borders.xlsx.part")
    _put(landing / BORDERS / "copying.tmp")
    return landing


TAKEN = {
    f"{LOTHIAN}/lothian Q1.xlsx": (LOTHIAN, LOTHIAN, "lothian Q1.xlsx"),
    f"{BORDERS}/borders.xlsx": (BORDERS, BORDERS, "borders.xlsx"),
    f"{CHARITY}/tsr.xlsx": (CHARITY, CHARITY, "tsr.xlsx"),
    f"{LOTHIAN}/2022-23/Q2/lothian Q2.xlsx": (LOTHIAN, f"{LOTHIAN}/2022-23/Q2", "lothian Q2.xlsx"),
    "stray.xlsx": (None, "", "stray.xlsx"),
    "Lothian/named not coded.xlsx": (None, "Lothian", "named not coded.xlsx"),
    f"misc/{LOTHIAN}/deeper.xlsx": (None, f"misc/{LOTHIAN}", "deeper.xlsx"),
}


def test_discover_a_landing_root_finds_every_file_and_its_reporter(populated: Path) -> None:
    """Files under a folder named by a board code or charity number are that reporter's.

    Files elsewhere (the root, folders not named by a code) have no reporter; only the top
    folder names the reporter, whatever the nesting below it.
    """
    found = discover(str(populated))

    assert _where(found, populated) == TAKEN
    assert all(f.landing_root == str(populated) for f in found)
    sizes = {f.file_name: f.size for f in found}
    assert (sizes["lothian Q1.xlsx"], sizes["borders.xlsx"]) == (7, 8)
    assert [f.url for f in found] == sorted(f.url for f in found)


def test_discover_never_takes_lock_hidden_or_partial_files(populated: Path) -> None:
    """Excel lock files, hidden files, files in hidden folders and partial copies are skipped."""
    names = {Path(f.url).relative_to(populated).as_posix() for f in discover(str(populated))}

    assert not any("~$" in n or "/." in f"/{n}" or n.endswith((".part", ".tmp")) for n in names)
    assert discover(str(populated / LOTHIAN / "~$lothian Q1.xlsx")) == []
    assert discover(str(populated / ".DS_Store")) == []


def test_discover_a_reporter_folder_keeps_the_landing_root(populated: Path) -> None:
    """One reporter's folder gives that reporter's files, placed in the whole landing area."""
    found = discover(str(populated / LOTHIAN))

    assert _where(found, populated) == {
        k: v for k, v in TAKEN.items() if k.startswith(f"{LOTHIAN}/")
    }
    assert {f.landing_root for f in found} == {str(populated)}
    assert discover(str(populated / LOTHIAN) + "/") == found


def test_discover_a_single_file(populated: Path) -> None:
    """A file named directly is found with the same reporter as when its folder is searched."""
    [in_folder] = discover(str(populated / LOTHIAN / "lothian Q1.xlsx"))
    [at_root] = discover(str(populated / "stray.xlsx"))

    assert (in_folder.reporter_code, in_folder.folder, in_folder.landing_root) == (
        LOTHIAN,
        LOTHIAN,
        str(populated),
    )
    assert in_folder.size == 7
    assert (at_root.reporter_code, at_root.folder) == (None, "")
    assert in_folder in discover(str(populated))


def test_discover_inside_a_reporter_folder_gives_what_the_whole_area_gives(populated: Path) -> None:
    """A sub-folder or nested file named directly is still its reporter's, same as from the root.

    Otherwise a file first ingested by its own path would be recorded outside the reporter
    folders, and "already processed" on every later run over the landing root.
    """
    everything = discover(str(populated))
    nested = populated / LOTHIAN / "2022-23"

    assert discover(str(nested)) == [f for f in everything if f.folder.startswith(f"{LOTHIAN}/")]
    [named] = discover(str(nested / "Q2" / "lothian Q2.xlsx"))
    assert named in everything
    assert (named.reporter_code, named.landing_root) == (LOTHIAN, str(populated))


def test_discover_a_missing_location_finds_nothing(landing: Path) -> None:
    """A location with nothing at it yields no files rather than failing the run."""
    assert discover(str(landing / "nowhere")) == []
    assert discover(str(landing)) == []


@pytest.fixture
def memory_landing() -> Iterator[str]:
    """A landing area in fsspec's in-memory storage, standing in for S3 or Azure Blob."""
    root = f"memory://landing-{uuid.uuid4().hex[:8]}"
    fs = fsspec.filesystem("memory")
    try:
        yield root
    finally:
        fs.rm(root.removeprefix("memory://"), recursive=True)


def test_discover_works_on_any_fsspec_storage(memory_landing: str) -> None:
    """A `memory://` landing area reads like a local folder, and its files can be read back."""
    fs = fsspec.filesystem("memory")
    base = memory_landing.removeprefix("memory://")
    fs.pipe_file(f"{base}/{LOTHIAN}/lothian.xlsx", b"lothian")
    fs.pipe_file(f"{base}/{LOTHIAN}/~$lothian.xlsx", b"lock")
    fs.pipe_file(f"{base}/{LOTHIAN}/deep/er.xlsx", b"deeper")
    fs.pipe_file(f"{base}/stray.xlsx", b"stray")
    fs.pipe_file(f"{base}/.hidden/{LOTHIAN}/x.xlsx", b"hidden")

    found = discover(memory_landing)

    assert [(f.reporter_code, f.folder, f.file_name, f.size) for f in found] == [
        (LOTHIAN, f"{LOTHIAN}/deep", "er.xlsx", 6),
        (LOTHIAN, LOTHIAN, "lothian.xlsx", 7),
        (None, "", "stray.xlsx", 5),
    ]
    assert all(f.url.startswith("memory://") for f in found)
    assert {f.landing_root for f in found} == {f"memory:///{base.lstrip('/')}"}
    assert read_bytes(found[1].url) == b"lothian"
    assert discover(f"{memory_landing}/{LOTHIAN}") == found[:2]
    assert discover(f"{memory_landing}/{LOTHIAN}/lothian.xlsx") == [found[1]]


def _landed(path: Path) -> LandedFile:
    [found] = discover(str(path))
    return found


def test_settled_leaves_a_file_still_being_written(landing: Path) -> None:
    """A file that keeps growing is left for the next run; a quiet one is taken."""
    quiet = _landed(_put(landing / LOTHIAN / "quiet.xlsx"))
    growing_path = _put(landing / BORDERS / "growing.xlsx", b"start")
    growing = _landed(growing_path)
    stop = threading.Event()

    def keep_writing() -> None:
        with growing_path.open("ab") as handle:
            while not stop.is_set():
                handle.write(b"more bytes ")
                handle.flush()
                time.sleep(0.02)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        started = time.monotonic()
        ready, still_changing = settled([quiet, growing], quiet_seconds=0.2, timeout=1.0)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        writer.join()

    assert ready == [quiet]
    assert still_changing == [growing]
    assert elapsed < 3


def test_settled_takes_a_file_once_it_stops_changing(landing: Path) -> None:
    """A file written for a while and then left alone is taken before the timeout."""
    path = _put(landing / LOTHIAN / "slow copy.xlsx", b"")
    landed = _landed(path)

    def write_then_stop() -> None:
        with path.open("ab") as handle:
            for _ in range(5):
                handle.write(b"chunk ")
                handle.flush()
                time.sleep(0.03)

    writer = threading.Thread(target=write_then_stop)
    writer.start()
    try:
        ready, still_changing = settled([landed], quiet_seconds=0.2, timeout=5.0)
    finally:
        writer.join()

    assert (ready, still_changing) == ([landed], [])


def test_settled_with_no_quiet_period_takes_everything_at_once(landing: Path) -> None:
    """A quiet period of zero takes files as they are; a file gone before it settles is dropped."""
    kept = _landed(_put(landing / LOTHIAN / "a.xlsx"))
    gone_path = _put(landing / LOTHIAN / "b.xlsx")
    gone = _landed(gone_path)

    assert settled([kept, gone], quiet_seconds=0, timeout=0) == ([kept, gone], [])

    gone_path.unlink()
    assert settled([kept, gone], quiet_seconds=0.05, timeout=1) == ([kept], [])


def test_the_archive_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    """The same bytes are stored once, under their SHA-256, whatever they were called.

    Archiving again returns the same place without rewriting it; a damaged stored copy
    is replaced by the good bytes.
    """
    root = str(tmp_path / "archive")
    data = b"a return's bytes"
    sha = hashlib.sha256(data).hexdigest()
    assert sha256_of(data) == sha

    url = archive(root, sha, "Lothian Q1.XLSX", data)

    assert url == archive_url_for(root, sha, "lothian.xlsx")
    assert Path(url) == tmp_path / "archive" / sha[:2] / f"{sha}.xlsx"
    assert Path(url).read_bytes() == data
    stored_at = Path(url).stat().st_mtime_ns
    time.sleep(0.01)
    assert archive(root, sha, "copy of it.xlsx", data) == url
    assert Path(url).stat().st_mtime_ns == stored_at
    assert [p for p in (tmp_path / "archive").rglob("*") if p.is_file()] == [Path(url)]

    Path(url).write_bytes(b"damaged")
    assert archive(root, sha, "again.xlsx", data) == url
    assert Path(url).read_bytes() == data
    assert not list((tmp_path / "archive").rglob("*.partial"))


def test_the_archive_works_on_any_fsspec_storage() -> None:
    """On `memory://` the archive stores, finds and re-reads the same bytes the same way."""
    root = f"memory://archive-{uuid.uuid4().hex[:8]}"
    data = b"bytes kept in object storage"
    sha = sha256_of(data)
    fs = fsspec.filesystem("memory")
    try:
        url = archive(root, sha, "return.xlsx", data)
        assert url == f"{root}/{sha[:2]}/{sha}.xlsx"
        assert read_bytes(url) == data
        assert archive(root, sha, "renamed.xlsx", data) == url
        assert fs.find(root.removeprefix("memory://")) == [url.removeprefix("memory:/")]
    finally:
        fs.rm(root.removeprefix("memory://"), recursive=True)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_batch_is_archived_in_the_background_and_confirmed(populated: Path, workers: int) -> None:
    """`receive_batch` gives every file's bytes and archive address at once; after
    `confirm` every copy is stored byte for byte under its SHA-256, whether the worker
    processes wrote them or `confirm` did."""
    from intake.received import receive_batch

    landed = discover(str(populated))
    root = str(populated.parent / "archive")

    received, archiving = receive_batch(landed, root, workers=workers)
    archiving.confirm()

    assert [r.key for r in received] == list(range(len(landed)))
    for item, file in zip(received, landed, strict=True):
        original = Path(file.url).read_bytes()
        assert item.data == original
        assert item.sha256 == sha256_of(original)
        assert item.archive_url == archive_url_for(root, item.sha256, file.file_name)
        assert Path(item.archive_url).read_bytes() == original


def test_the_copies_wait_for_start_then_are_written_by_the_workers(populated: Path) -> None:
    """Nothing is written until `start` (the flow starts the copies once the batch is
    read, so that they do not hold up the reading); then the worker processes write them
    all, and `confirm` finds nothing left to write."""
    from intake.received import receive_batch

    landed = discover(str(populated))
    archive_folder = populated.parent / "archive"

    received, archiving = receive_batch(landed, str(archive_folder), workers=2)
    assert not archive_folder.exists()
    assert sum(len(share) for share in archiving.queued) == len(received)

    archiving.start()
    for _items, future in archiving.pending:
        future.result(timeout=60)
    assert archiving.queued == []
    stored = {p for p in archive_folder.rglob("*") if p.is_file()}
    assert stored == {Path(item.archive_url) for item in received}  # one copy per content
    archiving.confirm()
    assert archiving.failed == []


def test_a_large_batch_goes_to_the_workers_in_runs_of_bounded_size(landing: Path) -> None:
    """A backfill's copies are handed over a few hundred kilobytes at a time, never one
    share per worker (each share is pickled whole in this process, and memory freed in
    blocks that large stays resident): every copy is still written, byte for byte."""
    from intake.received import ARCHIVE_RUN_BYTES, receive_batch

    for number in range(24):  # 24 distinct files of 60 kB: 1.4 MB in all
        _put(landing / LOTHIAN / f"return {number}.xlsx", bytes([number]) * 60_000)
    archive_root = str(landing.parent / "archive")
    received, archiving = receive_batch(discover(str(landing)), archive_root, workers=2)

    assert len(archiving.queued) >= 5
    assert all(sum(len(f.data) for f in run) <= ARCHIVE_RUN_BYTES for run in archiving.queued)
    assert [f.key for run in archiving.queued for f in run] == [f.key for f in received]
    archiving.confirm()
    assert archiving.failed == []
    for item in received:
        assert Path(item.archive_url).read_bytes() == item.data


def _received_of_sizes(sizes: list[int]) -> list[ReceivedFile]:
    moment = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    return [
        ReceivedFile(
            key, LandedFile(f"/l/{key}.xlsx", "/l", "", None, f"{key}.xlsx", size), b"x" * size,
            "0" * 64, f"/a/{key}", moment,
        )
        for key, size in enumerate(sizes)
    ]  # fmt: skip


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=3_000), max_size=60),
    limit=st.integers(min_value=1, max_value=5_000),
)
def test_runs_of_bytes_keeps_every_file_in_order_within_the_limit(
    sizes: list[int], limit: int
) -> None:
    """Every file once, in order; no run empty; a run over the limit is one file larger
    than it; and no run could have taken the next run's first file (fewest hand-overs)."""
    from intake.received import runs_of_bytes

    files = _received_of_sizes(sizes)
    runs = runs_of_bytes(files, limit)

    assert [f for run in runs for f in run] == files
    assert all(runs)
    for run in runs:
        size = sum(len(f.data) for f in run)
        assert size <= limit or len(run) == 1
    for run, following in itertools.pairwise(runs):
        assert sum(len(f.data) for f in run) + len(following[0].data) > limit


def test_copies_the_pool_will_not_take_are_written_by_confirm(populated: Path) -> None:
    """A pool shut down before the copies start leaves them to `confirm`, which writes
    them in this process: none is lost."""
    from concurrent.futures import ProcessPoolExecutor

    from connectors import isolation
    from intake.received import receive_batch

    landed = discover(str(populated))
    root = populated.parent / "archive"
    received, archiving = receive_batch(landed, str(root), workers=3)
    closed = ProcessPoolExecutor(1)
    closed.shutdown()
    isolation._shared[3] = closed  # the pool the copies would go to, shut down
    try:
        archiving.start()
    finally:
        del isolation._shared[3]

    assert archiving.pending == []
    assert sorted(item.key for item in archiving.failed) == [item.key for item in received]
    archiving.confirm()
    assert all(Path(item.archive_url).read_bytes() == item.data for item in received)


def test_confirm_writes_again_what_failed_and_names_what_still_cannot_be_stored(
    tmp_path: Path,
) -> None:
    """A copy whose background write failed is written again at `confirm`; one that
    still cannot be stored makes `confirm` raise, naming the file."""
    from intake.received import receive_batch

    landing = tmp_path / "landing"
    _put(landing / LOTHIAN / "lothian.xlsx", b"lothian bytes")
    blocked = tmp_path / "archive"
    blocked.write_bytes(b"a file where the archive folder should be")
    landed = discover(str(landing))

    received, archiving = receive_batch(landed, str(blocked))
    with pytest.raises(OSError, match=r"1 received file\(s\) could not be archived: lothian"):
        archiving.confirm()

    blocked.unlink()  # the storage recovers: the retry (Prefect's) now stores the copy
    archiving.confirm()
    assert Path(received[0].archive_url).read_bytes() == b"lothian bytes"


def test_many_files_are_read_in_order_from_any_mix_of_storages(tmp_path: Path) -> None:
    """`read_all` gives what `read_bytes` gives each file, in the order asked, across a
    folder and `memory://`, names with glob characters taken as they are."""
    from connectors.archive import read_all

    root = f"memory://landing-{uuid.uuid4().hex[:8]}"
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{root}/S08000024/q1 [final].xlsx", b"lothian")
    fs.pipe(f"{root}/S08000029/q1*.xlsx", b"fife")
    (tmp_path / "S08000015 [copy].xlsx").write_bytes(b"ayrshire")
    (tmp_path / "S08000015 c.xlsx").write_bytes(b"not this one")
    urls = [
        f"{root}/S08000029/q1*.xlsx",
        str(tmp_path / "S08000015 [copy].xlsx"),
        f"{root}/S08000024/q1 [final].xlsx",
        f"file://{tmp_path / 'S08000015 [copy].xlsx'}",
    ]
    try:
        assert read_all(urls) == [read_bytes(url) for url in urls]
        assert read_all(urls) == [b"fife", b"ayrshire", b"lothian", b"ayrshire"]
        assert read_all([]) == []
    finally:
        fs.rm(root.removeprefix("memory://"), recursive=True)
