"""The audit trail and the notification outbox, for admins and operations."""

import re
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.audit.schemas import AuditOut, AuditPage, NotificationOut
from api.deps import SessionDep
from api.fields import Instant
from api.permissions import CanReadAudit, CanReadNotifications
from db.models import AuditEntry, Notification

router = APIRouter(tags=["audit"])


Text64 = Annotated[str | None, Query(max_length=64)]


@router.get("/audit")
async def search_audit(
    session: SessionDep,
    user: CanReadAudit,
    order_id: Text64 = None,
    actor: Text64 = None,
    action: Text64 = None,
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> AuditPage:
    """The audit trail, newest first; pass next_cursor back for the next page."""
    stmt = select(AuditEntry)
    for column, value in (
        (AuditEntry.order_id, order_id),
        (AuditEntry.actor, actor),
        (AuditEntry.action, action),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if from_ is not None:
        stmt = stmt.where(AuditEntry.at >= from_)
    if to is not None:
        stmt = stmt.where(AuditEntry.at < to)
    if cursor is not None:
        stmt = stmt.where(AuditEntry.id < cursor)
    rows = list(await session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    items = [AuditOut.model_validate(r, from_attributes=True) for r in rows[:limit]]
    more = len(rows) > limit
    return AuditPage(items=items, next_cursor=items[-1].id if more and items else None)


@router.get("/notifications")
async def notifications(
    session: SessionDep,
    user: CanReadNotifications,
    order_id: Text64 = None,
    recipient: Annotated[str | None, Query(max_length=320)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    """The outbox, newest first: what the desk told approvers and customers."""
    stmt = select(Notification)
    if order_id is not None:
        stmt = stmt.where(Notification.order_id == order_id)
    if recipient is not None:
        stmt = stmt.where(Notification.recipient == recipient)
    rows = await session.scalars(stmt.order_by(Notification.id.desc()).limit(limit))
    return [
        NotificationOut.model_validate(r, from_attributes=True).model_copy(
            update={"body": masked_links(r.body)}
        )
        for r in rows
    ]


# A customer's signed link is their credential: staff who read the outbox must not be able to
# answer for the customer with it.
_LINK = re.compile(r"/(confirmations|substitutions)/[\w.\-]+")


def masked_links(body: str) -> str:
    return _LINK.sub(r"/\1/[link withheld]", body)
