"""The audit trail and the notification outbox, for admins and operations."""

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from api.audit.schemas import AuditOut, AuditPage, NotificationOut, NotificationStatus
from api.dead_letters import revive
from api.deps import SessionDep, who
from api.fields import Instant
from api.permissions import CanReadAudit, CanReadNotifications, CanRetryNotifications
from db.audit import audit
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
    status: NotificationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    """The outbox, newest first: what the desk told approvers and customers, and whether it
    was sent (`status=dead`: the dead letters, every retry used up)."""
    stmt = select(Notification)
    if status is not None:
        stmt = stmt.where(Notification.status == status)
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


@router.post("/notifications/{notification_id}/retry")
async def retry_notification(
    notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    request: Request,
    session: SessionDep,
    user: CanRetryNotifications,
) -> NotificationOut:
    """A dead letter sent again: its tries start over (after fixing its address, say)."""
    async with session.begin():
        row = await revive(session, Notification, notification_id, "notification")
        audit(
            session,
            who(request, user),
            "notification.retry",
            "pending",
            order_id=row.order_id,
            detail=f"notification {row.id} ({row.kind}) after: {row.last_error or ''}"[:2000],
        )
    return NotificationOut.model_validate(row, from_attributes=True).model_copy(
        update={"body": masked_links(row.body)}
    )


# A customer's signed link is their credential: staff who read the outbox must not be able to
# answer for the customer with it.
_LINK = re.compile(r"/(confirmations|substitutions)/[\w.\-]+")


def masked_links(body: str) -> str:
    return _LINK.sub(r"/\1/[link withheld]", body)
