"""Finance's refunds (through a RefundWorkflow, so the gateway call is durable and the
reference counts once) and the resolution of reconciliation cases."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError

from api.auth import Principal
from api.errors import DependencyDown, InvalidFields, NotAllowedNow, NotFound
from api.orders.views import load_order
from api.settlement.schemas import CaseAction, CaseOut, CaseResolutionIn, RefundIn, RefundOut
from api.workflow_calls import update_order
from config import Settings
from db.audit import Who, audit
from db.models import ReconciliationCase
from db.payments import OPEN, OVERPAYMENT, RESOLVED, UNDERPAYMENT
from domain.messages import RefundRequest, WriteOffInput
from domain.refusals import INVALID_INPUT
from domain.status import REFUNDABLE_STATUSES
from temporal_client import OrderWorkflow, run_refund


async def refund(
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    w: Who,
    user: Principal,
    order_id: str,
    body: RefundIn,
    case_id: int | None = None,
) -> RefundOut:
    async with session.begin():
        order = await load_order(session, order_id, user)
        if order.status not in REFUNDABLE_STATUSES:
            raise NotAllowedNow(
                f"the order is {order.status}: before its goods leave, cancel or change it"
            )
    reference = body.reference or f"refund-{uuid.uuid4().hex[:12]}"
    request = RefundRequest(
        order_id=order_id,
        amount=body.amount,
        reference=reference,
        reason=body.reason,
        actor=user.username,
        role=user.role,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
        case_id=case_id,
    )
    try:
        result = await run_refund(temporal, settings, request)
    except WorkflowFailureError as exc:
        cause = exc.cause.cause if isinstance(exc.cause, ActivityError) else exc.cause
        if isinstance(cause, ApplicationError) and cause.type == INVALID_INPUT:
            raise InvalidFields([(("amount",), cause.message.removeprefix("amount: "))]) from exc
        raise
    except (RPCError, RuntimeError) as exc:
        raise DependencyDown("workflow service unavailable") from exc
    return RefundOut(
        order_id=order_id,
        reference=reference,
        refunded=result.refunded,
        paid_total=result.paid_total,
    )


async def cases(session: AsyncSession, status: str | None, limit: int) -> list[CaseOut]:
    async with session.begin():
        stmt = select(ReconciliationCase).order_by(ReconciliationCase.id).limit(limit)
        if status is not None:
            stmt = stmt.where(ReconciliationCase.status == status)
        return [
            CaseOut.model_validate(c, from_attributes=True) for c in await session.scalars(stmt)
        ]


async def resolve(
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    w: Who,
    user: Principal,
    case_id: int,
    body: CaseResolutionIn,
) -> CaseOut:
    async with session.begin():
        case = await session.get(ReconciliationCase, case_id, with_for_update=True)
        if case is None:
            raise NotFound(f"reconciliation case {case_id} not found")
        if case.status != OPEN:
            raise NotAllowedNow(f"case {case_id} is already resolved ({case.action})")
        if body.action == CaseAction.REFUND and case.kind != OVERPAYMENT:
            raise InvalidFields([(("action",), "only an overpayment is refunded")])
        if case.kind == UNDERPAYMENT and body.action != CaseAction.WRITE_OFF:
            raise InvalidFields(
                [(("action",), "an underpayment is written off (or closed by a payment)")]
            )
        if case.kind == OVERPAYMENT and body.action != CaseAction.REFUND:
            case.status, case.action, case.comment = RESOLVED, body.action, body.comment
            case.resolved_by = user.username
            case.resolved_at = await session.scalar(select(func.now()))
            audit(
                session,
                w,
                "reconciliation.resolve",
                str(body.action),
                order_id=case.order_id,
                detail=f"case {case_id} ({case.kind} {case.amount}): {body.comment}",
            )
        order_id, amount = case.order_id, case.amount
    if case.kind == UNDERPAYMENT:
        # The order's workflow waits for what is owed: the write-off settles it there.
        write_off = WriteOffInput(
            case_id=case_id,
            comment=body.comment,
            actor=user.username,
            role=user.role,
            request_id=w.request_id or "",
            client_addr=w.client_addr or "",
        )
        await update_order(temporal, order_id, OrderWorkflow.write_off, write_off)
    elif body.action == CaseAction.REFUND:
        refund_body = RefundIn(
            amount=amount, reason=body.comment or f"case {case_id}", reference=f"case-{case_id}"
        )
        await refund(session, temporal, settings, w, user, order_id, refund_body, case_id)
    async with session.begin():
        found = await session.get_one(ReconciliationCase, case_id, populate_existing=True)
        return CaseOut.model_validate(found, from_attributes=True)
