"""Decisions on an order's approval levels, as the API takes them: the early authority check
(the workflow checks again, under its lock), the level chosen, a retried decision answered
from its record, and the decision sent to the order's workflow.

Reads run in one short transaction that ends before the workflow is asked (see db/engine.py).
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.approvals.schemas import (
    ConfirmationAnswer,
    ConfirmationIn,
    ConfirmationOut,
    DecisionIn,
    DecisionOut,
    RelayedAnswerIn,
)
from api.auth import Principal
from api.customer_links import verified_link
from api.errors import Forbidden, NotAllowedNow, NotFound
from api.orders.views import load_order
from api.workflow_calls import update_order
from config import Settings
from db.audit import Who, audit
from db.authorities import authorities
from db.models import Approval, ApprovalDecision, Customer, Order
from domain.authority import Authority, check_four_eyes, check_limit
from domain.confirmation_links import CONFIRM
from domain.messages import ApprovalDecisionInput, ConfirmationInput, Decision
from domain.policy import Mode, open_levels
from domain.roles import ApprovalLevel
from temporal_client import OrderWorkflow


async def decide(
    session: AsyncSession,
    temporal: Client,
    w: Who,
    user: Principal,
    order_id: str,
    body: DecisionIn,
) -> DecisionOut:
    """An approver's decision on the open level they may decide; a decision id counts once."""
    async with session.begin():
        order, replayed = await _before_deciding(session, order_id, user, body.decision_id)
        if replayed is not None:
            return replayed
        level, authority = await _choose(session, order, user)
        check_limit(authority, order.total, body.decision, level)
    return await _send(session, temporal, w, user, order_id, level, authority, body)


async def relay(
    session: AsyncSession,
    temporal: Client,
    w: Who,
    user: Principal,
    order_id: str,
    body: RelayedAnswerIn,
) -> DecisionOut:
    """Customer service records the customer's answer for an order held after the link lapsed."""
    async with session.begin():
        _, replayed = await _before_deciding(session, order_id, user, body.decision_id)
        if replayed is not None:
            return replayed
        held = await session.scalar(
            select(Approval).where(
                Approval.order_id == order_id,
                Approval.level == ApprovalLevel.CUSTOMER,
                Approval.status == "pending",
                Approval.current_level == ApprovalLevel.CUSTOMER_SERVICE,
            )
        )
        if held is None:
            raise NotAllowedNow(f"order {order_id} is not held for customer service")
    answer = DecisionIn(
        decision=Decision.APPROVE
        if body.decision == ConfirmationAnswer.CONFIRM
        else Decision.REJECT,
        comment=f"customer's answer relayed: {body.comment}",
        decision_id=body.decision_id,
    )
    authority = Authority(user.role, None)
    return await _send(
        session, temporal, w, user, order_id, ApprovalLevel.CUSTOMER, authority, answer
    )


async def confirm_by_link(
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    w: Who,
    token: str,
    body: ConfirmationIn,
) -> ConfirmationOut:
    """The customer's own answer through their signed link (one answer per link)."""
    order_id, link_id = verified_link(settings, token, CONFIRM)
    async with session.begin():
        order = await session.get(Order, order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        earlier = await session.get(ApprovalDecision, link_id)
        if earlier is not None:
            answered = (
                ConfirmationAnswer.CONFIRM
                if earlier.decision == Decision.APPROVE
                else ConfirmationAnswer.DECLINE
            )
            return ConfirmationOut(order_id=order_id, decision=answered, status=order.status)
    answer = ConfirmationInput(
        confirm=body.decision == ConfirmationAnswer.CONFIRM,
        decision_id=link_id,
        comment=body.comment,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
    )
    state = await update_order(temporal, order_id, OrderWorkflow.customer_confirmation, answer)
    return ConfirmationOut(order_id=order_id, decision=body.decision, status=state.status)


async def _before_deciding(
    session: AsyncSession, order_id: str, user: Principal, decision_id: str | None
) -> tuple[Order, DecisionOut | None]:
    """The order, and the answer already given if this decision is a retry; otherwise the
    four-eyes check (not the creator, not the customer's owner) has passed."""
    order = await load_order(session, order_id, user)
    replayed = await _replay(session, order, user, decision_id)
    if replayed is None:
        await _four_eyes(session, order, user)
    return order, replayed


async def _replay(
    session: AsyncSession, order: Order, user: Principal, decision_id: str | None
) -> DecisionOut | None:
    """The answer to a decision already applied (a retry), also after the order has ended."""
    if not decision_id:
        return None
    earlier = await session.get(ApprovalDecision, decision_id)
    if earlier is None:
        return None
    if (earlier.order_id, earlier.decided_by) != (order.id, user.username):
        raise NotAllowedNow(f"decision id {decision_id} is already used")
    pending = await session.scalars(
        select(Approval.level).where(Approval.order_id == order.id, Approval.status == "pending")
    )
    return DecisionOut(
        order_id=order.id,
        level=earlier.level,
        decision=Decision(earlier.decision),
        decision_id=earlier.decision_id,
        status=order.status,
        pending_levels=list(pending),
    )


async def _four_eyes(session: AsyncSession, order: Order, user: Principal) -> None:
    owner = await session.scalar(select(Customer.owner).where(Customer.id == order.customer_id))
    check_four_eyes([user.username], order.parties(owner))


async def _choose(
    session: AsyncSession, order: Order, user: Principal
) -> tuple[ApprovalLevel, Authority]:
    """The open level this user can decide, with the authority they act with."""
    rows = list(
        await session.scalars(
            select(Approval).where(Approval.order_id == order.id).order_by(Approval.opened_at)
        )
    )
    options = await authorities(session, user.username, user.role)
    if rows and not any(
        a.may_decide(ApprovalLevel(r.current_level or r.level)) for r in rows for a in options
    ):
        levels = ", ".join(sorted(r.current_level or r.level for r in rows))
        raise Forbidden(f"role {user.role} may not decide {levels}")
    pending = [r for r in rows if r.status == "pending"]
    # The workflow opens levels by this same rule; asking the rule rather than the opened_at
    # its activity writes a moment later spares a 409 right after the order starts waiting.
    opened = open_levels([(ApprovalLevel(r.level), Mode(r.mode)) for r in pending])
    for authority in options:
        for r in pending:
            if r.level in opened and authority.may_decide(
                ApprovalLevel(r.current_level or r.level)
            ):
                return ApprovalLevel(r.level), authority
    raise NotAllowedNow(f"order {order.id} has no open decision for role {user.role}")


async def _send(
    session: AsyncSession,
    temporal: Client,
    w: Who,
    user: Principal,
    order_id: str,
    level: ApprovalLevel,
    authority: Authority,
    body: DecisionIn,
) -> DecisionOut:
    decision = ApprovalDecisionInput(
        level=level,
        decision=body.decision,
        decided_by=user.username,
        role=authority.role,
        comment=body.comment,
        decision_id=body.decision_id or str(uuid.uuid4()),
        on_behalf_of=authority.on_behalf_of,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
    )
    try:
        state = await update_order(temporal, order_id, OrderWorkflow.decide, decision)
    except NotAllowedNow as exc:
        async with session.begin():
            audit(
                session,
                w,
                "approval.decide",
                "conflict",
                order_id=order_id,
                decision_id=decision.decision_id,
                detail=exc.message,
            )
        raise
    return DecisionOut(
        order_id=order_id,
        level=level,
        decision=body.decision,
        decision_id=decision.decision_id,
        status=state.status,
        pending_levels=list(state.pending_levels),
    )
