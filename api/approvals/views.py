"""What approvers and operations read: the inbox (what this user may decide now) and the approval
KPIs."""

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.approvals.schemas import ApprovalKpis, CustomerAccount, InboxItem, InboxPage
from api.auth import Principal
from db.authorities import authorities
from db.customers import open_balance, order_history
from db.models import Approval, ApprovalDecision, Customer, Order
from domain.authority import Authority, may_decide, people
from domain.review import ReviewDecision
from domain.roles import REQUEST_LEVELS, ApprovalLevel
from domain.status import DECIDING_STATUS


async def inbox_page(
    session: AsyncSession,
    user: Principal,
    level: ApprovalLevel | None,
    older_than_hours: int | None,
    limit: int,
    offset: int,
) -> InboxPage:
    """What this user may decide now (also as a stand-in), soonest deadline first."""
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


async def approval_kpis(session: AsyncSession) -> ApprovalKpis:
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


async def _open_for(
    session: AsyncSession,
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
            # A request to confirm waits on the desk whatever the order's status.
            or_(Order.status == DECIDING_STATUS, Approval.level.in_(REQUEST_LEVELS)),
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
            o.parties(c.owner),
            o.total,
        )
    ]
