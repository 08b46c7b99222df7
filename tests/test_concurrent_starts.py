"""Several commands, watchers or workers starting at once against one empty warehouse.

Before, the second of two `pimh ingest` runs on an empty PostgreSQL database died in the
migration (`duplicate key value violates unique constraint "pg_type_typname_nsp_index"`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from warehouse.engine import open_warehouse
from warehouse.migrate import head_revision

UPGRADE = (
    "import sys; sys.path.insert(0, sys.argv[2]);"
    "from warehouse.engine import open_warehouse; from warehouse.migrate import upgrade;"
    "upgrade(open_warehouse(sys.argv[1])); print('migrated')"
)


def test_four_starts_at_once_migrate_an_empty_warehouse_once(warehouse_url: str) -> None:
    """Four processes upgrade the same empty database together: all succeed, one schema."""
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE, warehouse_url, str(Path.cwd())],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [start.communicate(timeout=180) for start in starts]

    assert [start.returncode for start in starts] == [0, 0, 0, 0], [err for _, err in results]
    engine = open_warehouse(warehouse_url)
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            boards = connection.execute(text("SELECT COUNT(*) FROM dim_board")).scalar_one()
            views = connection.execute(text("SELECT COUNT(*) FROM view_fingerprint")).scalar_one()
    finally:
        engine.dispose()
    assert revision == [(head_revision(),)]
    assert boards == 14
    assert views > 0
