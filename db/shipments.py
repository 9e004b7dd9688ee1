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
# A booking withdrawn before the carrier picked the parcel up (the order was cancelled).
WITHDRAWN = "withdrawn"
UNBOOKED = (PICKING_LIST, PACKED)


async def shipments_of(session: AsyncSession, order_id: str) -> list[Shipment]:
    rows = await session.scalars(
        select(Shipment)
        .where(Shipment.order_id == order_id, Shipment.status != CANCELLED_SHIPMENT)
        .order_by(Shipment.warehouse, Shipment.id)
    )
    return list(rows)


async def issue_pick_lists(
    session: AsyncSession, order_id: str, only: dict[str, int] | None = None
) -> list[Shipment]:
    """One shipment per warehouse for the order's reserved stock not on a pick list yet (or
    only this much of it per sku: a bulk order's batch, the rest staying held), its lines the
    pick list; returns the order's shipments not yet booked (run again, the same)."""
    if only is not None:
        # A batch's pick lists were issued by an earlier attempt: the rest stays held.
        unbooked = [s for s in await shipments_of(session, order_id) if s.status in UNBOOKED]
        if unbooked:
            return unbooked
    fresh = await session.scalars(
        select(Reservation)
        .where(
            Reservation.order_id == order_id,
            Reservation.status == RESERVED,
            Reservation.shipment_id.is_(None),
        )
        .order_by(Reservation.warehouse, Reservation.sku)
    )
    by_warehouse: dict[str, list[Reservation]] = defaultdict(list)
    for r in _limited(session, list(fresh), only):
        by_warehouse[r.warehouse].append(r)
    for warehouse, held in sorted(by_warehouse.items()):
        shipment = Shipment(
            id=str(uuid.uuid4()), order_id=order_id, warehouse=warehouse, status=PICKING_LIST
        )
        session.add(shipment)
        await session.flush()
        quantities: dict[str, int] = defaultdict(int)
        for r in held:
            r.shipment_id = shipment.id
            quantities[r.sku] += r.quantity
        for sku, quantity in sorted(quantities.items()):
            session.add(ShipmentLine(shipment_id=shipment.id, sku=sku, quantity=quantity))
    await session.flush()
    return [s for s in await shipments_of(session, order_id) if s.status in UNBOOKED]


def _limited(
    session: AsyncSession, held: list[Reservation], only: dict[str, int] | None
) -> list[Reservation]:
    """The reservations to pick, at most `only` per sku; a row that holds more is split, its
    rest a row of its own left for a later pick list."""
    if only is None:
        return held
    left = dict(only)
    picked = []
    for r in held:
        take = min(r.quantity, left.get(r.sku, 0))
        if take <= 0:
            continue
        if take < r.quantity:
            session.add(
                Reservation(
                    order_id=r.order_id,
                    sku=r.sku,
                    warehouse=r.warehouse,
                    quantity=r.quantity - take,
                    status=r.status,
                )
            )
            r.quantity = take
        left[r.sku] -= take
        picked.append(r)
    return picked


async def lines_of(session: AsyncSession, shipment_id: str) -> list[ShipmentLine]:
    rows = await session.scalars(
        select(ShipmentLine)
        .where(ShipmentLine.shipment_id == shipment_id)
        .order_by(ShipmentLine.sku)
    )
    return list(rows)
