"""The service end to end, with real processes: files land and are in the warehouse.

A Prefect server, `pimh deploy`, workers and the watcher run as the data team runs them;
files are copied in as boards copy them (slowly, in chunks, many at once, while the
watcher is down); processes are killed as machines die. Every process is stopped by its
PID at the end, pass or fail.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.periods import QUARTERS, financial_year_label
from domain.reference import BOARDS as BOARD_NAMES
from tests.builders import valid_return, write
from tests.queries import query
from tests.reliability import Place, sqlite_place
from tests.services import PIMH, Processes, alive, descendants, free_port, processes, wait_until

BOARDS = tuple(sorted(BOARD_NAMES))
PERIODS = [(financial_year_label(y), q) for y in range(2019, 2023) for q in QUARTERS]
pytestmark = pytest.mark.service
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _returns(folder: Path, count: int) -> list[Path]:
    """`count` distinct valid board returns (board and quarter), written outside the landing."""
    made = []
    for n in range(count):
        board = BOARDS[n % len(BOARDS)]
        year, quarter = PERIODS[n // len(BOARDS)]
        made.append(
            write(
                folder / board / f"{board} {year} {quarter}.xlsx",
                valid_return(board, year, quarter),
            )
        )
    return made


def _drop(files: list[Path], source: Path, landing: Path) -> list[Path]:
    """Files moved into the landing area at once (rename: each arrives whole)."""
    dropped = []
    for file in files:
        target = landing / file.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file, target)
        dropped.append(target)
    return dropped


def _copy_slowly(source: Path, target: Path, chunks: int = 4, pause: float = 1.2) -> None:
    """As a board copying over a slow link: the file held open, written in pieces."""
    data = source.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    size = -(-len(data) // chunks)
    with target.open("wb") as handle:
        for start in range(0, len(data), size):
            handle.write(data[start : start + size])
            handle.flush()
            time.sleep(pause)


def _recorded(place: Place) -> list[tuple[object, ...]]:
    try:
        return query(place.warehouse_url, "SELECT origin_path, status FROM submissions")
    except Exception:  # the warehouse is not made yet
        return []


def _environment(place: Place, prefect_api: str | None, **extra: str) -> dict[str, str]:
    # A work pool of each test's own on the shared server: runs an earlier test left
    # scheduled (its hourly sweep of its own landing area) are never taken by this one's
    # workers, into this one's warehouse.
    pool = "pimh-" + hashlib.sha256(str(place.root).encode()).hexdigest()[:12]
    env = place.environment(prefect_api, PIMH_SETTLE_SECONDS="0.5", PIMH_WORK_POOL=pool, **extra)
    env.pop("PIMH_ARRIVAL_TIME")
    return env


def _service(
    running: Processes,
    place: Place,
    landing: Path,
    prefect_api: str,
    workers: tuple[str, ...],
    *,
    watcher_env: dict[str, str] | None = None,
    **worker_env: str,
) -> dict[str, subprocess.Popen[bytes]]:
    deployed = subprocess.run(
        [*PIMH, "deploy", str(landing)], env=_environment(place, prefect_api),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    started = {
        name: running.start(
            [*PIMH, "worker", "--name", name],
            _environment(place, prefect_api, **worker_env),
            place.root / f"worker-{name}.log",
        )
        for name in workers
    }
    started["watcher"] = _start_watcher(running, place, landing, prefect_api, **(watcher_env or {}))
    return started


def _start_watcher(
    running: Processes, place: Place, landing: Path, prefect_api: str | None, **env: str
) -> subprocess.Popen[bytes]:
    log = place.root / f"watcher-{len(running.started)}.log"
    watcher = running.start(
        [*PIMH, "watch", str(landing)], _environment(place, prefect_api, **env), log
    )
    wait_until(
        lambda: "Watching" in log.read_text() or watcher.poll() is not None,
        60,
        0.2,
        "the watcher starting",
    )
    assert watcher.poll() is None, log.read_text()
    return watcher


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


def test_the_embedded_watcher_takes_a_slow_copy_once_it_is_whole(
    landing: Path, tmp_path: Path
) -> None:
    """No Prefect server: the watcher ingests in its own process. A copy that pauses is not
    read half-written; once closed, it is in the warehouse within seconds."""
    place = sqlite_place(tmp_path / "place")
    source, *later = _returns(tmp_path / "outbox", 3)
    with processes() as running:
        watcher = _start_watcher(running, place, landing, None)
        target = landing / source.relative_to(tmp_path / "outbox")
        _copy_slowly(source, target)
        assert _recorded(place) == []  # never read while it was being written
        # The first batch also waits for the temporary Prefect server's first start.
        wait_until(lambda: len(_recorded(place)) == 1, 90, 0.1, "the return being recorded")
        assert _recorded(place) == [(str(target), "accepted")]
        # Later batches find the reader's helpers the first batch started still working.
        for count, file in enumerate(later, start=2):
            _drop([file], tmp_path / "outbox", landing)
            wait_until(lambda: len(_recorded(place)) == count, 30, 0.1, "a later batch")  # noqa: B023
        assert watcher.poll() is None
        helpers = descendants(watcher.pid)
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(timeout=30)
        assert watcher.returncode == 0
        wait_until(lambda: not any(alive(p) for p in helpers), 20, what="its helpers stopping")


def test_through_a_server_a_landed_file_is_one_named_run_with_its_artifact(
    landing: Path, tmp_path: Path, prefect_api: str
) -> None:
    place = sqlite_place(tmp_path / "place")
    [source] = _returns(tmp_path / "outbox", 1)
    with processes() as running:
        _service(running, place, landing, prefect_api, ("w1",))
        _copy_slowly(source, landing / source.relative_to(tmp_path / "outbox"))
        wait_until(lambda: len(_recorded(place)) == 1, 90, 0.2, "the return being recorded")
        run = _finished_run(prefect_api, "S08000015 Ayrshire and Arran 2019-20 Q1")
        # The completed load starts the warehouse's quality check, on its own queue.
        wait_until(
            lambda: _kept_checks(place) >= 1, 120, 0.5, "the warehouse's quality check after it"
        )
    assert run["state"]["type"] == "COMPLETED"
    assert {"S08000015", "2019-20 Q1"} <= set(run["tags"])
    assert set(run["parameters"]) == {"locations", "settled"}
    artifacts = httpx.post(
        f"{prefect_api}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}},
        timeout=10,
    ).json()
    assert {"ingest-summary", "tracker-2019-20-q1"} <= {a["key"] for a in artifacts}


def _kept_checks(place: Place) -> int:
    try:
        [(count,)] = query(place.warehouse_url, "SELECT COUNT(*) FROM quality_check")
    except Exception:  # the warehouse is not made yet
        return 0
    return int(str(count))


def _finished_run(prefect_api: str, name: str, timeout: float = 60) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def finished() -> bool:
        runs = httpx.post(
            f"{prefect_api}/flow_runs/filter",
            json={"flow_runs": {"name": {"any_": [name]}}},
            timeout=10,
        ).json()
        done = [
            r
            for r in runs
            if r["state"] and r["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED")
        ]
        if done:
            found.update(done[0])
        return bool(done)

    wait_until(finished, timeout, 0.5, f"the run {name!r} finishing")
    return found


def test_fifty_files_at_once_and_one_while_the_watcher_was_down_land_once(
    landing: Path, tmp_path: Path, prefect_api: str
) -> None:
    place = sqlite_place(tmp_path / "place")
    outbox = tmp_path / "outbox"
    files = _returns(outbox, 51)
    with processes() as running:
        started = _service(running, place, landing, prefect_api, ("w1",))
        _drop(files[:50], outbox, landing)
        wait_until(lambda: len(_recorded(place)) == 50, 180, 0.5, "fifty returns being recorded")
        started["watcher"].kill()
        started["watcher"].wait(timeout=10)
        _drop(files[50:], outbox, landing)
        time.sleep(2)
        assert len(_recorded(place)) == 50  # nothing is watching
        _start_watcher(running, place, landing, prefect_api)
        wait_until(lambda: len(_recorded(place)) == 51, 120, 0.5, "the late return being recorded")
    recorded = _recorded(place)
    assert len({origin for origin, _ in recorded}) == 51
    assert {status for _, status in recorded} == {"accepted"}


def test_a_watcher_and_a_worker_killed_mid_batch_lose_and_double_nothing(
    landing: Path, tmp_path: Path, prefect_api: str
) -> None:
    place = sqlite_place(tmp_path / "place")
    outbox = tmp_path / "outbox"
    files = _returns(outbox, 40)
    with processes() as running:
        # The first worker's runs stall after their first load transaction: a kill then is
        # mid-batch, every time.
        started = _service(
            running, place, landing, prefect_api, ("w1",),
            PIMH_LOAD_CHUNK_SIZE="5", PIMH_FAULT_AT="after_load_chunk:1", PIMH_FAULT="pause:120",
        )  # fmt: skip
        _drop(files, outbox, landing)
        wait_until(lambda: len(_recorded(place)) >= 5, 120, 0.1, "loading starting")
        for name in ("watcher", "w1"):  # as a machine dies: every process of theirs
            os.killpg(started[name].pid, signal.SIGKILL)
            started[name].wait(timeout=10)
        assert len(_recorded(place)) < 40
        running.start(
            [*PIMH, "worker", "--name", "w2"],
            _environment(place, prefect_api),
            place.root / "worker-w2.log",
        )
        _start_watcher(running, place, landing, prefect_api)
        wait_until(lambda: len(_recorded(place)) == 40, 180, 0.5, "every return being recorded")
    recorded = _recorded(place)
    assert len(recorded) == len({origin for origin, _ in recorded}) == 40


@pytest.mark.postgres
def test_two_workers_share_two_hundred_files_each_recorded_once(
    landing: Path, tmp_path: Path, prefect_api: str, postgres_url: str
) -> None:
    """Scale-out: two workers against one Prefect server and one PostgreSQL."""
    place = Place(tmp_path, postgres_url)
    outbox = tmp_path / "outbox"
    files = _returns(outbox, 200)
    with processes() as running:
        # Runs of twenty: enough of them that both workers take some.
        _service(
            running, place, landing, prefect_api, ("w1", "w2"),
            watcher_env={"PIMH_BATCH_MAX_FILES": "20"},
        )  # fmt: skip
        _drop(files, outbox, landing)
        wait_until(
            lambda: len(_recorded(place)) == 200, 480, 1, "two hundred returns being recorded"
        )
    recorded = _recorded(place)
    assert len({origin for origin, _ in recorded}) == 200
    holders = query(postgres_url, "SELECT DISTINCT split_part(claimed_by, ' ', 2) FROM file_claim")
    assert {h for (h,) in holders} == {"w1", "w2"}


def test_pimh_serve_runs_the_whole_service_and_its_ui_shows_the_run(
    landing: Path, tmp_path: Path
) -> None:
    """One command: a Prefect server with its UI, the deployments, a worker, the watcher.
    The run is in the UI, as a person sees it in Chromium; SIGTERM stops everything."""
    place = sqlite_place(tmp_path / "place")
    [source] = _returns(tmp_path / "outbox", 1)
    port = free_port()
    env = _environment(place, None)
    with processes() as running:
        serve = running.start(
            [*PIMH, "serve", str(landing), "--port", str(port)], env, place.root / "serve.log"
        )
        log = place.root / "serve.log"
        wait_until(
            lambda: "Watching" in log.read_text() or serve.poll() is not None,
            180,
            0.5,
            "the service starting",
        )
        assert serve.poll() is None, log.read_text()
        assert f"Prefect UI: http://127.0.0.1:{port}" in log.read_text()
        _drop([source], tmp_path / "outbox", landing)
        wait_until(lambda: len(_recorded(place)) == 1, 120, 0.5, "the return being recorded")
        name = "S08000015 Ayrshire and Arran 2019-20 Q1"
        _finished_run(f"http://127.0.0.1:{port}/api", name)
        assert name in _ui_text(f"http://127.0.0.1:{port}/runs", name)
        helpers = descendants(serve.pid)
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        assert serve.returncode == 0, log.read_text()
        wait_until(
            lambda: not any(alive(p) for p in helpers), 30, what="the server and worker stopping"
        )


def _ui_text(url: str, waiting_for: str) -> str:
    """What the page shows once `waiting_for` is drawn, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            page.goto(url)
            page.get_by_text(waiting_for).first.wait_for(timeout=60_000)
            return page.inner_text("body")
        finally:
            browser.close()
