"""Stock for one order: reserved by the allocation rule, or waited for (backorder) until a
receipt or transfer serves it, within the backorder wait."""

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

from activities.inventory import InventoryActivities
from domain.messages import ReserveRequest
from domain.status import OrderStatus, status_after_stock
from workflows.host import OrderHost, workflow_id


class StockStage:
    def __init__(self, host: OrderHost) -> None:
        self.host = host
        self.nudged = False

    async def reserve(self, approval_pending: Callable[[], bool]) -> bool:
        """True once the stock is held (the order moved on); False when it was closed."""
        host = self.host
        timeouts = host.order.timeouts
        deadline = workflow.now() + timeouts.backorder_wait
        while True:
            target = status_after_stock(approval_pending(), host.payment_due())
            result = await host.run_activity(
                InventoryActivities.reserve_stock,
                ReserveRequest(
                    order_id=host.order.order_id,
                    on_success=target,
                    on_short=OrderStatus.AWAITING_STOCK,
                ),
            )
            if result.reserved:
                host.set_status(target)
                return True
            host.set_status(OrderStatus.AWAITING_STOCK)
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                await host.close(OrderStatus.CANCELLED, "backorder: no stock within the wait")
                return False
            # A receipt nudges us; the periodic recheck covers a nudge lost in a crash.
            self.nudged = False
            await host.wait(lambda: self.nudged, min(remaining, timeouts.stock_recheck))


async def nudge(order_id: str) -> None:
    """Tells a waiting order that stock was held for it."""
    handle = workflow.get_external_workflow_handle(workflow_id(order_id))
    try:
        await handle.signal("stock_available")
    except Exception:
        # A nudged order that has ended needs nothing; a live one also rechecks on a timer.
        workflow.logger.warning("could not nudge %s", order_id)
