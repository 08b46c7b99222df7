"""A real SMTP server for the email tests: aiosmtpd on a free loopback port, always stopped.

It keeps every message it is handed, with the envelope's recipients (who the message was
really sent to, whatever its To header says). It can be stopped and started again on the
same port, as a mail server that goes away and comes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.services import free_port


@dataclass(frozen=True)
class Received:
    """One message as the server took it."""

    recipients: list[str]
    message: EmailMessage

    def attachments(self) -> dict[str, bytes]:
        found = {}
        for part in self.message.iter_attachments():
            payload = part.get_payload(decode=True)
            found[str(part.get_filename())] = payload if isinstance(payload, bytes) else b""
        return found

    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return cast(EmailMessage, body).get_content() if body is not None else ""


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _only(username: str, password: str) -> Any:
    """An authenticator admitting one user with one password (over plain text: a test)."""

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


class MailServer:
    """The test's mail server; `messages` holds what it took, across restarts. With
    `login`, it requires that user and password."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self._keeper = _Keeper()
        self._controller: Controller | None = None
        self._auth: dict[str, Any] = {}
        if login is not None:
            self._auth = {
                "authenticator": _only(*login),
                "auth_required": True,
                "auth_require_tls": False,
            }

    @property
    def messages(self) -> list[Received]:
        return self._keeper.messages

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(
                self._keeper, hostname="127.0.0.1", port=self.port, **self._auth
            )
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def environment(self) -> dict[str, str]:
        """The PIMH_SMTP_* settings that send through this server."""
        return {
            "PIMH_SMTP_HOST": "127.0.0.1",
            "PIMH_SMTP_PORT": str(self.port),
            "PIMH_SMTP_STARTTLS": "false",
            "PIMH_SMTP_FROM": "PIMH data team <pimh@data-team.example>",
        }


@contextmanager
def mail_server(
    *, started: bool = True, login: tuple[str, str] | None = None
) -> Iterator[MailServer]:
    server = MailServer(login)
    try:
        if started:
            server.start()
        yield server
    finally:
        server.stop()
