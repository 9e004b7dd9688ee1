"""The approval inbox and decisions."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from api.auth import Principal
from api.deps import SessionDep, TemporalDep, allowed
from api.errors import Forbidden, NotAllowedNow
from api.order_views import load_order
from api.schemas import DecisionIn, DecisionOut, PendingApproval
from api.workflow_calls import update_order
from db.models import Approval, Order
from domain.messages import ApprovalDecisionInput, ApprovalState
from domain.roles import Action, levels_decidable_by

router = APIRouter(tags=["approvals"])


@router.get("/approvals")
async def pending_approvals(
    session: SessionDep, user: Annotated[Principal, Depends(allowed(Action.DECIDE_APPROVAL))]
) -> list[PendingApproval]:
    """Pending decisions this user may take, oldest first."""
    rows = await session.execute(
        select(Approval, Order)
        .join(Order, Order.id == Approval.order_id)
        .where(
            Approval.status == "pending",
            Approval.level.in_(levels_decidable_by(user.role)),
            Order.created_by != user.username,
            Order.status == "AWAITING_APPROVAL",
        )
        .order_by(Approval.requested_at)
        .limit(500)
    )
    return [
        PendingApproval(
            order_id=o.id,
            level=a.level,
            reasons=a.reasons,
            total=o.total,
            customer_id=o.customer_id,
            created_by=o.created_by,
            requested_at=a.requested_at,
        )
        for a, o in rows
    ]


@router.post("/orders/{order_id}/approvals")
async def decide(
    order_id: str,
    body: DecisionIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: Annotated[Principal, Depends(allowed(Action.DECIDE_APPROVAL))],
) -> DecisionOut:
    """Approve or reject the pending level this user may decide."""
    order = await load_order(session, order_id)
    if order.created_by == user.username:
        raise Forbidden("nobody approves an order they created")
    rows = await session.execute(
        select(Approval.level, Approval.status).where(Approval.order_id == order_id)
    )
    statuses: dict[str, str] = {level: status for level, status in rows}
    # A user's own level first (a manager decides the manager level before a supervisor's).
    mine = sorted(levels_decidable_by(user.role), key=lambda lv: lv.value != user.role.value)
    if statuses and not any(lv in statuses for lv in mine):
        raise Forbidden(f"role {user.role} may not decide {', '.join(sorted(statuses))}")
    level = next((lv for lv in mine if statuses.get(lv) == "pending"), None)
    if level is None:
        raise NotAllowedNow(f"order {order_id} has no pending decision for role {user.role}")
    decision = ApprovalDecisionInput(
        level=level,
        decision=body.decision,
        decided_by=user.username,
        role=user.role,
        comment=body.comment,
        decision_id=body.decision_id or str(uuid.uuid4()),
    )
    state = await update_order(temporal, order_id, "decide", decision, ApprovalState)
    return DecisionOut(
        order_id=order_id,
        level=level,
        decision=body.decision,
        decision_id=decision.decision_id,
        status=state.status,
        pending_levels=list(state.pending_levels),
    )
