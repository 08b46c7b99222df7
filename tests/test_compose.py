"""The compose file describes the production stack the README points to."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_the_warehouse_database_and_a_prefect_server() -> None:
    """It defines PostgreSQL and a Prefect server that stores its state in that PostgreSQL."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "prefect-server"}
    prefect = services["prefect-server"]
    assert "postgres:5432/prefect" in prefect["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert prefect["depends_on"]["postgres"]["condition"] == "service_healthy"
    init = services["postgres"]["volumes"][1].split(":")[0]
    assert "CREATE DATABASE prefect" in (ROOT / init).read_text()
