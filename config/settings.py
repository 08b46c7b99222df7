"""Configuration, from `PIMH_*` environment variables (or a `.env` file) with safe defaults."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import cast

from pydantic import AwareDatetime, Field, SecretStr, model_validator
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
    # --- plausibility: warnings on implausible changes since the previous quarter --------
    plausibility_wte_change: float = Field(
        0.5,
        description="Warn when a service's funded WTE (per staff group) changes by more than "
        "this fraction of last quarter's (0.5: by more than 50%).",
    )
    plausibility_count_factor: float = Field(
        2.0,
        description="Warn when open caseload or referrals reach this many times last quarter's "
        "figure, or fall to 1/this of it (2: doubling or halving).",
    )
    plausibility_allocation_tolerance_gbp: float = Field(
        0.0,
        description="Warn when a year's allocation (or a charity's grant) differs from last "
        "quarter's of the same financial year by more than this many pounds.",
    )
    plausibility_spend_factor: float = Field(
        1.0,
        description="Warn when spend in a quarter is above this multiple of the year's "
        "allocation (or grant).",
    )
    # --- the service: watching the landing area and running on Prefect --------------------
    trackers_per_run: int = Field(
        4,
        ge=0,
        description="A run publishes the tracker artifact of at most this many new quarters, "
        "its latest (a backfill touches dozens); a quarter whose tracker artifact exists is "
        "always brought up to date.",
    )
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
    batch_max_files: int = Field(200, description="Most files handled by one ingest run.")
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

    # --- telling reporters by email (off unless PIMH_SMTP_HOST is set) -------------------
    smtp_host: str | None = Field(
        None, description="Mail server reporters' emails are sent through; unset: no email."
    )
    smtp_port: int = Field(587, description="The mail server's port (587: submission).")
    smtp_starttls: bool = Field(
        True, description="Upgrade the connection with STARTTLS before logging in."
    )
    smtp_username: str | None = Field(None, description="User to log in to the mail server as.")
    smtp_password: SecretStr | None = Field(
        None, description="Password for the mail server (never shown or logged)."
    )
    smtp_from: str = Field(
        "PIMH data team <pimh@localhost>", description="The From address of reporters' emails."
    )
    smtp_timeout_seconds: float = Field(30.0, description="Longest wait for the mail server.")
    email_pickup_url: str | None = Field(
        None,
        description="With no PIMH_SMTP_HOST: folder or fsspec URL where the emails are "
        "written as .eml files instead of being sent (the demo uses this).",
    )
    email_max_attempts: int = Field(
        10, description="Attempts at an email before it is given up (shown in pimh status)."
    )
    email_retry_seconds: float = Field(
        60.0, description="Wait before an email that failed is tried again; doubles each time."
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
