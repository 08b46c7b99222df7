"""Two and four `pimh ingest` runs at once over one landing area: each file once.

Before, two runs loaded everything twice (2,016 submissions for 1,008 files, every fact
table doubled), and on an empty PostgreSQL database the second died in the migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.reliability import Place, snapshot, sqlite_place, start_ingest
from tests.services import processes, wait_until
from warehouse.engine import open_warehouse
from warehouse.migrate import upgrade


def _place(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Place:
    if backend == "sqlite":
        return sqlite_place(tmp_path)
    url = request.getfixturevalue("postgres_url")
    return Place(tmp_path, make_url(url).render_as_string(hide_password=False))


@pytest.mark.parametrize(
    ("backend", "runs", "migrated"),
    [
        ("sqlite", 2, False),
        ("sqlite", 4, True),
        pytest.param("postgres", 4, False, marks=pytest.mark.postgres),
        pytest.param("postgres", 2, True, marks=pytest.mark.postgres),
    ],
)
def test_runs_at_once_record_and_load_each_file_once(
    backend: str,
    runs: int,
    migrated: bool,
    *,
    quarter: tuple[Path, Path],
    prefect_api: str,
    clean: dict[str, Any],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Every run ends well, and the warehouse and feedback are those of one clean run."""
    place = _place(backend, tmp_path, request)
    if migrated:
        engine = open_warehouse(place.warehouse_url)
        upgrade(engine)
        engine.dispose()
    with processes() as running:
        started = [start_ingest(running, place, *quarter, prefect_api) for _ in range(runs)]
        wait_until(lambda: all(p.poll() is not None for p in started), 300, 0.2, "every run ending")
        logs = [(place.root / f"ingest-{n}.log").read_text() for n in range(runs)]
        assert [p.returncode for p in started] == [0] * runs, logs

    assert snapshot(place, quarter[0]) == clean
