"""Prefect's API server started as `pimh ingest` begins: up during the command, gone after.

`pimh ingest` starts Prefect's temporary server itself, in the background, so that it
boots while the command loads the register and the files. It must never outlive the
command, whether the command ends normally or is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pimh.prefect_env import RECORDER_BATCHING
from pimh.prefect_server import STARTED_BY
from tests.builders import valid_return, write


def _servers_of(pid: int) -> list[int]:
    """Processes whose environment says the command `pid` started them."""
    marker = f"{STARTED_BY}={pid}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environment.split(b"\0"):
            found.append(int(entry.name))
    return found


def _command(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    landing = tmp_path / "landing" / "S08000024"
    landing.mkdir(parents=True)
    write(landing / "Lothian 2022-23 Q1.xlsx", valid_return())
    env = {
        **os.environ,
        "PIMH_ARCHIVE_URL": str(tmp_path / "archive"),
        "PIMH_FEEDBACK_URL": str(tmp_path / "feedback"),
        "PIMH_SETTLE_SECONDS": "0",
    }
    env.pop("PREFECT_API_URL", None)
    command = [
        sys.executable, "-m", "pimh", "ingest", str(tmp_path / "landing"),
        "--warehouse", f"sqlite:///{tmp_path / 'warehouse.db'}",
    ]  # fmt: skip
    return command, env


def _wait_for_server(process: subprocess.Popen[str], seconds: float = 120) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        servers = _servers_of(process.pid)
        if servers:
            return servers
        time.sleep(0.05)
    return []


def test_the_server_runs_during_the_command_and_stops_with_it(tmp_path: Path) -> None:
    command, env = _command(tmp_path)
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    servers = _wait_for_server(process)
    environments = [_environment(pid) for pid in servers]
    output, _ = process.communicate(timeout=240)

    assert process.returncode == 0, output
    assert "1 accepted" in output
    assert servers, "the command did not start Prefect's API server"
    _assert_gone_soon(process.pid)
    # Its one client is the command: it records task runs in batches.
    for environment in environments:
        assert {name: environment.get(name) for name in RECORDER_BATCHING} == RECORDER_BATCHING


def _environment(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(e.decode().partition("=")[::2] for e in entries if b"=" in e)


def test_the_server_dies_with_a_killed_command(tmp_path: Path) -> None:
    command, env = _command(tmp_path)
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    servers = _wait_for_server(process)
    assert servers, "the command did not start Prefect's API server"

    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    _assert_gone_soon(process.pid)


def _assert_gone_soon(pid: int, seconds: float = 15) -> None:
    """The server was told to stop as the command ended; it finishes within seconds."""
    deadline = time.monotonic() + seconds
    while _servers_of(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _servers_of(pid) == []


def test_runs_against_a_temporary_server_send_no_heartbeats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Heartbeats are off for a temporary server, and left as configured for a real one."""
    from prefect.settings import get_current_settings

    from pimh.prefect_server import temporary_server_settings

    configured = get_current_settings().flows.heartbeat_frequency
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_server_settings():
        assert get_current_settings().flows.heartbeat_frequency is None
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example.org/api")
    with temporary_server_settings():
        assert get_current_settings().flows.heartbeat_frequency == configured
    assert configured is not None
