"""The approval inbox: what a user may decide now, soonest deadline first."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import exists, func, or_, select

from api.auth import Principal
from api.deps import SessionDep, allowed
from api.desk_schemas import CustomerAccount, InboxItem, InboxPage
from db.authorities import authorities
from db.customers import open_balance, order_history
from db.models import Approval, ApprovalDecision, Customer, Order
from domain.authority import Authority, Parties, may_decide, people
from domain.roles import Action, ApprovalLevel
from domain.status import DECIDING_STATUS

router = APIRouter(tags=["approvals"])


@router.get("/approvals")
async def inbox(
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.READ_APPROVAL_INBOX))],
    level: ApprovalLevel | None = None,
    older_than_hours: Annotated[int | None, Query(ge=0, le=24 * 365)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> InboxPage:
    """What this user may decide now, soonest deadline first, with reasons and account."""
    items: list[InboxItem] = []
    now = await session.scalar(select(func.now()))
    assert now is not None
    for authority in await authorities(session, user.username, user.role):
        for approval, order, customer in await _open_for(
            session, user, authority, level, now, older_than_hours
        ):
            balance = await open_balance(session, customer.id)
            placed, value = await order_history(session, customer.id)
            items.append(
                InboxItem(
                    order_id=order.id,
                    level=approval.level,
                    current_level=approval.current_level or approval.level,
                    on_behalf_of=authority.on_behalf_of,
                    reasons=approval.reasons,
                    approvers_needed=approval.approvers_needed,
                    approvers_given=approval.approvers_given,
                    opened_at=approval.opened_at,
                    deadline=approval.deadline,
                    seconds_left=(
                        int((approval.deadline - now).total_seconds())
                        if approval.deadline
                        else None
                    ),
                    escalated=approval.escalated_at is not None,
                    total=order.total,
                    currency=order.currency,
                    channel=order.channel,
                    payment_method=order.payment_method,
                    created_by=order.created_by,
                    created_at=order.created_at,
                    customer_id=customer.id,
                    customer=CustomerAccount(
                        name=customer.name,
                        tier=customer.tier,
                        open_balance=balance,
                        orders_placed=placed,
                        orders_value=value,
                    ),
                )
            )
    items.sort(key=lambda i: (i.deadline or datetime.max.replace(tzinfo=now.tzinfo), i.order_id))
    page = items[offset : offset + limit]
    more = len(items) > offset + limit
    return InboxPage(items=page, next_offset=offset + limit if more else None)


async def _open_for(
    session: SessionDep,
    user: Principal,
    authority: Authority,
    level: ApprovalLevel | None,
    now: datetime,
    older_than_hours: int | None,
) -> list[tuple[Approval, Order, Customer]]:
    levels = [lv for lv in ApprovalLevel if authority.may_decide(lv)]
    if level is not None:
        levels = [lv for lv in levels if lv == level]
    who = people(user.username, authority.on_behalf_of)
    # Dual control's "approved by" is read here, in the query; the rest of the rule is the
    # domain's, applied to each row below.
    already = exists().where(
        ApprovalDecision.order_id == Approval.order_id,
        ApprovalDecision.level == Approval.level,
        or_(ApprovalDecision.decided_by.in_(who), ApprovalDecision.on_behalf_of.in_(who)),
    )
    stmt = (
        select(Approval, Order, Customer)
        .join(Order, Order.id == Approval.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Approval.status == "pending",
            Approval.opened_at.is_not(None),
            Approval.current_level.in_(levels),
            Order.status == DECIDING_STATUS,
            ~already,
        )
        .order_by(Approval.deadline)
        .limit(1000)
    )
    if older_than_hours is not None:
        stmt = stmt.where(Approval.opened_at <= now - timedelta(hours=older_than_hours))
    return [
        (a, o, c)
        for a, o, c in (await session.execute(stmt)).all()
        if may_decide(
            who,
            authority,
            ApprovalLevel(a.current_level or a.level),
            Parties(o.created_by, c.owner),
            o.total,
        )
    ]
