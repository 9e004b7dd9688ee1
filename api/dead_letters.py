"""Retrying a dead letter by hand (a message or a webhook delivery whose every try failed):
its tries start over at once; anything not dead is refused."""

from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from activities.notifier import DEAD, PENDING
from api.errors import NotAllowedNow, NotFound
from db.models import Notification, WebhookDelivery

Letter = TypeVar("Letter", Notification, WebhookDelivery)


async def revive(session: AsyncSession, model: type[Letter], row_id: int, what: str) -> Letter:
    row = await session.get(model, row_id, with_for_update=True)
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    if row.status != DEAD:
        raise NotAllowedNow(f"{what} {row_id} is {row.status}, not dead")
    now = await session.scalar(select(func.now()))
    assert now is not None
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, now
    return row
