"""The warehouse routes: pick lists and packing."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import NotFound
from api.fulfilment import warehouse as desk
from api.fulfilment.schemas import (
    FulfilmentKpis,
    PackedIn,
    PackedOut,
    PickListOut,
    ResolutionIn,
    ShipmentExceptionOut,
)
from api.orders.schemas import OrderStateOut
from api.permissions import (
    CanPackShipment,
    CanReadKpis,
    CanReadPickLists,
    CanResolveShipmentException,
)
from db.models import Warehouse

router = APIRouter(tags=["fulfilment"])

WarehouseCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-]{1,16}$")]


@router.get("/warehouse/{warehouse}/pick-lists")
async def pick_lists(
    warehouse: WarehouseCode, session: SessionDep, user: CanReadPickLists
) -> list[PickListOut]:
    """What this warehouse has to pick and pack now, urgent first, lines in bin order."""
    if await session.get(Warehouse, warehouse) is None:
        raise NotFound(f"warehouse {warehouse} not found")
    return await desk.pick_lists(session, warehouse)


@router.post("/shipments/{shipment_id}/packed")
async def packed(
    shipment_id: Annotated[str, Path(max_length=40)],
    body: PackedIn,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    user: CanPackShipment,
) -> PackedOut:
    """The shipment is packed: its packages' weight and size book the carrier."""
    return await desk.confirm_packing(session, temporal, settings, user, shipment_id, body)


@router.post("/orders/{order_id}/shipment-exception")
async def resolve_shipment_exception(
    order_id: str,
    body: ResolutionIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanResolveShipmentException,
) -> OrderStateOut:
    """Reship the parcel in trouble (from stock, held again) or refund its value."""
    return await desk.resolve_exception(session, temporal, user, order_id, body)


@router.get("/shipment-exceptions")
async def shipment_exceptions(
    session: SessionDep, user: CanResolveShipmentException
) -> list[ShipmentExceptionOut]:
    """Customer service's queue: orders stopped by a parcel's exception, oldest first."""
    return await desk.open_exceptions(session)


@router.get("/kpis/fulfilment")
async def fulfilment_kpis(session: SessionDep, user: CanReadKpis) -> FulfilmentKpis:
    """Orders by fulfilment stage, open shipment exceptions, late deliveries."""
    return await desk.fulfilment_kpis(session)
