"""A bulk order's scheduled deliveries: approvals first (if the review asks for any), then
SCHEDULED until its first batch's reservation day; each batch falls due on its day (a
durable timer), its stock is reserved (waiting for receipts when short), and it ships on its
delivery date as a shipment of its own, invoiced on its own. The order then goes on as any
other: delivered, and complete once every invoice is paid.

A batch falls due only once the one before it has shipped (the warehouses hold one batch of
an order at a time), so a reservation day before the previous delivery date comes late. An
order that asked for its stock to be set aside holds the whole schedule at approval, from
its warehouse only, and each batch still ships on its date (only its own lines).

Orders started before the order types (no `order-types-v1` marker) know no bulk.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time

from temporalio import workflow

from activities.bulk import BulkActivities
from domain.messages import BatchPlan, BatchStep
from domain.order_types import OrderType
from domain.status import OrderStatus
from workflows.host import OrderHost
from workflows.presale_stage import ORDER_TYPES_PATCH
from workflows.stock_stage import StockStage


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class Bulk:
    def __init__(self, host: OrderHost, stock: StockStage) -> None:
        self.host = host
        self.stock = stock
        self.plan: list[BatchPlan] = []
        self.shipped = 0
        # True from the start of the bulk path until its first batch falls due.
        self._before_first = False

    def scheduled(self) -> bool:
        """Past its approvals, the order waits for its first batch's day (not for stock)."""
        return self._before_first

    def applies(self) -> bool:
        order = self.host.order
        return order.order_type == OrderType.BULK and workflow.patched(ORDER_TYPES_PATCH)

    async def _until(self, moment: datetime) -> None:
        """A durable wait; a cancellation interrupts it (Cancelled)."""
        left = moment - workflow.now()
        if left.total_seconds() > 0:
            await self.host.wait(lambda: False, left)

    async def run(
        self,
        approvals_pending: bool,
        approve: Callable[[], Awaitable[bool]],
        ship: Callable[[bool, dict[str, int]], Awaitable[None]],
    ) -> bool:
        """True once every batch has shipped; False when the order closed."""
        host, order = self.host, self.host.order
        plan = await host.run_activity(BulkActivities.plan_batches, order.order_id)
        self.plan = plan.batches
        self._before_first = True
        if approvals_pending:
            await host.change_status(OrderStatus.AWAITING_APPROVAL, "approval of the schedule")
            if not await approve():
                return False
        else:
            await host.change_status(OrderStatus.SCHEDULED, f"{len(self.plan)} deliveries")
        if plan.set_aside:
            # The whole schedule is held now, from its warehouse; each batch ships on its date.
            for batch in self.plan:
                await self._open(batch)
            if not await self.stock.reserve(lambda: False):
                return False
        for k, batch in enumerate(self.plan):
            if not plan.set_aside:
                await self._until(_start_of(batch.reserve_on))
                await self._open(batch)
                if k == 0:
                    if not await self.stock.reserve(lambda: False):
                        return False
                else:
                    await self.stock.reserve_outstanding()
            await self._until(_start_of(batch.delivery_date))
            await ship(k == len(self.plan) - 1, batch.lines)
            step = BatchStep(order_id=order.order_id, batch_no=batch.batch_no)
            await host.run_activity(BulkActivities.batch_shipped, step)
            self.shipped += 1
        return True

    async def _open(self, batch: BatchPlan) -> None:
        self._before_first = False
        step = BatchStep(order_id=self.host.order.order_id, batch_no=batch.batch_no)
        await self.host.run_activity(BulkActivities.open_batch, step)
