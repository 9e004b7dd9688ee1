"""Approval decisions, the customer's confirmation link, and customer service's relay."""

import logging
import uuid
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep, SettingsDep, TemporalDep, allowed, who
from api.desk_schemas import (
    ConfirmationAnswer,
    ConfirmationIn,
    ConfirmationOut,
    RelayedAnswerIn,
)
from api.errors import Forbidden, NotAllowedNow, NotFound
from api.order_views import load_order
from api.schemas import DecisionIn, DecisionOut
from api.workflow_calls import update_order
from db.audit import audit
from db.authorities import authorities
from db.models import Approval, ApprovalDecision, Customer, Order
from domain.authority import Authority, Parties, check_four_eyes, check_limit
from domain.messages import ApprovalDecisionInput, ConfirmationInput, Decision
from domain.policy import Mode, open_levels
from domain.roles import Action, ApprovalLevel
from temporal_client import OrderWorkflow

log = logging.getLogger(__name__)
router = APIRouter(tags=["approvals"])
Decider = Annotated[Principal, Depends(allowed(Action.DECIDE_APPROVAL))]


@router.post("/orders/{order_id}/approvals")
async def decide(
    order_id: str,
    body: DecisionIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    user: Decider,
) -> DecisionOut:
    """Approve or reject the open level this user may decide; a decision id counts once."""
    order = await load_order(session, order_id, user)
    replayed = await _replay(session, order, user, body.decision_id)
    if replayed is not None:
        return replayed
    await _four_eyes(session, order, user)
    level, authority = await _choose(session, order, user)
    check_limit(authority, order.total, body.decision)
    return await _send(session, temporal, request, user, order, level, authority, body)


@router.post("/orders/{order_id}/customer-confirmation")
async def relay_customer_answer(
    order_id: str,
    body: RelayedAnswerIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    user: Annotated[Principal, Depends(allowed(Action.RELAY_CUSTOMER_ANSWER))],
) -> DecisionOut:
    """Customer service records the customer's answer for an order held after the link lapsed."""
    order = await load_order(session, order_id, user)
    replayed = await _replay(session, order, user, body.decision_id)
    if replayed is not None:
        return replayed
    await _four_eyes(session, order, user)
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
        session, temporal, request, user, order, ApprovalLevel.CUSTOMER, authority, answer
    )


async def _replay(
    session: SessionDep, order: Order, user: Principal, decision_id: str | None
) -> DecisionOut | None:
    """The answer to a decision already applied (a retry), also after the order has ended."""
    if not decision_id:
        return None
    earlier = await session.get(ApprovalDecision, decision_id)
    if earlier is None:
        return None
    if (earlier.order_id, earlier.decided_by) != (order.id, user.username):
        raise NotAllowedNow(f"decision id {decision_id} is already used")
    return DecisionOut(
        order_id=order.id,
        level=earlier.level,
        decision=Decision(earlier.decision),
        decision_id=earlier.decision_id,
        status=(await load_order(session, order.id, user)).status,
        pending_levels=await _pending_levels(session, order.id),
    )


async def _four_eyes(session: SessionDep, order: Order, user: Principal) -> None:
    owner = await session.scalar(select(Customer.owner).where(Customer.id == order.customer_id))
    check_four_eyes([user.username], Parties(order.created_by, owner))


async def _send(
    session: SessionDep,
    temporal: TemporalDep,
    request: Request,
    user: Principal,
    order: Order,
    level: ApprovalLevel,
    authority: Authority,
    body: DecisionIn,
) -> DecisionOut:
    w = who(request, user)
    order_id = order.id  # read before the rollback expires the loaded order
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
    await session.rollback()  # no transaction held open across the workflow's answer
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


async def _choose(
    session: SessionDep, order: Order, user: Principal
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


async def _pending_levels(session: SessionDep, order_id: str) -> list[str]:
    rows = await session.scalars(
        select(Approval.level).where(Approval.order_id == order_id, Approval.status == "pending")
    )
    return list(rows)


@router.post("/confirmations/{token}")
async def confirm(
    token: str,
    body: ConfirmationIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    temporal: TemporalDep,
) -> ConfirmationOut:
    """The customer confirms or declines through their signed link; no login."""
    try:
        order_id, link_id = settings.link_signer().verify(token)
    except jwt.InvalidTokenError as exc:
        # The library's words help a forger: logged, not answered.
        log.info("confirmation link refused: %s", exc)
        raise Forbidden("this confirmation link is invalid or has expired") from exc
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
    w = who(request)
    answer = ConfirmationInput(
        confirm=body.decision == ConfirmationAnswer.CONFIRM,
        decision_id=link_id,
        comment=body.comment,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
    )
    await session.rollback()
    state = await update_order(temporal, order_id, OrderWorkflow.customer_confirmation, answer)
    return ConfirmationOut(order_id=order_id, decision=body.decision, status=state.status)
