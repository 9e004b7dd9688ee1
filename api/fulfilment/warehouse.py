"""The warehouse's side of an order: its pick lists, and packing confirmed to the order's
workflow (which books the carrier from the packages).

Reads run in short transactions, none held open while Temporal answers (see db/engine.py).
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import NotAllowedNow, NotFound
from api.fulfilment.schemas import PackedIn, PackedOut, PickListLine, PickListOut
from api.orders.views import load_order
from api.workflow_calls import update_order
from db.models import Order, Product, Shipment, ShipmentLine
from db.shipments import PICKING_LIST
from db.stock import priority_rank
from domain.messages import Package, PackingInput
from temporal_client import OrderWorkflow


async def pick_lists(session: AsyncSession, warehouse: str) -> list[PickListOut]:
    """Shipments waiting to be picked and packed at this warehouse: urgent first, then by
    age."""
    rows = await session.execute(
        select(Shipment, Order)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.warehouse == warehouse, Shipment.status == PICKING_LIST)
        .order_by(priority_rank(Order.priority), Shipment.created_at, Shipment.id)
        .limit(500)
    )
    lists = []
    for shipment, order in rows:
        lines = await session.execute(
            select(ShipmentLine, Product)
            .join(Product, Product.sku == ShipmentLine.sku)
            .where(ShipmentLine.shipment_id == shipment.id)
            .order_by(Product.bin_location, ShipmentLine.sku)
        )
        lists.append(
            PickListOut(
                shipment_id=shipment.id,
                order_id=shipment.order_id,
                warehouse=warehouse,
                shipping_method=order.shipping_method,
                priority=order.priority,
                requested_delivery_date=order.requested_delivery_date,
                issued_at=shipment.created_at,
                lines=[
                    PickListLine(
                        sku=line.sku,
                        name=product.name,
                        quantity=line.quantity,
                        bin_location=product.bin_location,
                    )
                    for line, product in lines
                ],
            )
        )
    return lists


async def confirm_packing(
    session: AsyncSession, temporal: Client, user: Principal, shipment_id: str, body: PackedIn
) -> PackedOut:
    """Packing confirmed once; a retry after it was taken answers from the record."""
    async with session.begin():
        shipment = await session.get(Shipment, shipment_id)
        if shipment is None:
            raise NotFound(f"shipment {shipment_id} not found")
        order = await load_order(session, shipment.order_id, user)
        if shipment.status != PICKING_LIST:
            return _packed(shipment, order.status)
    packing = PackingInput(
        shipment_id=shipment_id,
        packages=[Package(**p.model_dump()) for p in body.packages],
        packaging=body.packaging,
        actor=user.username,
    )
    try:
        state = await update_order(temporal, order.id, OrderWorkflow.shipment_packed, packing)
    except NotAllowedNow:
        async with session.begin():
            await session.refresh(shipment)
            if shipment.status == PICKING_LIST:
                raise
            return _packed(shipment, order.status)
    async with session.begin():
        await session.refresh(shipment)
    return _packed(shipment, state.status)


def _packed(shipment: Shipment, order_status: str) -> PackedOut:
    return PackedOut(
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        warehouse=shipment.warehouse,
        status=shipment.status,
        order_status=order_status,
    )
