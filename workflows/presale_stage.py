"""A pre-sale order before its release: approvals first (if the review asks for any), then
its deposit (AWAITING_DEPOSIT, within the payment wait), which takes its place in the queue
(QUEUED); on the release day a durable timer lets the places go, served in order from the
stock on hand, and the order goes on as any other from its stock (the balance falls due once
its stock is held: AWAITING_PAYMENT).

Orders started before the order types (no `order-types-v1` marker) know no pre-sale.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from temporalio import workflow

from activities.presale import PresaleActivities
from domain.cancellation import CancelReason
from domain.messages import PresaleRelease
from domain.order_types import OrderType
from domain.status import OrderStatus
from workflows.host import OrderHost
from workflows.stock_stage import nudge

ORDER_TYPES_PATCH = "order-types-v1"


class PreSale:
    def __init__(self, host: OrderHost, paid: Callable[[], Decimal]) -> None:
        self.host = host
        self.paid = paid
        # True while the order is a pre-sale one not yet through its release.
        self.before_release = False
        self.place: int | None = None

    def applies(self) -> bool:
        order = self.host.order
        return order.order_type == OrderType.PRESALE and workflow.patched(ORDER_TYPES_PATCH)

    def deposit_due(self) -> bool:
        """Past its approvals, the order waits for its deposit (not for stock or payment)."""
        return self.before_release and self.place is None

    async def run(self, approvals_pending: bool, approve: Callable[[], Awaitable[bool]]) -> bool:
        """True once released (the order goes on from its stock); False when it closed."""
        host, order = self.host, self.host.order
        self.before_release = True
        deposit = order.deposit or Decimal("0")
        if approvals_pending:
            await host.change_status(OrderStatus.AWAITING_APPROVAL, "approval before the deposit")
            if not await approve():
                return False
        else:
            await host.change_status(OrderStatus.AWAITING_DEPOSIT, f"deposit of {deposit} due")
        if not await host.wait(lambda: self.paid() >= deposit, order.timeouts.payment_wait):
            await host.close(
                OrderStatus.CANCELLED,
                "timeout: deposit not received in time",
                code=CancelReason.PAYMENT_FAILED,
            )
            return False
        self.place = await host.run_activity(PresaleActivities.take_presale_place, order.order_id)
        host.set_status(OrderStatus.QUEUED)
        assert order.release_date is not None  # intake records it with every pre-sale order
        release = datetime.combine(order.release_date, time.min, tzinfo=UTC)
        until = release - workflow.now()
        if until > timedelta(0):
            # A cancellation interrupts the wait (Cancelled); nothing else ends it early.
            await host.wait(lambda: False, until)
        result = await host.run_activity(
            PresaleActivities.release_presale,
            PresaleRelease(order_id=order.order_id, day=workflow.now().date()),
        )
        self.before_release = False
        for other in result.allocated_orders:
            if other != order.order_id:
                await nudge(other)
        return True
