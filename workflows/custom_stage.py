"""A custom order before its goods exist: the review's approvals, the customer's sign-off
of the specification among them (the desk's customer level); then the production order at
the plant and its child workflow (workflows/production_flow.py). Once quality passed, the
goods are in stock held for the order and it goes on as any other (payment, shipping); a
production held past its reworks and given up by customer service cancels the order.

Orders started before the order types (no `order-types-v1` marker) know no custom path.
"""

from collections.abc import Awaitable, Callable

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

from activities.production import ProductionActivities
from domain.cancellation import CancelReason
from domain.custom import ProductionStatus
from domain.order_types import OrderType
from domain.status import OrderStatus
from workflows.host import OrderHost
from workflows.presale_stage import ORDER_TYPES_PATCH
from workflows.production_flow import ProductionWorkflow, production_workflow_id


class Custom:
    def __init__(self, host: OrderHost) -> None:
        self.host = host
        self._before_production = False

    def applies(self) -> bool:
        order = self.host.order
        return order.order_type == OrderType.CUSTOM and workflow.patched(ORDER_TYPES_PATCH)

    def production_next(self) -> bool:
        """Past its approvals and sign-off, the order goes to the plant (not to its stock)."""
        return self._before_production

    async def run(self, approve: Callable[[], Awaitable[bool]]) -> bool:
        """True once the made goods are held for the order; False when it closed."""
        host, order = self.host, self.host.order
        self._before_production = True
        # A custom order always has the sign-off to wait for (the review asks it).
        await host.change_status(OrderStatus.AWAITING_APPROVAL, "sign-off of the specification")
        if not await approve():
            return False
        self._before_production = False
        start = await host.run_activity(
            ProductionActivities.create_production_order, order.order_id
        )
        outcome = await workflow.execute_child_workflow(
            ProductionWorkflow.run,
            start,
            id=production_workflow_id(order.order_id),
            # The plant's work outlives nothing: the order ends, its production ends too.
            parent_close_policy=ParentClosePolicy.TERMINATE,
        )
        if outcome.status != ProductionStatus.PASSED:
            await host.close(
                OrderStatus.CANCELLED,
                f"production given up by customer service after {outcome.reworks} quality failures",
                code=CancelReason.OTHER,
            )
            return False
        return True
