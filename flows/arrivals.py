"""Handing a batch of landed files to Prefect: an event for each, a deployment run for all.

Every settled file is a `pimh.return.landed` event (the file and its reporter as its
resources), so the UI's event feed shows each arrival. The batch becomes one run of the
ingest deployment through `run_deployment`, rather than a deployment trigger per event:
a trigger would make one run per file, and a storm of 500 files 500 runs; a batch is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from prefect.deployments import run_deployment
from prefect.events import emit_event

from connectors.landing import discover
from domain.records import LandedFile
from domain.reference import BOARDS
from flows.service import INGEST_DEPLOYMENT

LANDED_EVENT: Final = "pimh.return.landed"


def landed_files(urls: Sequence[str]) -> list[LandedFile]:
    """What the storage says of each URL (a file gone since is left out)."""
    found: list[LandedFile] = []
    for url in urls:
        try:
            found.extend(discover(url))
        except FileNotFoundError:
            continue
    return found


def announce(landed: Sequence[LandedFile]) -> None:
    """One `pimh.return.landed` event per file, visible in the Prefect UI's event feed."""
    for file in landed:
        reporter = file.reporter_code or "unassigned"
        emit_event(
            event=LANDED_EVENT,
            resource={
                "prefect.resource.id": f"pimh.file.{file.url}",
                "prefect.resource.name": file.file_name,
            },
            related=[
                {
                    "prefect.resource.id": f"pimh.reporter.{reporter}",
                    "prefect.resource.role": "reporter",
                    "prefect.resource.name": BOARDS.get(reporter, reporter),
                }
            ],
            payload={"url": file.url, "size": file.size, "folder": file.folder},
        )


def batch_name(landed: Sequence[LandedFile]) -> str:
    """A batch's run name until the run has read it (it then adds the quarter)."""
    if len(landed) == 1:
        code = landed[0].reporter_code
        return f"{code} {BOARDS[code]}" if code in BOARDS else (code or "(no reporter folder)")
    senders = len({f.reporter_code for f in landed} - {None})
    return f"{len(landed)} returns from {senders} reporter{'' if senders == 1 else 's'}"


def submit_batch(urls: Sequence[str]) -> str:
    """Announce the batch's files and start an ingest deployment run for them; its name.

    Returns at once: the run is picked up by a worker of the work pool.
    """
    landed = landed_files(urls)
    announce(landed)
    name = batch_name(landed)
    run_deployment(
        INGEST_DEPLOYMENT,
        parameters={"locations": [file.url for file in landed], "settled": True},
        flow_run_name=name,
        tags=sorted({"pimh", *(f.reporter_code for f in landed if f.reporter_code)}),
        timeout=0,
        as_subflow=False,
    )
    return name
