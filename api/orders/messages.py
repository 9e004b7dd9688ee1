"""The messages staff and carriers send a running order (payments, carrier scans, cancellation):
checked against the records, then sent to the order's workflow, which decides what they change.

A retried message whose first attempt was applied, and whose workflow has ended since, is
answered from its record. Reads run in short transactions, none held open while Temporal
answers (see db/engine.py).
"""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import Forbidden, NotAllowedNow, NotFound
from api.orders.schemas import (
    CancelIn,
    OrderStateOut,
    PaymentIn,
    PaymentResult,
    ShipmentEventIn,
)
from api.orders.views import load_order
from api.starter import WorkflowStarter
from api.workflow_calls import update_order
from db.audit import Who
from db.models import Order, Payment, Shipment, ShipmentEvent
from db.payments import order_paid_with, paid_total, recorded_amount
from domain.messages import CancelInput, PaymentInput, ShipmentEventInput
from domain.roles import may_cancel
from temporal_client import OrderWorkflow

CANCELLATION_REQUESTED = "cancellation_requested"


async def pay(
    session: AsyncSession,
    temporal: Client,
    starter: WorkflowStarter,
    user: Principal,
    order_id: str,
    body: PaymentIn,
) -> PaymentResult:
    async with session.begin():
        await load_order(session, order_id, user)
        paid_order = await order_paid_with(session, body.method, body.reference)
        earlier = await recorded_amount(session, order_id, body.reference)
    if paid_order is not None and paid_order != order_id:
        raise NotAllowedNow(f"payment reference {body.reference} already paid another order")
    if earlier is not None and earlier != body.amount:
        # A retry carries the same amount; another amount under the reference is a mistake.
        raise NotAllowedNow(
            f"payment reference {body.reference} was recorded with {earlier}, not {body.amount}"
        )
    payment = PaymentInput(**body.model_dump(), actor=user.username)
    try:
        state = await update_order(
            temporal, order_id, OrderWorkflow.record_payment, payment, starter
        )
    except NotAllowedNow:
        async with session.begin():
            replayed = await _recorded_payment(session, order_id, body.reference)
        if replayed is None:
            raise
        return replayed
    return PaymentResult(
        order_id=order_id,
        status=state.status,
        paid_total=state.paid_total,
        order_total=state.order_total,
    )


async def record_carrier_event(
    session: AsyncSession, temporal: Client, user: Principal, order_id: str, body: ShipmentEventIn
) -> OrderStateOut:
    async with session.begin():
        await load_order(session, order_id, user)
    event = ShipmentEventInput(**body.model_dump(), actor=user.username)
    try:
        state = await update_order(temporal, order_id, OrderWorkflow.shipment_event, event)
    except NotAllowedNow:
        async with session.begin():
            replayed = await _recorded_shipment_event(
                session, order_id, body.tracking_number, body.event
            )
        if replayed is None:
            raise
        return replayed
    return OrderStateOut.of(order_id, state)


async def cancel(
    session: AsyncSession,
    temporal: Client,
    starter: WorkflowStarter,
    w: Who,
    user: Principal,
    order_id: str,
    body: CancelIn,
) -> OrderStateOut:
    async with session.begin():
        order = await load_order(session, order_id, user)
        if not may_cancel(user.role, user.username, order.created_by):
            raise Forbidden(f"role {user.role} may not cancel this order")
    request = CancelInput(
        reason=f"{body.reason_code}: {body.comment}" if body.comment else body.reason_code,
        reason_code=body.reason_code,
        actor=user.username,
        role=user.role,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
    )
    state = await update_order(temporal, order_id, OrderWorkflow.cancel, request, starter)
    answer = OrderStateOut.of(order_id, state)
    if state.cancellation_requested:
        answer.status = CANCELLATION_REQUESTED
    return answer


async def _now(session: AsyncSession, order_id: str) -> tuple[Order, Decimal]:
    """The order and what it has been paid, as they are now: the order may have moved on since
    this request first loaded it."""
    order = await session.scalar(
        select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order, await paid_total(session, order_id)


async def _recorded_payment(
    session: AsyncSession, order_id: str, reference: str
) -> PaymentResult | None:
    """The answer to a payment already recorded, for a retry after the order's process ended."""
    found = await session.scalar(
        select(Payment.reference).where(
            Payment.order_id == order_id, Payment.reference == reference
        )
    )
    if found is None:
        return None
    order, paid = await _now(session, order_id)
    return PaymentResult(
        order_id=order_id, status=order.status, paid_total=paid, order_total=order.total
    )


async def _recorded_shipment_event(
    session: AsyncSession, order_id: str, tracking_number: str, event: str
) -> OrderStateOut | None:
    """The answer to a carrier scan already recorded, for a webhook retried after the end."""
    found = await session.scalar(
        select(ShipmentEvent.event)
        .join(Shipment, Shipment.tracking_number == ShipmentEvent.tracking_number)
        .where(
            Shipment.order_id == order_id,
            ShipmentEvent.tracking_number == tracking_number,
            ShipmentEvent.event == event,
        )
    )
    if found is None:
        return None
    order, paid = await _now(session, order_id)
    return OrderStateOut(
        order_id=order_id, status=order.status, paid_total=paid, tracking_number=tracking_number
    )
