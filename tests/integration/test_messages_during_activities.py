"""Messages that land while one of the order's activities runs (a worker dying during the
activity stretches that to 30 s and more), on the real dev server's clock. Both were found by
killing the worker under load (tests/faults):

- a receipt nudging the order during its reservation attempt: before the fix the order slept
  through the nudge until its hourly recheck;
- an approval decided while its step was being opened: before the fix the workflow task
  failed for good and the order stayed AWAITING_APPROVAL (the desk settled with nothing
  due; or, found by the database outage test, the next level open but not yet opened).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from db.engine import SessionFactory
from tests.harness import open_desk


class AfterActivity(Interceptor):
    """Runs `action(argument)` once, after the first run of `activity_type` for which
    `when(result)` holds, before that run reports back to Temporal."""

    def __init__(self, activity_type: str, when: Callable[[Any], bool] = lambda _: True) -> None:
        self.activity_type = activity_type
        self.when = when
        self.action: Callable[[Any], Awaitable[Any]] | None = None

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, outer: AfterActivity) -> None:
        super().__init__(next)
        self.outer = outer

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await super().execute_activity(input)
        action, outer = self.outer.action, self.outer
        if action and activity.info().activity_type == outer.activity_type and outer.when(result):
            outer.action = None
            await action(input.args[0])
        return result


async def test_a_receipt_during_the_reservation_attempt_is_not_slept_through(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    receipt = AfterActivity("reserve_stock", when=lambda result: not result.reserved)
    async with open_desk(dev_env, sessions, interceptors=[receipt]) as desk:
        sku = await desk.product(price="10.00", stock=0)
        receipt.action = lambda _: desk.receive(sku, 1)
        order_id = await desk.order(sku, payment="cod")
        # The order's hourly recheck is far away: only the nudge can move it in time.
        await desk.status_is(order_id, "SHIPPED", timeout=30)
        assert await desk.available(sku) == 0


async def test_an_approval_given_while_its_step_opens_moves_the_order_on(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    decision = AfterActivity("open_approval_step")
    async with open_desk(dev_env, sessions, interceptors=[decision]) as desk:
        # 15 % below the catalogue price: a sales supervisor must approve.
        sku = await desk.product(price="10.00", stock=5)

        async def approve(opening: Any) -> None:
            await desk.ok(
                "supervisor",
                "POST",
                f"/orders/{opening.order_id}/approvals",
                json={"decision": "approve", "decision_id": "during-opening"},
            )

        decision.action = approve
        order_id = await desk.order(sku, payment="cod", unit_price="8.50")
        await desk.status_is(order_id, "SHIPPED", timeout=30)
