"""Prefect's temporary API server, started when a command begins rather than at its first flow.

With no PREFECT_API_URL, Prefect starts a temporary local API server the first time a flow
runs, and the command waits for it: most of a cold `pimh ingest` on these machines. A
command that will run flows starts that same server (Prefect's own app, served by uvicorn
as Prefect serves it, on the same PREFECT_HOME database, so no migrations are paid again)
the moment it begins, so that it boots on the other core while the command loads its
modules, the register and the files; the flow then finds it up. The server stops when the
command ends and, on Linux, dies with the command if the command is killed.

Nothing changes when PREFECT_API_URL is set (a real server), or when Prefect has already
been imported in this process (its settings are read by then), e.g. under pytest.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

import httpx

from connectors.lifeline import die_with_parent
from pimh.prefect_env import RECORDER_BATCHING

STARTED_BY = "PIMH_PREFECT_SERVER_FOR_PID"
_STARTUP_SECONDS = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))


@dataclass(slots=True)
class BackgroundApi:
    process: subprocess.Popen[bytes]
    api_url: str
    log_path: Path
    log: IO[bytes]
    healthy: bool = False

    def wait_until_healthy(self, timeout: float = _STARTUP_SECONDS) -> None:
        """Block until the API answers; a plain RuntimeError (naming its log) if it never does."""
        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while not self.healthy:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"Prefect's local API server stopped while starting (exit code "
                        f"{self.process.returncode}); its log is {self.log_path}."
                    )
                with contextlib.suppress(httpx.TransportError):
                    self.healthy = client.get(f"{self.api_url}/health").status_code == 200
                if not self.healthy:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"Prefect's local API server did not start within {timeout:g} s; "
                            f"its log is {self.log_path}."
                        )
                    time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server and wait for it: a server still shutting down would hold
        Prefect's database while the next command's server starts."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


_started: list[BackgroundApi] = []


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _prefect_home() -> Path:
    home = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def start_prefect_api() -> BackgroundApi | None:
    """Start the server once and point this process's Prefect at it (see the module doc)."""
    if _started:
        return _started[0]
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:
        return None
    if os.environ.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "true").lower() in ("0", "false"):
        return None
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return None
    package_parent = Path(next(iter(spec.submodule_search_locations))).parent
    port = _free_port()
    log_path = _prefect_home() / "pimh-api-server.log"
    log = log_path.open("wb")
    # The command Prefect itself runs for its temporary server.
    command = [
        sys.executable, "-m", "uvicorn",
        "--app-dir", str(package_parent),
        "--factory", "prefect.server.api.server:create_app",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env={
            **os.environ,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            # Its one client is this command: task runs recorded in batches (unless set).
            **{name: os.environ.get(name, value) for name, value in RECORDER_BATCHING.items()},
            # Which command started this server: for an operator's `ps e`, and for tests.
            STARTED_BY: str(os.getpid()),
        },
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Dies with this command, however the command dies (SIGTERM: it can shut down).
        preexec_fn=partial(die_with_parent, signal.SIGTERM),  # noqa: PLW1509
    )
    api = BackgroundApi(process, f"http://127.0.0.1:{port}/api", log_path, log)
    os.environ["PREFECT_API_URL"] = api.api_url
    _started.append(api)
    atexit.register(api.stop)
    return api


def wait_for_prefect_api() -> None:
    """Before the first flow: wait for the server `start_prefect_api` started, if any."""
    if _started:
        _started[0].wait_until_healthy()


@contextmanager
def temporary_server_settings() -> Iterator[None]:
    """Settings for flow runs against a temporary API server (ours or Prefect's own).

    Flow-run heartbeats let a long-lived server notice a run whose process died; a
    temporary server lives and dies with this process, so it has nothing to notice, and
    each run would wait up to a second at its end for the heartbeat thread to stop. With
    PREFECT_API_URL pointing at a real server, runs keep their heartbeats.
    """
    if _started or not os.environ.get("PREFECT_API_URL"):
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
    else:
        yield


def start_local_server(port: int = 0) -> BackgroundApi:
    """A Prefect server with its UI on a loopback port (a free one for 0), for `pimh serve`.

    It keeps its runs in PREFECT_HOME's database, lives as long as the command that
    started it, and dies with it however the command dies.
    """
    port = port or _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    log_path = _prefect_home() / "pimh-server.log"
    log = log_path.open("wb")
    command = [
        sys.executable, "-m", "prefect", "server", "start",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env={
            **os.environ,
            "PREFECT_UI_ENABLED": "true",
            "PREFECT_UI_API_URL": os.environ.get("PREFECT_UI_API_URL", api_url),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        },
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=partial(die_with_parent, signal.SIGTERM),  # noqa: PLW1509
    )
    server = BackgroundApi(process, api_url, log_path, log)
    atexit.register(server.stop)
    return server
