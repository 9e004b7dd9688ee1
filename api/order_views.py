"""Reading orders back from PostgreSQL into response models."""

import base64
import binascii
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import InvalidFields, NotFound
from api.schemas import (
    ApprovalOut,
    InvoiceOut,
    LineOut,
    OrderDetail,
    OrderPage,
    OrderStateOut,
    OrderSummary,
    PaymentOut,
    PaymentResult,
    PickLineOut,
    ReservationOut,
    ShipmentOut,
    TotalsOut,
    WarehouseOrderDetail,
    WarehouseOrderPage,
    WarehouseOrderSummary,
)
from api.scope import orders_visible_to, sees_prices
from db.models import (
    Approval,
    Invoice,
    Order,
    OrderLine,
    Payment,
    Reservation,
    Shipment,
    ShipmentEvent,
)
from db.payments import paid_total
from domain.money import ZERO
from temporal_client import workflow_id


async def load_order(session: AsyncSession, order_id: str, user: Principal | None) -> Order:
    """The order if it exists and is in the user's scope (None: a system-internal read)."""
    stmt = select(Order).where(Order.id == order_id)
    if user is not None:
        stmt = stmt.where(orders_visible_to(user))
    order = await session.scalar(stmt)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


def summary(o: Order) -> OrderSummary:
    return OrderSummary(
        order_id=o.id,
        status=o.status,
        customer_id=o.customer_id,
        channel=o.channel,
        external_ref=o.external_ref,
        total=o.total,
        created_at=o.created_at,
    )


def warehouse_summary(o: Order) -> WarehouseOrderSummary:
    return WarehouseOrderSummary.model_validate(summary(o).model_dump(exclude={"total"}))


async def order_detail(
    session: AsyncSession, order_id: str, user: Principal
) -> OrderDetail | WarehouseOrderDetail:
    o = await load_order(session, order_id, user)

    async def rows(model: Any, *order_by: Any) -> list[Any]:
        stmt = select(model).where(model.order_id == order_id).order_by(*order_by)
        return list(await session.scalars(stmt))

    if not sees_prices(user):
        return WarehouseOrderDetail(
            **warehouse_summary(o).model_dump(),
            workflow_id=workflow_id(o.id),
            shipping_method=o.shipping_method,
            notes=o.notes,
            ship_to=o.ship_to,
            lines=[
                PickLineOut.model_validate(x, from_attributes=True)
                for x in await rows(OrderLine, OrderLine.line_no)
            ],
            reservations=[
                ReservationOut.model_validate(x, from_attributes=True)
                for x in await rows(Reservation, Reservation.sku, Reservation.warehouse)
            ],
            shipments=[
                ShipmentOut.model_validate(x, from_attributes=True)
                for x in await rows(Shipment, Shipment.created_at)
            ],
        )

    invoice = await session.get(Invoice, order_id)
    payments = [
        PaymentOut.model_validate(x, from_attributes=True)
        for x in await rows(Payment, Payment.created_at)
    ]
    paid = sum((x.amount for x in payments), ZERO)
    return OrderDetail(
        **summary(o).model_dump(),
        workflow_id=workflow_id(o.id),
        payment_method=o.payment_method,
        shipping_method=o.shipping_method,
        notes=o.notes,
        created_by=o.created_by,
        review_reasons=o.review_reasons,
        policy_version=o.policy_version,
        lines=[
            LineOut.model_validate(x, from_attributes=True)
            for x in await rows(OrderLine, OrderLine.line_no)
        ],
        totals=TotalsOut(
            subtotal=o.subtotal, discount=o.discount, tax=o.tax, total=o.total, currency=o.currency
        ),
        approvals=[
            ApprovalOut.model_validate(x, from_attributes=True)
            for x in await rows(Approval, Approval.level)
        ],
        reservations=[
            ReservationOut.model_validate(x, from_attributes=True)
            for x in await rows(Reservation, Reservation.sku, Reservation.warehouse)
        ],
        shipments=[
            ShipmentOut.model_validate(x, from_attributes=True)
            for x in await rows(Shipment, Shipment.created_at)
        ],
        invoice=InvoiceOut.model_validate(invoice, from_attributes=True) if invoice else None,
        payments=payments,
        paid_total=paid,
        # Never absorbed silently: what was paid beyond the total, until settled back.
        overpaid=max(paid - o.total, ZERO),
    )


def encode_cursor(o: Order) -> str:
    return base64.urlsafe_b64encode(f"{o.created_at.isoformat()}|{o.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, order_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(created), order_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidFields([(("cursor",), "malformed cursor")], where="query") from exc


async def order_page(
    session: AsyncSession,
    user: Principal,
    status: str | None,
    customer_id: str | None,
    limit: int,
    cursor: str | None,
) -> OrderPage | WarehouseOrderPage:
    """Newest first, keyset-paginated so pages stay stable while orders arrive."""
    stmt = select(Order).where(orders_visible_to(user))
    if status:
        stmt = stmt.where(Order.status == status)
    if customer_id:
        stmt = stmt.where(Order.customer_id == customer_id)
    if cursor:
        created, last_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(Order.created_at < created, and_(Order.created_at == created, Order.id < last_id))
        )
    found = list(
        await session.scalars(
            stmt.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)
        )
    )
    more = len(found) > limit
    items = found[:limit]
    if not sees_prices(user):
        return WarehouseOrderPage(
            items=[warehouse_summary(o) for o in items],
            next_cursor=encode_cursor(items[-1]) if more and items else None,
        )
    return OrderPage(
        items=[summary(o) for o in items],
        next_cursor=encode_cursor(items[-1]) if more and items else None,
    )


async def _fresh(session: AsyncSession, order_id: str) -> Order:
    # The order may have moved on since this request first loaded it.
    order = await session.scalar(
        select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


async def recorded_payment(
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
    order = await _fresh(session, order_id)
    return PaymentResult(
        order_id=order_id,
        status=order.status,
        paid_total=await paid_total(session, order_id),
        order_total=order.total,
    )


async def recorded_shipment_event(
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
    order = await _fresh(session, order_id)
    return OrderStateOut(
        order_id=order_id,
        status=order.status,
        paid_total=await paid_total(session, order_id),
        tracking_number=tracking_number,
    )
