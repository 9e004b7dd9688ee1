"""What approvers and operations read: the inbox (what this user may decide now) and the approval
KPIs."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, exists, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.approvals.schemas import ApprovalKpis, CustomerAccount, InboxItem, InboxPage
from api.auth import Principal
from db.authorities import authorities
from db.customers import open_balances, order_histories
from db.models import Approval, ApprovalDecision, Customer, Order
from domain.authority import Authority, Parties, may_decide, people
from domain.review import ReviewDecision
from domain.roles import REQUEST_LEVELS, ApprovalLevel
from domain.status import DECIDING_STATUS

# Candidate rows are read in the inbox's order and judged by the domain's rule until the page
# is full, a batch at a time, each twice the last: the first page reads about the rows it
# shows, a deep page only the rows before it, never the whole desk.
FIRST_BATCH = 100
# What the rule needs of a row: deadline, order, level, total, creator, changers, owner.
Candidates = Select[datetime | None, str, str, Decimal, str, list[str], str | None]


@dataclass(frozen=True)
class _Decidable:
    """An open approval this user may decide, with the authority they would decide it with."""

    deadline: datetime | None
    order_id: str
    level: str
    authority: Authority

    def key(self, now: datetime) -> tuple[datetime, str, str]:
        # Soonest deadline first, none last (as PostgreSQL orders NULLs ascending).
        return (self.deadline or datetime.max.replace(tzinfo=now.tzinfo), self.order_id, self.level)


async def inbox_page(
    session: AsyncSession,
    user: Principal,
    level: ApprovalLevel | None,
    older_than_hours: int | None,
    limit: int,
    offset: int,
) -> InboxPage:
    """What this user may decide now (also as a stand-in), soonest deadline first."""
    now = await session.scalar(select(func.now()))
    assert now is not None
    wanted = offset + limit + 1  # one more tells whether a next page exists
    found: list[_Decidable] = []
    for authority in await authorities(session, user.username, user.role):
        found += await _decidable(session, user, authority, level, now, older_than_hours, wanted)
    found.sort(key=lambda d: d.key(now))
    page = found[offset : offset + limit]
    more = len(found) > offset + limit
    return InboxPage(
        items=await _items(session, page, now), next_offset=offset + limit if more else None
    )


async def _items(session: AsyncSession, page: list[_Decidable], now: datetime) -> list[InboxItem]:
    """The page's rows in full, with each customer's account (grouped queries, not per row)."""
    if not page:
        return []
    rows = await session.execute(
        select(Approval, Order, Customer)
        .join(Order, Order.id == Approval.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(tuple_(Approval.order_id, Approval.level).in_([(d.order_id, d.level) for d in page]))
    )
    full = {(a.order_id, a.level): (a, o, c) for a, o, c in rows}
    customers = {c.id for _, _, c in full.values()}
    balances = await open_balances(session, customers)
    histories = await order_histories(session, customers)
    items = []
    for decidable in page:
        approval, order, customer = full[(decidable.order_id, decidable.level)]
        placed, value = histories[customer.id]
        items.append(
            InboxItem(
                order_id=order.id,
                level=approval.level,
                current_level=approval.current_level or approval.level,
                on_behalf_of=decidable.authority.on_behalf_of,
                reasons=approval.reasons,
                approvers_needed=approval.approvers_needed,
                approvers_given=approval.approvers_given,
                opened_at=approval.opened_at,
                deadline=approval.deadline,
                seconds_left=(
                    int((approval.deadline - now).total_seconds()) if approval.deadline else None
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
                    open_balance=balances[customer.id],
                    orders_placed=placed,
                    orders_value=value,
                ),
            )
        )
    return items


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


async def _decidable(
    session: AsyncSession,
    user: Principal,
    authority: Authority,
    level: ApprovalLevel | None,
    now: datetime,
    older_than_hours: int | None,
    wanted: int,
) -> list[_Decidable]:
    """Up to `wanted` open approvals this authority may decide, in the inbox's order."""
    levels = [lv for lv in ApprovalLevel if authority.may_decide(lv)]
    if level is not None:
        levels = [lv for lv in levels if lv == level]
    if not levels:
        return []
    who = people(user.username, authority.on_behalf_of)
    # Dual control's "approved by" is read here, in the query; the rest of the rule is the
    # domain's, applied to each row below.
    already = exists().where(
        ApprovalDecision.order_id == Approval.order_id,
        ApprovalDecision.level == Approval.level,
        or_(ApprovalDecision.decided_by.in_(who), ApprovalDecision.on_behalf_of.in_(who)),
    )
    found: list[_Decidable] = []
    # One level at a time: the inbox index gives each level's rows in order, so a page stops
    # reading once it is full; the levels are merged by the caller's sort.
    for deciding in levels:
        stmt = (
            select(
                Approval.deadline,
                Approval.order_id,
                Approval.level,
                Order.total,
                Order.created_by,
                Order.changed_by,
                Customer.owner,
            )
            .join(Order, Order.id == Approval.order_id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(
                Approval.status == "pending",
                Approval.opened_at.is_not(None),
                Approval.current_level == deciding,
                # A request to confirm waits on the desk whatever the order's status.
                or_(Order.status == DECIDING_STATUS, Approval.level.in_(REQUEST_LEVELS)),
                ~already,
            )
            .order_by(Approval.deadline, Approval.order_id, Approval.level)
        )
        if older_than_hours is not None:
            stmt = stmt.where(Approval.opened_at <= now - timedelta(hours=older_than_hours))
        found += await _first_decidable(session, stmt, who, authority, deciding, wanted)
    return found


async def _first_decidable(
    session: AsyncSession,
    stmt: Candidates,
    who: list[str],
    authority: Authority,
    deciding: ApprovalLevel,
    wanted: int,
) -> list[_Decidable]:
    """The first `wanted` rows of stmt the domain's rule lets this person decide."""
    found: list[_Decidable] = []
    start, size = 0, max(FIRST_BATCH, wanted)
    while True:
        batch = (await session.execute(stmt.offset(start).limit(size))).all()
        for deadline, order_id, level, total, created_by, changed_by, owner in batch:
            parties = Parties(created_by, owner, frozenset(changed_by))
            if may_decide(who, authority, deciding, parties, total):
                found.append(_Decidable(deadline, order_id, level, authority))
        if len(found) >= wanted or len(batch) < size:
            return found[:wanted]
        start, size = start + size, size * 2
