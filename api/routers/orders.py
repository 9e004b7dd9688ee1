"""Orders: intake, reading, and the messages people send to a running order."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import SessionDep, SettingsDep, StarterDep, TemporalDep, allowed, who
from api.errors import Forbidden, NotAllowedNow
from api.intake import customer_owner, find_existing, record_order
from api.order_views import (
    load_order,
    order_detail,
    order_page,
    recorded_payment,
    recorded_shipment_event,
)
from api.schemas import (
    CancelIn,
    HistoryEntry,
    OrderCreated,
    OrderDetail,
    OrderIn,
    OrderPage,
    OrderStateOut,
    PaymentIn,
    PaymentResult,
    ShipmentEventIn,
    WarehouseHistoryEntry,
    WarehouseOrderDetail,
    WarehouseOrderPage,
)
from api.scope import sees_prices
from api.workflow_calls import start_order_workflow, update_order
from config import Settings
from db.audit import audit
from db.models import AuditEntry, Order, OrderHistory
from db.payments import order_paid_with
from domain.messages import CancelInput, PaymentInput, ShipmentEventInput
from domain.roles import Action, is_allowed, may_cancel
from domain.status import OrderStatus
from temporal_client import OrderWorkflow, workflow_id

router = APIRouter(tags=["orders"])
# Printable ASCII, as HTTP headers carry it; stored with the order.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", pattern=r"^[\x21-\x7E]{1,200}$")
]


@router.post("/orders", status_code=201)
async def create_order(
    body: OrderIn,
    request: Request,
    response: Response,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    starter: StarterDep,
    user: Annotated[Principal, Depends(allowed(Action.CREATE_ORDER))],
    idempotency_key: IdempotencyKey = None,
) -> OrderCreated:
    """Take an order; a retry with the same key or external_ref returns the same order (200)."""
    sets_prices = any(x.unit_price is not None or x.discount_pct for x in body.lines)
    if sets_prices and not is_allowed(user.role, Action.SET_PRICES):
        raise Forbidden(f"role {user.role} may not set prices or discounts")
    async with starter.intake():
        order, owner = await _record(
            session, request, response, body, user, idempotency_key, settings
        )
    if order.workflow_started_at is None:
        # Started right after this answer (a retry after a lost start gets it started too).
        starter.submit(order.id, partial(start_order_workflow, temporal, settings, order, owner))
    return OrderCreated(order_id=order.id, workflow_id=workflow_id(order.id), status=order.status)


async def _record(
    session: AsyncSession,
    request: Request,
    response: Response,
    body: OrderIn,
    user: Principal,
    idempotency_key: str | None,
    settings: Settings,
) -> tuple[Order, str | None]:
    """The order of this request: recorded now, or found from an earlier attempt (200)."""
    settings_p = settings.process
    try:
        async with session.begin():
            order = await find_existing(session, user, idempotency_key, body)
            if order is None:
                order, owner = await record_order(
                    session,
                    body,
                    user,
                    idempotency_key,
                    settings_p.currency,
                    settings_p.tax_rate_pct,
                )
                audit(
                    session,
                    who(request, user),
                    "order.create",
                    "created",
                    order_id=order.id,
                    detail=f"via {body.channel}",
                )
            else:
                response.status_code = 200
                owner = await customer_owner(session, order.customer_id)
    except IntegrityError:
        # A concurrent retry of the same request won the unique key: answer with its order.
        async with session.begin():
            order = await find_existing(session, user, idempotency_key, body)
            if order is None:
                raise
            owner = await customer_owner(session, order.customer_id)
        response.status_code = 200
    return order, owner


@router.get("/orders")
async def list_orders(
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.READ_ORDERS))],
    status: OrderStatus | None = None,
    customer_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> OrderPage | WarehouseOrderPage:
    """Orders in this user's scope, newest first, filtered by status and customer."""
    return await order_page(session, user, status, customer_id, limit, cursor)


@router.get("/orders/{order_id}")
async def get_order(
    order_id: str,
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.READ_ORDERS))],
) -> OrderDetail | WarehouseOrderDetail:
    """One order: lines, totals, approvals, stock, shipments, invoice, payments (by role)."""
    return await order_detail(session, order_id, user)


