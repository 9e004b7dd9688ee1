"""Webhook subscriptions (admin) and their deliveries: what was sent, what failed, and the
dead letters retried by hand."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from api.dead_letters import revive
from api.deps import SessionDep, who
from api.errors import NotFound
from api.permissions import CanManageWebhooks
from api.webhooks.schemas import DeliveryOut, DeliveryStatus, SubscriptionIn, SubscriptionOut
from db.audit import audit
from db.models import WebhookDelivery, WebhookSubscription

router = APIRouter(tags=["webhooks"])
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.post("/webhooks/subscriptions", status_code=201)
async def subscribe(
    body: SubscriptionIn, request: Request, session: SessionDep, user: CanManageWebhooks
) -> SubscriptionOut:
    """Deliver these events to the URL from now on, each signed with the secret."""
    async with session.begin():
        row = WebhookSubscription(
            url=body.url,
            events=[str(e) for e in body.events],
            secret=body.secret,
            created_by=user.username,
        )
        session.add(row)
        await session.flush()
        await session.refresh(row)
        audit(
            session,
            who(request, user),
            "webhook.subscribe",
            "created",
            detail=f"subscription {row.id}: {', '.join(row.events)} to {row.url}"[:2000],
        )
    return SubscriptionOut.model_validate(row, from_attributes=True)


@router.get("/webhooks/subscriptions")
async def subscriptions(session: SessionDep, user: CanManageWebhooks) -> list[SubscriptionOut]:
    rows = await session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
    return [SubscriptionOut.model_validate(r, from_attributes=True) for r in rows]


@router.delete("/webhooks/subscriptions/{subscription_id}")
async def unsubscribe(
    subscription_id: Id, request: Request, session: SessionDep, user: CanManageWebhooks
) -> SubscriptionOut:
    """No more deliveries from now on (those already due are still made)."""
    async with session.begin():
        row = await session.get(WebhookSubscription, subscription_id, with_for_update=True)
        if row is None:
            raise NotFound(f"subscription {subscription_id} not found")
        row.active = False
        audit(
            session,
            who(request, user),
            "webhook.unsubscribe",
            "inactive",
            detail=f"subscription {row.id}",
        )
    return SubscriptionOut.model_validate(row, from_attributes=True)


@router.get("/webhooks/deliveries")
async def deliveries(
    session: SessionDep,
    user: CanManageWebhooks,
    status: DeliveryStatus | None = None,
    subscription_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """Deliveries, newest first (`status=dead`: every retry used up)."""
    stmt = select(WebhookDelivery)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if subscription_id is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    rows = await session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit))
    return [DeliveryOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/webhooks/deliveries/{delivery_id}/retry")
async def retry_delivery(
    delivery_id: Id, request: Request, session: SessionDep, user: CanManageWebhooks
) -> DeliveryOut:
    """A dead delivery tried again from the first attempt (the receiver is back)."""
    async with session.begin():
        row = await revive(session, WebhookDelivery, delivery_id, "delivery")
        audit(
            session,
            who(request, user),
            "webhook.retry",
            "pending",
            detail=f"delivery {row.id} ({row.event}) after: {row.last_error or ''}"[:2000],
        )
    return DeliveryOut.model_validate(row, from_attributes=True)
