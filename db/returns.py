"""Returns as records: what an order delivered and had returned, when it was delivered, and
the goods an exchange sends (held and put on a pick list like any shipment's).

Every function runs inside the caller's transaction.
"""

import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import reorder, stock
from db.models import (
    Order,
    Reservation,
    Return,
    ReturnLine,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
)
from db.shipments import PICKING_LIST
from domain.returns import ReturnStatus

DELIVERED = "delivered"


def new_rma() -> str:
    return f"RMA-{secrets.token_hex(5).upper()}"


async def delivered_quantities(session: AsyncSession, order_id: str) -> dict[str, int]:
    """Per sku, what reached the customer: the lines of every delivered parcel (an exchange's
    included)."""
    rows = await session.execute(
        select(ShipmentLine.sku, func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order_id, Shipment.status == DELIVERED)
        .group_by(ShipmentLine.sku)
    )
    return {sku: int(q) for sku, q in rows}


async def returned_quantities(session: AsyncSession, order_id: str) -> dict[str, int]:
    """Per sku, what returns claim (expired ones claim nothing)."""
    rows = await session.execute(
        select(ReturnLine.sku, func.sum(ReturnLine.quantity))
        .join(Return, Return.rma == ReturnLine.rma)
        .where(Return.order_id == order_id, Return.status != ReturnStatus.EXPIRED)
        .group_by(ReturnLine.sku)
    )
    return {sku: int(q) for sku, q in rows}


async def refunded_quantities(session: AsyncSession, order_id: str) -> dict[str, int]:
    """Per sku, what came back and was refunded (exchanged goods went out again)."""
    rows = await session.execute(
        select(ReturnLine.sku, func.sum(ReturnLine.sellable + ReturnLine.damaged))
        .join(Return, Return.rma == ReturnLine.rma)
        .where(Return.order_id == order_id, Return.status == ReturnStatus.REFUNDED)
        .group_by(ReturnLine.sku)
    )
    return {sku: int(q) for sku, q in rows}


async def delivered_at(session: AsyncSession, order_id: str) -> datetime | None:
    """When the order's last parcel was delivered (the return window runs from it)."""
    at: datetime | None = await session.scalar(
        select(func.max(ShipmentEvent.occurred_at))
        .join(Shipment, Shipment.tracking_number == ShipmentEvent.tracking_number)
        .where(
            Shipment.order_id == order_id,
            Shipment.rma.is_(None),
            ShipmentEvent.event == DELIVERED,
        )
    )
    return at


async def hold_exchange(
    session: AsyncSession, order: Order, rma: str, items: dict[str, int]
) -> Shipment | None:
    """The same goods again, held in one warehouse that has them all, on a pick list of their
    own; None when no warehouse has them now (the exchange waits for stock)."""
    rows = await stock.lock_rows(session, list(items))
    by_warehouse: dict[str, dict[str, int]] = {}
    for row in rows:
        by_warehouse.setdefault(row.warehouse, {})[row.sku] = row.on_hand - row.reserved
    ready = [
        wh
        for wh, free in sorted(by_warehouse.items())
        if all(free.get(sku, 0) >= q for sku, q in items.items())
    ]
    if not ready:
        return None
    warehouse = ready[0]
    shipment = Shipment(
        id=f"{rma}-X", order_id=order.id, warehouse=warehouse, status=PICKING_LIST, rma=rma
    )
    session.add(shipment)
    await session.flush()
    for row in rows:
        if row.warehouse == warehouse and row.sku in items:
            row.reserved += items[row.sku]
    for sku, quantity in sorted(items.items()):
        session.add(
            Reservation(
                order_id=order.id,
                sku=sku,
                warehouse=warehouse,
                quantity=quantity,
                status=stock.RESERVED,
                shipment_id=shipment.id,
            )
        )
        session.add(ShipmentLine(shipment_id=shipment.id, sku=sku, quantity=quantity))
    await session.flush()
    await reorder.watch(session, list(items))
    return shipment
