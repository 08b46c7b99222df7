"""The password given to a read-only warehouse role, from the environment only.

Kept apart from `config.settings`: the pipeline never needs it, so it never travels with
the pipeline's settings. Never a command-line flag (shell history, `ps`).
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReadOnlyAccess(BaseSettings):
    """`PIMH_READONLY_PASSWORD`: the password `pimh warehouse grant-readonly` sets."""

    model_config = SettingsConfigDict(env_prefix="PIMH_", env_file=".env", extra="ignore")

    readonly_password: SecretStr | None = Field(
        None, description="Password for the read-only role being created or updated."
    )
