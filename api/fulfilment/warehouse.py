"""The warehouse's side of an order: its pick lists, and packing confirmed to the order's
workflow (which books the carrier from the packages).

Reads run in short transactions, none held open while Temporal answers (see db/engine.py).
"""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import NotAllowedNow, NotFound
from api.fulfilment.schemas import (
    FulfilmentKpis,
    PackedIn,
    PackedOut,
    PickListLine,
    PickListOut,
    ResolutionIn,
    ShipmentExceptionOut,
)
from api.orders.schemas import OrderStateOut
from api.orders.views import load_order
from api.returns.desk import workflow_input
from api.workflow_calls import update_order, update_return
from config import Settings
from db.models import (
    Order,
    OrderHistory,
    Product,
    Return,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
)
from db.shipments import PICKING_LIST
from db.stock import priority_rank
from domain.messages import ExceptionResolution, Package, PackingInput, ShipmentEventKind
from domain.status import DELIVERED_STATUS, EXCEPTION_STATUS, FULFILMENT_STAGES
from temporal_client import OrderWorkflow, ReturnWorkflow


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
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    user: Principal,
    shipment_id: str,
    body: PackedIn,
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
        if shipment.rma is not None:  # an exchange's goods: its return's workflow ships them
            ret = await session.get_one(Return, shipment.rma)
            await update_return(
                temporal,
                settings,
                workflow_input(ret, settings),
                ReturnWorkflow.shipment_packed,
                packing,
            )
            status = order.status
        else:
            state = await update_order(temporal, order.id, OrderWorkflow.shipment_packed, packing)
            status = state.status
    except NotAllowedNow:
        async with session.begin():
            await session.refresh(shipment)
            if shipment.status == PICKING_LIST:
                raise
            return _packed(shipment, order.status)
    async with session.begin():
        await session.refresh(shipment)
    return _packed(shipment, status)


def _packed(shipment: Shipment, order_status: str) -> PackedOut:
    return PackedOut(
        shipment_id=shipment.id,
        order_id=shipment.order_id,
        warehouse=shipment.warehouse,
        status=shipment.status,
        order_status=order_status,
    )


async def resolve_exception(
    session: AsyncSession, temporal: Client, user: Principal, order_id: str, body: ResolutionIn
) -> OrderStateOut:
    """Customer service reships or refunds the parcel in trouble."""
    async with session.begin():
        await load_order(session, order_id, user)
    resolution = ExceptionResolution(action=body.action, comment=body.comment, actor=user.username)
    state = await update_order(temporal, order_id, OrderWorkflow.shipment_exception, resolution)
    return OrderStateOut.of(order_id, state)


async def open_exceptions(session: AsyncSession) -> list[ShipmentExceptionOut]:
    """Customer service's queue: orders stopped by a parcel's exception scan, oldest first."""
    rows = await session.execute(
        select(Order, Shipment, ShipmentEvent)
        .join(Shipment, Shipment.order_id == Order.id)
        .join(ShipmentEvent, ShipmentEvent.tracking_number == Shipment.tracking_number)
        .where(
            Order.status == EXCEPTION_STATUS,
            ShipmentEvent.event == ShipmentEventKind.EXCEPTION,
            Shipment.status == ShipmentEventKind.EXCEPTION,
        )
        .order_by(ShipmentEvent.occurred_at)
        .limit(500)
    )
    return [
        ShipmentExceptionOut(
            order_id=order.id,
            shipment_id=shipment.id,
            warehouse=shipment.warehouse,
            tracking_number=event.tracking_number,
            detail=event.detail,
            reported_at=event.occurred_at,
            customer_id=order.customer_id,
            shipping_method=order.shipping_method,
        )
        for order, shipment, event in rows
    ]


async def fulfilment_kpis(session: AsyncSession) -> FulfilmentKpis:
    counts = {
        str(status): int(n)
        for status, n in await session.execute(
            select(Order.status, func.count())
            .where(Order.status.in_(FULFILMENT_STAGES))
            .group_by(Order.status)
        )
    }
    late = await session.scalar(select(func.count()).where(Order.late.is_(True)))
    delivered = await session.execute(
        select(Order.late, func.count())
        .join(OrderHistory, OrderHistory.order_id == Order.id)
        .where(OrderHistory.to_status == DELIVERED_STATUS)
        .group_by(Order.late)
    )
    by_late = {bool(k): int(v) for k, v in delivered}
    total = sum(by_late.values())
    return FulfilmentKpis(
        orders_by_stage={str(stage): counts.get(stage, 0) for stage in FULFILMENT_STAGES},
        open_shipment_exceptions=counts.get(EXCEPTION_STATUS, 0),
        late_orders=int(late or 0),
        late_share=(
            (Decimal(by_late.get(True, 0)) / Decimal(total)).quantize(Decimal("0.0001"))
            if total
            else None
        ),
    )