@router.get("/orders/{order_id}/history")
async def get_history(
    order_id: str,
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.READ_ORDERS))],
) -> list[HistoryEntry] | list[WarehouseHistoryEntry]:
    """Every status change and event of the order, and its audit rows, oldest first."""
    await load_order(session, order_id, user)
    rows = await session.scalars(
        select(OrderHistory).where(OrderHistory.order_id == order_id).order_by(OrderHistory.id)
    )
    entries = [HistoryEntry.model_validate(r, from_attributes=True) for r in rows]
    audits = await session.scalars(
        select(AuditEntry).where(AuditEntry.order_id == order_id).order_by(AuditEntry.id)
    )
    entries += [
        HistoryEntry(
            kind="audit",
            at=a.at,
            actor=a.actor,
            reason=a.detail,
            action=a.action,
            result=a.result,
            decision_id=a.decision_id,
        )
        for a in audits
    ]
    # Stable: within one instant, the status change comes before its audit row.
    entries.sort(key=lambda e: e.at)
    if not sees_prices(user):
        return [
            WarehouseHistoryEntry.model_validate(e.model_dump(exclude={"reason", "decision_id"}))
            for e in entries
        ]
    return entries


@router.post("/orders/{order_id}/payments")
async def record_payment(
    order_id: str,
    body: PaymentIn,
    session: SessionDep,
    temporal: TemporalDep,
    starter: StarterDep,
    user: Annotated[Principal, Depends(allowed(Action.RECORD_PAYMENT))],
) -> PaymentResult:
    """Record a payment; the same reference twice counts once."""
    await load_order(session, order_id, user)
    paid_order = await order_paid_with(session, body.method, body.reference)
    await session.rollback()  # no transaction held across the Temporal call
    if paid_order is not None and paid_order != order_id:
        raise NotAllowedNow(f"payment reference {body.reference} already paid another order")
    payment = PaymentInput(**body.model_dump(), actor=user.username)
    try:
        state = await update_order(
            temporal, order_id, OrderWorkflow.record_payment, payment, starter
        )
    except NotAllowedNow:
        replayed = await recorded_payment(session, order_id, body.reference)
        if replayed is None:
            raise
        return replayed
    return PaymentResult(
        order_id=order_id,
        status=state.status,
        paid_total=state.paid_total,
        order_total=state.order_total,
    )


@router.post("/orders/{order_id}/shipment-events")
async def record_shipment_event(
    order_id: str,
    body: ShipmentEventIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: Annotated[Principal, Depends(allowed(Action.RECORD_SHIPMENT_EVENT))],
) -> OrderStateOut:
    """A carrier scan (webhook); the same event twice counts once."""
    await load_order(session, order_id, user)
    event = ShipmentEventInput(**body.model_dump(), actor=user.username)
    try:
        state = await update_order(temporal, order_id, OrderWorkflow.shipment_event, event)
    except NotAllowedNow:
        replayed = await recorded_shipment_event(
            session, order_id, body.tracking_number, body.event
        )
        if replayed is None:
            raise
        return replayed
    return OrderStateOut(order_id=order_id, **state.model_dump(exclude={"pending_levels"}))


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    order_id: str,
    body: CancelIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    starter: StarterDep,
    user: Annotated[Principal, Depends(allowed(Action.CANCEL_ORDER))],
) -> OrderStateOut:
    """Cancel until shipped: stock is released and payments refunded."""
    order = await load_order(session, order_id, user)
    if not may_cancel(user.role, user.username, order.created_by):
        raise Forbidden(f"role {user.role} may not cancel this order")
    w = who(request, user)
    cancel = CancelInput(
        reason=body.reason,
        actor=user.username,
        role=user.role,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
    )
    await session.rollback()
    state = await update_order(temporal, order_id, OrderWorkflow.cancel, cancel, starter)
    return OrderStateOut(order_id=order_id, **state.model_dump(exclude={"pending_levels"}))
