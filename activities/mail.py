"""Sending e-mail: the Mailer interface, SMTP through aiosmtplib, and the development sink
(nothing leaves the machine; the outbox at `GET /notifications` shows what was sent)."""

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib


class Mailer(Protocol):
    """Raises on a message the server did not take (the notifier retries it)."""

    name: str

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None: ...


class SmtpMailer:
    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 10,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        # The same id on a resent message: a receiving server or client can drop the copy.
        message["Message-ID"] = message_id
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            start_tls=self.starttls,
            timeout=self.timeout,
        )


class OutboxSink:
    """Development: a message counts as sent where it stands, in the outbox."""

    name = "sink"

    async def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        return None
