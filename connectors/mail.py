"""Handing emails to a mail server (SMTP), or writing them as .eml files where none is set.

The standard library's smtplib speaks SMTP with STARTTLS and login; nothing else is
needed. One connection serves a run's emails. The password is taken from its SecretStr
only to log in and appears in no message or error this module makes.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType
from typing import Protocol, Self

import fsspec

from config.settings import Settings

Traceback = TracebackType | None


class Mailer(Protocol):
    """Somewhere emails go: opened once per run, then one message at a time."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def send(self, message: EmailMessage, folder: str, name: str) -> None: ...


class SmtpMailer:
    """A connection to the configured SMTP server, logged in when a username is set."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        s = self._settings
        smtp = smtplib.SMTP(str(s.smtp_host), s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            smtp.ehlo()
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_username, password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None

    def send(self, message: EmailMessage, folder: str, name: str) -> None:  # noqa: ARG002
        """Hand one message to the server; raises when it refuses any recipient."""
        if self._smtp is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        refused = self._smtp.send_message(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


class PickupMailer:
    """Writes each email as `<url>/<folder>/<name>.eml` instead of sending it (a pickup
    folder, as mail servers have): what would be sent, to read or hand on."""

    def __init__(self, url: str) -> None:
        self._url = url.rstrip("/")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def send(self, message: EmailMessage, folder: str, name: str) -> None:
        fs, root = fsspec.core.url_to_fs(self._url)
        fs.makedirs(f"{root}/{folder}", exist_ok=True)
        fs.pipe_file(f"{root}/{folder}/{name}.eml", message.as_bytes())


def mailer_for(settings: Settings) -> Mailer | None:
    """Where this run's emails go: the SMTP server, else the pickup folder, else nowhere
    (email is off)."""
    if settings.smtp_host:
        return SmtpMailer(settings)
    if settings.email_pickup_url:
        return PickupMailer(settings.email_pickup_url)
    return None


def without_secrets(text: str, settings: Settings) -> str:
    """`text` (an error to record) with the SMTP password, should it appear, blotted out."""
    if settings.smtp_password:
        secret = settings.smtp_password.get_secret_value()
        if secret:
            text = text.replace(secret, "********")
    return text
