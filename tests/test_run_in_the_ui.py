"""What the data team sees of a run in the Prefect UI: its name, tags, table and trackers,
and never a secret."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from config.settings import Settings, using_settings
from domain.records import SubmissionRecord
from flows.ingest import ingest_returns
from intake.summary import run_name, run_tags
from tests.builders import changed, valid_return, write

FIFE, LOTHIAN = "S08000029", "S08000024"
AT = dt.datetime(2022, 7, 20, 9, tzinfo=dt.UTC)


def _record(key: int, code: str | None, name: str | None, quarter: str | None) -> SubmissionRecord:
    return SubmissionRecord(
        key=key, sha256="0" * 64, size_bytes=1, archive_url="a", file_name="f.xlsx",
        origin_path=f"/l/{code}/f.xlsx", received_at=AT, status="accepted", reporter_code=code,
        reporter_name=name, financial_year="2022-23" if quarter else None, quarter=quarter,
    )  # fmt: skip


def test_a_run_is_named_for_what_it_holds() -> None:
    assert run_name([_record(0, FIFE, "Fife", "Q1")]) == "S08000029 Fife 2022-23 Q1"
    assert run_name([_record(0, None, None, None)]) == "(no reporter folder)"
    batch = [_record(i, code, None, "Q1") for i, code in enumerate([FIFE, FIFE, LOTHIAN])]
    assert run_name(batch) == "3 returns from 2 reporters"
    assert run_tags(batch) == [LOTHIAN, FIFE, "2022-23 Q1"]


def test_a_backfill_is_tagged_by_quarter_and_a_count_of_reporters() -> None:
    many = [_record(i, f"SC{i:06d}", None, "Q1") for i in range(100)]

    assert run_tags(many) == ["2022-23 Q1", "100 reporters"]


@pytest.mark.usefixtures("prefect_harness")
def test_the_run_shows_its_returns_and_quarter_and_no_secret(
    landing: Path, settings: Settings
) -> None:
    """Named and tagged from what it read; a table of its returns in plain English; the
    quarter's tracker one click away; the parameters hold the landing area alone."""
    from prefect import get_client
    from prefect.artifacts import Artifact
    from prefect.client.schemas.objects import Artifact as StoredArtifact

    write(landing / FIFE / "fife.xlsx", changed(valid_return(FIFE), "Staffing", 0, 3, 2.4))
    with using_settings(settings):
        state = ingest_returns([str(landing)], return_state=True)

    run_id = state.state_details.flow_run_id
    assert run_id is not None
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.name == "S08000029 Fife 2022-23 Q1"
    assert {FIFE, "2022-23 Q1"} <= set(run.tags)
    assert set(run.parameters) == {"locations", "settled"}
    assert settings.warehouse_url not in str(run.parameters)

    summary = Artifact.get("ingest-summary")
    assert isinstance(summary, StoredArtifact)
    [row] = json.loads(str(summary.data))
    assert (row["code"], row["reporter"], row["quarter"], row["status"]) == (
        FIFE, "Fife", "2022-23 Q1", "accepted",
    )  # fmt: skip
    assert "In post WTE" in row["first problems"]
    assert row["feedback report"].endswith(".html")
    tracker = Artifact.get("tracker-2022-23-q1")
    assert isinstance(tracker, StoredArtifact)
    assert "| S08000029 | Fife | late |" in str(tracker.data)  # received today: after the due date
    assert "13 missing" in str(tracker.data)


def _trackers_published(run_id: object) -> dict[str, str]:
    """The tracker artifacts a flow run published, by key, with their Markdown."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return {a.key: str(a.data) for a in found if a.key and a.key.startswith("tracker-")}


@pytest.mark.usefixtures("prefect_harness")
def test_a_backfill_publishes_its_latest_trackers_and_keeps_every_shown_one_up_to_date(
    landing: Path, settings: Settings
) -> None:
    """Three quarters at once with room for two new trackers: the latest two. A later run
    with room for none still brings the two shown up to date, and adds no other."""
    for quarter in ("Q2", "Q3", "Q4"):
        write(landing / FIFE / f"fife {quarter}.xlsx", valid_return(FIFE, "2023-24", quarter))
    with using_settings(settings.model_copy(update={"trackers_per_run": 2})):
        first = ingest_returns([str(landing)], return_state=True)

    published = _trackers_published(first.state_details.flow_run_id)
    assert sorted(published) == ["tracker-2023-24-q3", "tracker-2023-24-q4"]
    assert "| S08000029 | Fife | late |" in published["tracker-2023-24-q4"]
    assert "| S08000024 | Lothian | missing |" in published["tracker-2023-24-q4"]

    for quarter in ("Q2", "Q3", "Q4"):
        write(
            landing / LOTHIAN / f"lothian {quarter}.xlsx",
            valid_return(LOTHIAN, "2023-24", quarter),
        )
    with using_settings(settings.model_copy(update={"trackers_per_run": 0})):
        second = ingest_returns([str(landing)], return_state=True)

    published = _trackers_published(second.state_details.flow_run_id)
    assert sorted(published) == ["tracker-2023-24-q3", "tracker-2023-24-q4"]
    assert "| S08000024 | Lothian | late |" in published["tracker-2023-24-q3"]


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_that_changes_no_tracker_publishes_none_again(
    landing: Path, settings: Settings
) -> None:
    """The same return sent again (a duplicate) leaves the quarter's tracker as it read:
    the version shown stays the latest, and the second run adds no copy of it."""
    from prefect.artifacts import Artifact
    from prefect.client.schemas.objects import Artifact as StoredArtifact

    workbook = valid_return(FIFE, "2023-24", "Q2")
    write(landing / FIFE / "fife.xlsx", workbook)
    with using_settings(settings):
        first = ingest_returns([str(landing)], return_state=True)
    assert list(_trackers_published(first.state_details.flow_run_id)) == ["tracker-2023-24-q2"]

    write(landing / FIFE / "fife again.xlsx", workbook)
    with using_settings(settings):
        second = ingest_returns([str(landing)], return_state=True)

    assert second.is_completed()
    assert _trackers_published(second.state_details.flow_run_id) == {}
    latest = Artifact.get("tracker-2023-24-q2")
    assert isinstance(latest, StoredArtifact)
    assert latest.flow_run_id == first.state_details.flow_run_id
    assert "| S08000029 | Fife | late |" in str(latest.data)
