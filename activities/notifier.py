"""Delivering the outbox and the webhooks: due rows taken a batch at a time (locked, so two
notifiers never send one twice), sent through the mailer or as signed HTTP POSTs, retried
with exponential backoff, and after the last try kept as dead letters for a person to retry
(`POST /notifications/{id}/retry`, `POST /webhooks/deliveries/{id}/retry`)."""

import asyncio
import json
import logging
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select
from temporalio import activity

from activities.mail import Mailer
from db.engine import SessionFactory
from db.models import Notification, User, WebhookDelivery, WebhookSubscription
from domain.webhooks import EVENT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, signature

PENDING, SENT, DEAD = "pending", "sent", "dead"
log = logging.getLogger(__name__)


class NoAddress(Exception):
    """A staff member without an e-mail address."""


class Refused(Exception):
    """A webhook receiver answered other than 2xx."""


# A subscriber's share of one batch of webhook deliveries.
PER_SUBSCRIBER = 5
# A subscriber must answer within 10 s, and accept the connection within 3.
WEBHOOK_TIMEOUT = httpx.Timeout(10, connect=3)


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
                    self._failed(message, exc, now)
                    continue
                message.status, message.sent_at, message.last_error = SENT, now, None
            return len(due)

    async def _post(
        self,
        http: httpx.AsyncClient,
        delivery: WebhookDelivery,
        subscription: WebhookSubscription,
        now: datetime,
    ) -> None:
        """One delivery's try; its outcome is written on the row (the caller commits)."""
        body = json.dumps(
            {
                "id": delivery.event_id,
                "type": delivery.event,
                "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload,
            },
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(subscription.secret, int(now.timestamp()), body),
            EVENT_ID_HEADER: delivery.event_id,
            EVENT_HEADER: delivery.event,
        }
        try:
            answer = await http.post(subscription.url, content=body, headers=headers)
            delivery.response_status = answer.status_code
            if not answer.is_success:
                raise Refused(f"HTTP {answer.status_code}")
        except Exception as exc:
            self._failed(delivery, exc, now)
            return
        delivery.status, delivery.delivered_at, delivery.last_error = SENT, now, None

    @activity.defn(name="deliver_webhooks")
    async def deliver_webhooks(self, limit: int) -> int:
        """POSTs up to `limit` due webhook deliveries, signed; 2xx counts as delivered."""
        async with (
            self.sessions.begin() as session,
            httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as http,
        ):
            now = await session.scalar(select(func.now()))
            assert now is not None
            # Each subscriber its share of a batch, oldest first: a subscriber whose endpoint
            # is down and whose backlog is long must not starve the others.
            turn = (
                func.row_number()
                .over(
                    partition_by=WebhookDelivery.subscription_id,
                    order_by=(WebhookDelivery.next_attempt_at, WebhookDelivery.id),
                )
                .label("turn")
            )
            ranked = (
                select(WebhookDelivery.id, WebhookDelivery.next_attempt_at, turn)
                .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
                .subquery()
            )
            chosen = (
                select(ranked.c.id)
                .where(ranked.c.turn <= PER_SUBSCRIBER)
                .order_by(ranked.c.next_attempt_at, ranked.c.id)
                .limit(limit)
            )
            due = list(
                await session.execute(
                    select(WebhookDelivery, WebhookSubscription)
                    .join(
                        WebhookSubscription,
                        WebhookSubscription.id == WebhookDelivery.subscription_id,
                    )
                    .where(WebhookDelivery.id.in_(chosen), WebhookDelivery.status == PENDING)
                    .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                    .with_for_update(skip_locked=True, of=WebhookDelivery)
                )
            )
            # All at once: one subscriber that hangs until the timeout must not hold up the
            # others' deliveries behind it (found with many dead subscriber URLs in the suite).
            await asyncio.gather(*(self._post(http, d, s, now) for d, s in due))
            return len(due)

    def _failed(self, row: Notification | WebhookDelivery, exc: Exception, now: datetime) -> None:
        """Another try later (exponential backoff), or a dead letter after the last."""
        row.attempts += 1
        # The error's kind and the other side's words; kept for operations, not logged.
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= self.max_attempts:
            row.status = DEAD
            log.warning("%s %s is a dead letter", type(row).__name__, row.id)
        else:
            row.next_attempt_at = now + self.backoff * (2 ** (row.attempts - 1))
