"""Oversight: the audit trail, approval KPIs and the notification outbox."""

import re
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from api.auth import Principal
from api.deps import SessionDep, allowed
from api.desk_schemas import ApprovalKpis, AuditOut, AuditPage, NotificationOut
from api.schemas import Instant
from db.models import Approval, AuditEntry, Notification, Order
from domain.review import ReviewDecision
from domain.roles import Action
from domain.status import DECIDING_STATUS

router = APIRouter(tags=["oversight"])
Text64 = Annotated[str | None, Query(max_length=64)]


@router.get("/audit")
async def search_audit(
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.READ_AUDIT))],
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


@router.get("/kpis/approvals")
async def approval_kpis(
    session: SessionDep, user: Annotated[Principal, Depends(allowed(Action.READ_KPIS))]
) -> ApprovalKpis:
    """Reviewed orders by verdict, the auto-approved share, and what is pending per level."""
    verdicts = await session.execute(
        select(Order.review_decision, func.count())
        .where(Order.review_decision.is_not(None))
        .group_by(Order.review_decision)
    )
    counts: dict[str | None, int] = {k: v for k, v in verdicts}
    reviewed = sum(counts.values())
    auto = counts.get(ReviewDecision.PASS, 0)
    deciding = func.coalesce(Approval.current_level, Approval.level)
    waiting = await session.execute(
        select(deciding, func.count())
        .join(Order, Order.id == Approval.order_id)
        .where(Approval.status == "pending", Order.status == DECIDING_STATUS)
        .group_by(deciding)
    )
    return ApprovalKpis(
        reviewed=reviewed,
        auto_approved=auto,
        needed_approval=counts.get(ReviewDecision.NEEDS_APPROVAL, 0),
        rejected_at_review=counts.get(ReviewDecision.REJECT, 0),
        auto_approved_share=(
            (Decimal(auto) / Decimal(reviewed)).quantize(Decimal("0.0001")) if reviewed else None
        ),
        pending_by_level={str(k): int(v) for k, v in waiting},
    )


@router.get("/notifications")
async def notifications(
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.READ_NOTIFICATIONS))],
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
_LINK = re.compile(r"/confirmations/[\w.\-]+")


def masked_links(body: str) -> str:
    return _LINK.sub("/confirmations/[link withheld]", body)
