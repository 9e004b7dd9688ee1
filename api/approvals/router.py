"""The approval routes: decisions, the customer's confirmation link, customer service's relay,
the inbox, KPIs."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from api.approvals import decisions, views
from api.approvals.schemas import (
    ApprovalKpis,
    ConfirmationIn,
    ConfirmationOut,
    DecisionIn,
    DecisionOut,
    InboxPage,
    MyDecision,
    RelayedAnswerIn,
)
from api.deps import SessionDep, SettingsDep, TemporalDep, who
from api.permissions import (
    CanDecideApproval,
    CanReadApprovalInbox,
    CanReadKpis,
    CanRelayCustomerAnswer,
)
from db.models import ApprovalDecision
from domain.roles import ApprovalLevel

router = APIRouter(tags=["approvals"])


@router.post("/orders/{order_id}/approvals")
async def decide(
    order_id: str,
    body: DecisionIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanDecideApproval,
) -> DecisionOut:
    """Approve or reject the open level this user may decide; a decision id counts once."""
    return await decisions.decide(session, temporal, who(request, user), user, order_id, body)


@router.post("/orders/{order_id}/customer-confirmation")
async def relay_customer_answer(
    order_id: str,
    body: RelayedAnswerIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanRelayCustomerAnswer,
) -> DecisionOut:
    """Customer service records the customer's answer for an order held after the link lapsed."""
    return await decisions.relay(session, temporal, who(request, user), user, order_id, body)


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
    return await decisions.confirm_by_link(session, temporal, settings, who(request), token, body)


@router.get("/approvals")
async def inbox(
    session: SessionDep,
    user: CanReadApprovalInbox,
    level: ApprovalLevel | None = None,
    older_than_hours: Annotated[int | None, Query(ge=0, le=24 * 365)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> InboxPage:
    """What this user may decide now, soonest deadline first, with reasons and account."""
    return await views.inbox_page(session, user, level, older_than_hours, limit, offset)


@router.get("/approvals/decided")
async def my_decisions(
    session: SessionDep,
    user: CanReadApprovalInbox,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[MyDecision]:
    """This user's own latest approval decisions, newest first."""
    rows = await session.scalars(
        select(ApprovalDecision)
        .where(ApprovalDecision.decided_by == user.username)
        .order_by(ApprovalDecision.decided_at.desc())
        .limit(limit)
    )
    return [MyDecision.model_validate(r, from_attributes=True) for r in rows]


@router.get("/kpis/approvals")
async def approval_kpis(session: SessionDep, user: CanReadKpis) -> ApprovalKpis:
    """Reviewed orders by verdict, the auto-approved share, and what is pending per level."""
    return await views.approval_kpis(session)
