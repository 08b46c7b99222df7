"""PostgreSQL goes away in the middle of a load, then comes back: nothing lost or doubled.

Connections are refused (and the open ones dropped) for some seconds between two load
transactions; the load's retries, or failing those a rerun, finish the quarter.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.queries import query
from tests.reliability import Place, run_ingest, snapshot, start_ingest
from tests.services import processes, wait_until
from tests.tcp_proxy import TcpProxy

OUTAGE_SECONDS = 8


@pytest.mark.postgres
def test_an_outage_mid_load_is_survived(
    postgres_url: str,
    quarter: tuple[Path, Path],
    prefect_api: str,
    clean: dict[str, Any],
    tmp_path: Path,
) -> None:
    direct = make_url(postgres_url)
    proxy = TcpProxy(direct.port or 5432)
    through = direct.set(port=proxy.port).render_as_string(hide_password=False)
    place = Place(tmp_path, through)
    try:
        with processes() as running:
            # The run pauses after its first load transaction: the moment to cut.
            run = start_ingest(
                running, place, *quarter, prefect_api,
                PIMH_FAULT_AT="after_load_chunk:1", PIMH_FAULT="pause:3",
            )  # fmt: skip
            first_chunk = "SELECT COUNT(*) FROM submission"
            wait_until(
                lambda: _count(postgres_url, first_chunk) > 0 or run.poll() is not None,
                180,
                0.05,
                "the first load transaction",
            )
            proxy.cut()
            time.sleep(OUTAGE_SECONDS)
            proxy.restore()
            wait_until(lambda: run.poll() is not None, 180, 0.2, "the run ending")
        if run.returncode != 0:  # the retries ran out first: a rerun finishes the quarter
            again = run_ingest(place, *quarter, prefect_api)
            assert again.returncode == 0, again.stdout + again.stderr
        assert snapshot(place, quarter[0]) == clean
    finally:
        proxy.close()


def _count(url: str, sql: str) -> int:
    try:
        return int(str(query(url, sql)[0][0]))
    except Exception:  # the schema is not there yet
        return 0
