"""A custom order's production: the production order created at the plant, the plant's
events recorded, and the goods received into stock held for the order."""

from datetime import date

from sqlalchemy import func, select
from temporalio import activity

from activities.production_system import ProductionRequest, ProductionSystem
from db import stock
from db.engine import SessionFactory
from db.models import OrderLine, ProductionEvent, ProductionOrder
from db.policies import current_policy
from db.status import lock_order, record_event
from domain.custom import ProductionStatus
from domain.messages import ProductionEventRecord, ProductionOutcome, ProductionStart


def production_order_id(order_id: str) -> str:
    """One production order per custom order; its id is the plant's idempotency key."""
    return f"po-{order_id}"


class ProductionActivities:
    def __init__(self, sessions: SessionFactory, plant: ProductionSystem) -> None:
        self.sessions = sessions
        self.plant = plant

    @activity.defn(name="create_production_order")
    async def create_production_order(self, order_id: str) -> ProductionStart:
        """The signed-off order goes to the plant (run again: the same production order)."""
        po_id = production_order_id(order_id)
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            policy = (await current_policy(session))[1]
            lines = tuple(
                (sku, q)
                for sku, q in await session.execute(
                    select(OrderLine.sku, OrderLine.quantity)
                    .where(OrderLine.order_id == order_id)
                    .order_by(OrderLine.line_no)
                )
            )
            existing = await session.get(ProductionOrder, po_id)
            today = await session.scalar(select(func.current_date()))
            assert isinstance(today, date)
            wanted = order.estimated_ready or today
            plant_ref = await self.plant.create_order(
                ProductionRequest(po_id, order_id, lines, order.specification or {}, wanted)
            )
            if existing is None:
                session.add(
                    ProductionOrder(
                        id=po_id,
                        order_id=order_id,
                        plant_ref=plant_ref,
                        status=ProductionStatus.CREATED,
                        # What it weighs in the plant's queue for orders taken after it.
                        production_days=max((wanted - today).days, 1),
                        estimated_ready=wanted,
                    )
                )
                await record_event(
                    session,
                    order,
                    "system",
                    f"production order {po_id} at the plant ({plant_ref}), "
                    f"ready by {wanted.isoformat()}",
                )
            return ProductionStart(
                order_id=order_id,
                production_order_id=po_id,
                plant_ref=plant_ref,
                max_reworks=policy.custom.max_reworks,
            )

    @activity.defn(name="record_production_event")
    async def record_production_event(self, record: ProductionEventRecord) -> None:
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            po = await session.get(
                ProductionOrder, record.production_order_id, with_for_update=True
            )
            assert po is not None  # created before its workflow started
            # Once: a retry after the commit finds the state already taken.
            if (po.status, po.reworks) == (record.status, record.reworks):
                return
            po.status, po.reworks = record.status, record.reworks
            session.add(
                ProductionEvent(
                    production_order_id=po.id,
                    event=record.event,
                    detail=record.detail,
                    actor=record.actor,
                )
            )
            detail = f": {record.detail}" if record.detail else ""
            await record_event(
                session,
                order,
                record.actor,
                f"production {record.event} ({record.status}){detail}",
            )

    @activity.defn(name="receive_production")
    async def receive_production(self, start: ProductionStart) -> ProductionOutcome:
        """Quality passed: the goods go into the receiving warehouse, held for the order."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, start.order_id)
            po = await session.get(ProductionOrder, start.production_order_id, with_for_update=True)
            assert po is not None
            if po.finished_at is None:
                warehouse = (await current_policy(session))[1].custom.receiving_warehouse
                rows = await session.execute(
                    select(OrderLine.sku, func.sum(OrderLine.quantity))
                    .where(OrderLine.order_id == order.id)
                    .group_by(OrderLine.sku)
                    .order_by(OrderLine.sku)
                )
                for sku, quantity in rows:
                    await stock.receive_for(session, order.id, sku, warehouse, int(quantity))
                po.finished_at = func.now()
                await record_event(
                    session, order, "system", f"made goods received into {warehouse}, held"
                )
            return ProductionOutcome(status=ProductionStatus(po.status), reworks=po.reworks)
