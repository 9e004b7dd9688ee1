"""The benchmark's eyes: the state of its open orders read straight from PostgreSQL in a few
set queries per round, in the shape GET /orders/{id} gives the people of bench/traffic.py.
Polling every open order through the API (hundreds a second at 20 orders/s) would load the
API with traffic no real desk sends; people act through the API, the watching does not."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from db.engine import SessionFactory
from db.models import Approval, Invoice, Order, Payment, Shipment


async def order_views(
    sessions: SessionFactory, order_ids: list[str]
) -> dict[str, tuple[dict[str, Any], float]]:
    """Order id -> (its view, when its status last changed as a Unix time)."""
    if not order_ids:
        return {}
    async with sessions() as session:
        orders = (
            await session.execute(
                select(
                    Order.id, Order.status, Order.payment_method, Order.total, Order.updated_at
                ).where(Order.id.in_(order_ids))
            )
        ).all()
        approvals: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for order_id, level, status, current, by in await session.execute(
            select(
                Approval.order_id,
                Approval.level,
                Approval.status,
                Approval.current_level,
                Approval.decided_by,
            ).where(Approval.order_id.in_(order_ids))
        ):
            approvals[order_id].append(
                {"level": level, "status": status, "current_level": current, "decided_by": by}
            )
        shipments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for order_id, tracking, status in await session.execute(
            select(Shipment.order_id, Shipment.tracking_number, Shipment.status).where(
                Shipment.order_id.in_(order_ids)
            )
        ):
            shipments[order_id].append({"tracking_number": tracking, "status": status})
        invoiced: dict[str, Decimal] = dict(
            (
                await session.execute(
                    select(Invoice.order_id, func.sum(Invoice.total))
                    .where(Invoice.order_id.in_(order_ids))
                    .group_by(Invoice.order_id)
                )
            ).all()
        )
        payments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for order_id, amount in await session.execute(
            select(Payment.order_id, Payment.amount).where(Payment.order_id.in_(order_ids))
        ):
            payments[order_id].append({"amount": str(amount)})
    views = {}
    for order_id, status, method, total, updated in orders:
        paid = sum((Decimal(p["amount"]) for p in payments[order_id]), Decimal(0))
        open_amount = max(invoiced.get(order_id, Decimal(0)) - paid, Decimal(0))
        view = {
            "status": status,
            "payment_method": method,
            "totals": {"total": str(total)},
            "approvals": approvals[order_id],
            "shipments": shipments[order_id],
            "payments": payments[order_id],
            "invoices": [{"open_amount": str(open_amount)}],
        }
        views[order_id] = (view, updated.timestamp())
    return views
