"""Delivering the outbox: due messages taken a batch at a time (rows locked, so two notifiers
never send one twice), sent through the mailer, retried with exponential backoff, and after
the last try kept as dead letters for a person to retry (`POST /notifications/{id}/retry`)."""

import logging
from datetime import timedelta

from sqlalchemy import func, select
from temporalio import activity

from activities.mail import Mailer
from db.engine import SessionFactory
from db.models import Notification, User

PENDING, SENT, DEAD = "pending", "sent", "dead"
log = logging.getLogger(__name__)


class NoAddress(Exception):
    """A staff member without an e-mail address."""


class NotifierActivities:
    def __init__(
        self,
        sessions: SessionFactory,
        mailer: Mailer,
        max_attempts: int = 6,
        backoff: timedelta = timedelta(seconds=30),
    ) -> None:
        self.sessions = sessions
        self.mailer = mailer
        self.max_attempts = max_attempts
        self.backoff = backoff

    @activity.defn(name="deliver_notifications")
    async def deliver_notifications(self, limit: int) -> int:
        """Sends up to `limit` due messages; returns how many it took (sent or not)."""
        async with self.sessions.begin() as session:
            now = await session.scalar(select(func.now()))
            assert now is not None
            due = list(
                await session.scalars(
                    select(Notification)
                    .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
                    .order_by(Notification.next_attempt_at, Notification.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            for message in due:
                try:
                    address = message.recipient
                    if "@" not in address:  # a username: staff
                        person = await session.get(User, address)
                        if person is None or not person.email:
                            raise NoAddress(f"{address} has no e-mail address")
                        address = person.email
                    await self.mailer.send(
                        address,
                        message.subject,
                        message.body,
                        f"<notification-{message.id}@orderflow>",
                    )
                except Exception as exc:
                    message.attempts += 1
                    # The error's kind and the server's words; kept for operations, not logged.
                    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    if message.attempts >= self.max_attempts:
                        message.status = DEAD
                        log.warning("notification %s is a dead letter", message.id)
                    else:
                        wait = self.backoff * (2 ** (message.attempts - 1))
                        message.next_attempt_at = now + wait
                    continue
                message.status, message.sent_at, message.last_error = SENT, now, None
            return len(due)
