"""A bulk order's batches: the plan the workflow times, each batch falling due on its
reservation day (its lines join what the order asks of the warehouses) and marked shipped."""

from sqlalchemy import func, select, update
from temporalio import activity

from db import stock
from db.engine import SessionFactory
from db.models import Order, OrderBatch
from db.status import lock_order, record_event
from domain.messages import BatchPlan, BatchStep, BulkPlan


class BulkActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="plan_batches")
    async def plan_batches(self, order_id: str) -> BulkPlan:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OrderBatch)
                .where(OrderBatch.order_id == order_id)
                .order_by(OrderBatch.batch_no)
            )
            batches = [
                BatchPlan(
                    batch_no=b.batch_no,
                    delivery_date=b.delivery_date,
                    reserve_on=b.reserve_on,
                    lines={str(sku): int(q) for sku, q in b.lines},
                )
                for b in rows
            ]
            set_aside = await session.scalar(
                select(Order.set_aside_warehouse).where(Order.id == order_id)
            )
            return BulkPlan(batches=batches, set_aside=set_aside is not None)

    @activity.defn(name="open_batch")
    async def open_batch(self, step: BatchStep) -> None:
        """The batch's reservation day came: its lines are asked of the warehouses (the
        reservation that follows holds them). Run again, it changes nothing."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, step.order_id)
            opened = await session.execute(
                update(OrderBatch)
                .where(
                    OrderBatch.order_id == step.order_id,
                    OrderBatch.batch_no == step.batch_no,
                    OrderBatch.status == stock.BATCH_SCHEDULED,
                )
                .values(status=stock.BATCH_DUE, reserved_at=func.now())
                .returning(OrderBatch.delivery_date)
            )
            due = opened.scalar_one_or_none()
            if due is not None:
                await record_event(
                    session,
                    order,
                    "system",
                    f"delivery {step.batch_no} of {due.isoformat()} due: its stock is reserved",
                )

    @activity.defn(name="batch_shipped")
    async def batch_shipped(self, step: BatchStep) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(OrderBatch)
                .where(
                    OrderBatch.order_id == step.order_id,
                    OrderBatch.batch_no == step.batch_no,
                    OrderBatch.status == stock.BATCH_DUE,
                )
                .values(status=stock.BATCH_SHIPPED, shipped_at=func.now())
            )
