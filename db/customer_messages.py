"""The customer told of their order's progress, in the transaction of the status change
that causes it (domain/customer_messages.py says which)."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import LINKS
from db.models import Customer, Invoice, Order, Shipment
from db.notify import tell_customer
from domain.carrier import ShippingMethod
from domain.confirmation_links import TRACK, TRACK_LIFE, LinkSigner
from domain.customer_messages import STATUS_MESSAGES, expected_delivery, tracking_page
from domain.status import OrderStatus


async def tell_of_status(session: AsyncSession, order: Order, status: OrderStatus) -> None:
    kind = STATUS_MESSAGES.get(status)
    if kind is None:
        return
    params: dict[str, Any] = {"order": order.id, "total": order.total, "currency": order.currency}
    if kind == "order_confirmed":
        today = await session.scalar(select(func.current_date()))
        assert today is not None
        method = ShippingMethod(order.shipping_method)
        params["expected"] = expected_delivery(today, method, order.expected_stock_date)
        params["awaiting_payment"] = status == OrderStatus.AWAITING_PAYMENT
        links: LinkSigner | None = session.info.get(LINKS)
        if links is not None:
            params["track"] = links.link(order.id, order.created_at + TRACK_LIFE, TRACK)
    elif kind == "waiting_for_stock":
        params["expected"] = order.expected_stock_date
    elif kind == "shipped":
        rows = await session.execute(
            select(Shipment.carrier, Shipment.tracking_number)
            .where(Shipment.order_id == order.id, Shipment.tracking_number.is_not(None))
            .order_by(Shipment.created_at)
        )
        params["parcels"] = [
            {"tracking": t, "carrier": c, "page": tracking_page(c, t)} for c, t in rows if t
        ]
    customer = await session.get_one(Customer, order.customer_id)
    # A partial order hears of each of its shipments: the key names the status.
    key = f"{order.id}:{kind}" + (f":{status}" if kind == "shipped" else "")
    await tell_customer(session, key, order.id, kind, customer, params)


async def tell_of_invoice(session: AsyncSession, order: Order, invoice: Invoice) -> None:
    customer = await session.get_one(Customer, order.customer_id)
    params = {
        "invoice": invoice.number,
        "order": order.id,
        "total": invoice.total,
        "currency": invoice.currency,
        "due": invoice.due_date,
    }
    key = f"{order.id}:invoice:{invoice.number}"
    await tell_customer(session, key, order.id, "invoice_issued", customer, params)
