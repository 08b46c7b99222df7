"""Configuration, from `PIMH_*` environment variables (or a `.env` file) with safe defaults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import cast

from pydantic import AwareDatetime, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the warehouse, archive and feedback live, and the limits a return must keep to."""

    model_config = SettingsConfigDict(env_prefix="PIMH_", env_file=".env", extra="ignore")

    warehouse_url: str = Field("sqlite:///pimh.db", description="SQLAlchemy URL of the warehouse.")
    warehouse_url_secret: str | None = Field(
        None,
        description="Name of a Prefect Secret block holding the warehouse URL (with its "
        "password); when set, it wins over PIMH_WAREHOUSE_URL.",
    )
    archive_url: str = Field(
        "pimh-archive", description="Folder or fsspec URL of the archive of received files."
    )
    feedback_url: str | None = Field(
        None,
        description="Folder or fsspec URL for feedback reports; default: a 'feedback' folder "
        "beside the landing area.",
    )
    quality_docs_dir: Path | None = Field(
        None,
        description="Local folder the quality checks build their Data Docs (HTML) into; "
        "default: a 'quality-docs' folder beside a local feedback folder, else "
        "'pimh-quality-docs' in the working directory.",
    )
    max_file_bytes: int = Field(20_000_000, description="Largest return accepted, in bytes.")
    max_expanded_bytes: int = Field(
        200_000_000, description="Largest a workbook may expand to when unzipped, in bytes."
    )
    settle_seconds: float = Field(2.0, description="A file is taken once unchanged for this long.")
    settle_timeout_seconds: float = Field(
        60.0, description="Files still changing after this long wait for the next run."
    )
    reader_processes: int = Field(
        2, description="Worker processes reading workbooks; 0 reads in-process (no isolation)."
    )
    reader_memory_mb: int = Field(
        1024,
        description="Memory each reader worker may allocate, in MB (0: no cap). A workbook "
        "needing more is rejected as unreadable; the rest of the batch is read as usual.",
    )
    load_chunk_size: int = Field(500, description="Returns written per transaction.")
    claim_lease_seconds: float = Field(
        1800.0,
        description="How long a run's claim on a file lasts: a file claimed by a run that "
        "died on another machine is taken again after this (on this machine, at once).",
    )
    # --- the service: watching the landing area and running on Prefect --------------------
    close_quiet_seconds: float = Field(
        0.25,
        description="A local file is taken this long after it was last closed after writing "
        "(and not changed since).",
    )
    watch_poll_seconds: float = Field(
        5.0,
        description="How often a landing area on object storage (s3://, abfs://, memory://) "
        "is listed for new files.",
    )
    batch_max_files: int = Field(100, description="Most files handled by one ingest run.")
    batch_quiet_seconds: float = Field(
        0.5,
        description="Files arriving within this long of each other are gathered into one run.",
    )
    batch_max_wait_seconds: float = Field(
        3.0, description="Longest a settled file waits for others to join its run."
    )
    sweep_minutes: float = Field(
        60.0,
        description="How often the service sweeps the landing area for files with no record "
        "(an event lost anywhere is recovered then).",
    )
    work_pool: str = Field("pimh", description="The Prefect work pool the deployments run on.")
    arrival_time: AwareDatetime | None = Field(
        None,
        description="Record files as received at this time instead of now: for loading "
        "history whose arrival dates are known (and the demo's timeline). ISO 8601 with a "
        "time zone, e.g. 2022-07-20T09:00:00+00:00.",
    )

    def quality_docs_folder(self) -> Path:
        """Where `pimh quality` and the check-warehouse flow build their Data Docs."""
        if self.quality_docs_dir is not None:
            return self.quality_docs_dir
        feedback = self.feedback_url
        if feedback and feedback.startswith("file://"):
            feedback = feedback.removeprefix("file://")
        if feedback and "://" not in feedback:
            return Path(feedback).parent / "quality-docs"
        return Path("pimh-quality-docs")

    @model_validator(mode="after")
    def _warehouse_from_secret(self) -> Settings:
        """The warehouse URL from its Prefect Secret block, so no password need sit in the
        environment of every worker; read once, when the settings are made."""
        if self.warehouse_url_secret:
            from prefect.blocks.system import Secret

            secret = Secret.load(self.warehouse_url_secret, _sync=True)  # type: ignore[call-arg]
            self.warehouse_url = str(cast("Secret[str]", secret).get())
        return self


_current: ContextVar[Settings | None] = ContextVar("pimh_settings", default=None)


def current_settings() -> Settings:
    """The settings of the command or test running now, else those of the environment.

    Flows take no settings as parameters (Prefect shows parameters in its UI, and the
    warehouse URL can hold a password): whoever runs a flow in this process says which
    settings it runs with through `using_settings`; a flow run a worker starts reads the
    environment.
    """
    chosen = _current.get()
    return chosen if chosen is not None else Settings()


@contextmanager
def using_settings(settings: Settings) -> Iterator[Settings]:
    """Run flows in this block with `settings` (see `current_settings`)."""
    token = _current.set(settings)
    try:
        yield settings
    finally:
        _current.reset(token)
