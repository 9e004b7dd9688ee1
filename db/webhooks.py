"""Events for upstream systems, written as deliveries in the transaction of the change behind
them (one per active subscription to the event); the notifier delivers them."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import WebhookDelivery, WebhookSubscription
from domain.webhooks import WebhookEvent


async def emit(session: AsyncSession, event: WebhookEvent, data: dict[str, Any]) -> None:
    subscriptions = await session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.active)
    )
    event_id = str(uuid.uuid4())
    for subscription in subscriptions:
        if event in subscription.events:
            session.add(
                WebhookDelivery(
                    event_id=event_id,
                    subscription_id=subscription.id,
                    event=event,
                    payload=data,
                )
            )
