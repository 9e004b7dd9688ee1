"""`/production-orders/{id}`: what the plant has made of a custom order, and its events
(`POST .../events`, from the plant's system or the warehouse), which reach the order's
production workflow as updates (an event out of turn is 409 and changes nothing)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import SessionDep, TemporalDep, who
from api.errors import NotFound
from api.orders.views import load_order
from api.permissions import CanDecideProduction, CanReadOrders, CanRecordProductionEvent
from api.production.schemas import (
    DecisionIn,
    ProductionEventIn,
    ProductionEventOut,
    ProductionOrderOut,
)
from api.workflow_calls import update_production
from db.audit import audit
from db.models import ProductionEvent, ProductionOrder
from domain.custom import ProductionStatus
from domain.messages import ProductionEventInput, ServiceDecisionInput
from temporal_client import ProductionWorkflow

router = APIRouter(tags=["production"])

ProductionOrderId = Annotated[str, Path(pattern=r"^po-[0-9a-f\-]{36}$")]


async def _read(session: AsyncSession, po_id: str, user: Principal) -> ProductionOrderOut:
    async with session.begin():
        po = await session.get(ProductionOrder, po_id, populate_existing=True)
        if po is None:
            raise NotFound(f"production order {po_id} not found")
        await load_order(session, po.order_id, user)  # out of the user's scope: not found
        events = await session.scalars(
            select(ProductionEvent)
            .where(ProductionEvent.production_order_id == po_id)
            .order_by(ProductionEvent.id)
        )
        return ProductionOrderOut(
            id=po.id,
            order_id=po.order_id,
            plant_ref=po.plant_ref,
            status=ProductionStatus(po.status),
            reworks=po.reworks,
            estimated_ready=po.estimated_ready,
            finished_at=po.finished_at,
            events=[ProductionEventOut.model_validate(e, from_attributes=True) for e in events],
        )


@router.get("/production-orders/{po_id}")
async def get_production_order(
    po_id: ProductionOrderId, session: SessionDep, user: CanReadOrders
) -> ProductionOrderOut:
    """The production order: the plant's reference, its status, reworks and events."""
    return await _read(session, po_id, user)


@router.post("/production-orders/{po_id}/events")
async def record_production_event(
    po_id: ProductionOrderId,
    body: ProductionEventIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanRecordProductionEvent,
) -> ProductionOrderOut:
    """The plant reports progress. quality_failed sends it back for rework (up to the
    policy's `custom.max_reworks`; past it the order is cancelled for customer service);
    quality_passed receives the goods into stock held for the order, which then ships."""
    po = await _read(session, po_id, user)
    event = ProductionEventInput(event=body.event, detail=body.detail, actor=user.username)
    await update_production(temporal, po.order_id, ProductionWorkflow.event, event)
    return await _read(session, po_id, user)


@router.post("/production-orders/{po_id}/decision")
async def decide_production(
    po_id: ProductionOrderId,
    body: DecisionIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    user: CanDecideProduction,
) -> ProductionOrderOut:
    """A production order held past its reworks (status `held`): customer service sends it
    back for one more rework or gives it up, which cancels the order. 409 unless held."""
    po = await _read(session, po_id, user)
    decision = ServiceDecisionInput(
        decision=body.decision, comment=body.comment, actor=user.username
    )
    await update_production(temporal, po.order_id, ProductionWorkflow.decide, decision)
    async with session.begin():
        audit(
            session,
            who(request, user),
            "production.decide",
            str(body.decision),
            order_id=po.order_id,
            detail=body.comment,
        )
    return await _read(session, po_id, user)
