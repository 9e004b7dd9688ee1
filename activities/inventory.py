"""Reservation stage: hold stock for the order, or queue it for the next receipt."""

from temporalio import activity

from db import stock
from db.engine import SessionFactory
from db.status import change_status, lock_order
from domain.messages import ReserveRequest, ReserveResult


class InventoryActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="reserve_stock")
    async def reserve_stock(self, request: ReserveRequest) -> ReserveResult:
        async with self.sessions.begin() as session:
            order = await lock_order(session, request.order_id)
            shortages = await stock.try_reserve(session, request.order_id)
            if shortages:
                await stock.enqueue_wait(session, request.order_id)
                await change_status(
                    session,
                    order,
                    request.on_short,
                    "system",
                    "short of " + ", ".join(f"{q} x {sku}" for sku, q in shortages.items()),
                )
                return ReserveResult(reserved=False, shortages=shortages)
            await stock.drop_wait(session, request.order_id)
            await change_status(session, order, request.on_success, "system", "stock reserved")
            return ReserveResult(reserved=True)
