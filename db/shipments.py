"""Shipments: one per warehouse holding an order's stock, with its pick list and packages.

Every function runs inside the caller's transaction.
"""

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Reservation, Shipment, ShipmentLine
from db.stock import RESERVED

# A shipment's life in the warehouse; after booking, its status is the carrier's last scan.
PICKING_LIST, PACKED, BOOKED, CANCELLED_SHIPMENT = "picking", "packed", "booked", "cancelled"
UNBOOKED = (PICKING_LIST, PACKED)


async def shipments_of(session: AsyncSession, order_id: str) -> list[Shipment]:
    rows = await session.scalars(
        select(Shipment)
        .where(Shipment.order_id == order_id, Shipment.status != CANCELLED_SHIPMENT)
        .order_by(Shipment.warehouse, Shipment.id)
    )
    return list(rows)


async def issue_pick_lists(session: AsyncSession, order_id: str) -> list[Shipment]:
    """One shipment per warehouse holding the order's reserved stock, its lines the pick list;
    the ones already issued when run again."""
    existing = await shipments_of(session, order_id)
    if existing:
        return existing
    held = await session.scalars(
        select(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == RESERVED)
        .order_by(Reservation.warehouse, Reservation.sku)
    )
    by_warehouse: dict[str, list[Reservation]] = defaultdict(list)
    for r in held:
        by_warehouse[r.warehouse].append(r)
    created = []
    for warehouse, lines in sorted(by_warehouse.items()):
        shipment = Shipment(
            id=str(uuid.uuid4()), order_id=order_id, warehouse=warehouse, status=PICKING_LIST
        )
        session.add(shipment)
        await session.flush()
        for r in lines:
            session.add(ShipmentLine(shipment_id=shipment.id, sku=r.sku, quantity=r.quantity))
        created.append(shipment)
    await session.flush()
    return created


async def lines_of(session: AsyncSession, shipment_id: str) -> list[ShipmentLine]:
    rows = await session.scalars(
        select(ShipmentLine)
        .where(ShipmentLine.shipment_id == shipment_id)
        .order_by(ShipmentLine.sku)
    )
    return list(rows)
