"""The warehouse routes: pick lists and packing."""

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import SessionDep, TemporalDep
from api.errors import NotFound
from api.fulfilment import warehouse as desk
from api.fulfilment.schemas import PackedIn, PackedOut, PickListOut
from api.permissions import CanPackShipment, CanReadPickLists
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
    user: CanPackShipment,
) -> PackedOut:
    """The shipment is packed: its packages' weight and size book the carrier."""
    return await desk.confirm_packing(session, temporal, user, shipment_id, body)
