"""Stock for one order: reserved by the allocation rule, or, when short, what the order's
shortage choice says: wait for it (backorder, within the backorder wait), ship what there is
and the rest later (partial), propose a substitute to the customer (substitute), or cancel at
once (cancel). Customer service may change the choice while the order waits.

Orders started before the choices (no `shortage-choices-v1` marker) wait for stock as they did.

A receipt nudges the orders it served. A nudge that lands while a reservation attempt runs
(seconds normally, 30 s and more when a worker died during it) must lead to another attempt:
orders with `nudge-during-reservation-v1` forget nudges before each attempt, not after it
(before the fix such an order slept until its hourly recheck; found by the worker-kill test).
"""

import contextlib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from activities.inventory import InventoryActivities
from domain.cancellation import CancelReason
from domain.messages import (
    ReserveRequest,
    ShortageChoiceInput,
    ShortageChoiceRecord,
    SubstitutionAnswer,
    SubstitutionProposal,
    SubstitutionRecord,
    SubstitutionRequest,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.shortage import ShortageChoice
from domain.status import OrderStatus, status_after_stock
from workflows.host import OrderHost, workflow_id

SHORTAGE_PATCH = "shortage-choices-v1"
NUDGE_PATCH = "nudge-during-reservation-v1"
OUT_OF_STOCK = "out_of_stock"


class StockStage:
    def __init__(self, host: OrderHost) -> None:
        self.host = host
        self.nudged = False
        self.choice = host.order.on_shortage
        self.choice_changed = False
        # The part of a partial reservation still to come, per sku.
        self.rest: dict[str, int] = {}
        self.proposal: SubstitutionProposal | None = None
        self.answer: SubstitutionAnswer | None = None
        self._substitution_tried = False
        # Known once the reservation starts (None before): orders started before the shortage
        # choices wait for stock as they did.
        self.with_choices: bool | None = None
        # Reservation attempts made (a change is answered once its version was tried).
        self.attempts = 0
        self._nudges_kept: bool | None = None

    def _keeps_nudges(self) -> bool:
        if self._nudges_kept is None:
            self._nudges_kept = workflow.patched(NUDGE_PATCH)
        return self._nudges_kept

    async def reserve(self, approval_pending: Callable[[], bool]) -> bool:
        """True once the stock is held (the order moved on); False when it was closed."""
        host = self.host
        timeouts = host.order.timeouts
        with_choices = self.with_choices = workflow.patched(SHORTAGE_PATCH)
        deadline = workflow.now() + timeouts.backorder_wait
        while True:
            target = status_after_stock(approval_pending(), host.payment_due())
            partial = with_choices and self.choice == ShortageChoice.PARTIAL
            kept = self._keeps_nudges()
            if kept:
                self.nudged = self.choice_changed = False
            result = await host.run_activity(
                InventoryActivities.reserve_stock,
                ReserveRequest(
                    order_id=host.order.order_id,
                    on_success=target,
                    on_short=OrderStatus.AWAITING_STOCK,
                    partial=partial,
                ),
            )
            self.attempts += 1
            host.ops.short_skus(list(result.shortages))
            if result.reserved:
                host.set_status(target)
                self.rest = dict(result.shortages)
                return True
            host.set_status(OrderStatus.AWAITING_STOCK)
            if with_choices:
                if self.choice == ShortageChoice.CANCEL:
                    await host.close(
                        OrderStatus.CANCELLED, OUT_OF_STOCK, code=CancelReason.OUT_OF_STOCK
                    )
                    return False
                if self.choice == ShortageChoice.SUBSTITUTE and not self._substitution_tried:
                    self._substitution_tried = True
                    if await self._substitute():
                        # The lines changed: reviewed again (its approvals may change too),
                        # then reserved.
                        if not await host.review(host.status):
                            # Rejected: its place in the stock queue goes too.
                            await host.close(OrderStatus.REJECTED, "review of the substitute")
                            return False
                        continue
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                await host.close(
                    OrderStatus.CANCELLED,
                    "backorder: no stock within the wait",
                    code=CancelReason.OUT_OF_STOCK,
                )
                return False
            # A receipt nudges us; the periodic recheck covers a nudge lost in a crash.
            if not kept:
                self.nudged = self.choice_changed = False
            await host.wait(
                lambda: self.nudged or self.choice_changed,
                min(remaining, timeouts.stock_recheck),
            )

    async def reserve_rest(self) -> None:
        """The rest of a partial order, whenever it arrives."""
        if self.rest:
            await self.reserve_outstanding()
            self.rest = {}

    async def reserve_outstanding(self) -> None:
        """What the order still needs (a partial order's rest, a lost parcel's goods), held
        whenever it arrives; the status stays as it is."""
        host = self.host
        while True:
            kept = self._keeps_nudges()
            if kept:
                self.nudged = False
            result = await host.run_activity(
                InventoryActivities.reserve_stock,
                ReserveRequest(
                    order_id=host.order.order_id, on_success=host.status, on_short=host.status
                ),
            )
            host.ops.short_skus([] if result.reserved else list(result.shortages))
            if result.reserved:
                return
            if not kept:
                self.nudged = False
            await _wait_quietly(
                lambda: self.nudged or host.cancelling(), host.order.timeouts.stock_recheck
            )
            host.check_cancel()  # a partial order's first part withdrawn from the carrier

    async def _substitute(self) -> bool:
        """True when the customer accepted the proposed substitutes (the lines changed)."""
        host = self.host
        self.proposal = await host.run_activity(
            InventoryActivities.propose_substitution,
            SubstitutionRequest(
                order_id=host.order.order_id,
                expires_at=workflow.now() + host.order.timeouts.substitution_wait,
            ),
        )
        if not self.proposal.lines:
            return False
        host.set_status(OrderStatus.AWAITING_CUSTOMER)
        answered = await host.wait(
            lambda: self.answer is not None, host.order.timeouts.substitution_wait
        )
        answer = self.answer if answered else None
        if answer is None:
            answer = SubstitutionAnswer(accept=False, actor="system", expired=True)
        total = await host.run_activity(
            InventoryActivities.answer_substitution,
            SubstitutionRecord(order_id=host.order.order_id, answer=answer),
        )
        self.proposal = None
        if not answer.accept:
            host.set_status(OrderStatus.AWAITING_STOCK)
            return False
        if total is not None:
            host.order.total = Decimal(total)
        return True

    def validate_answer(self) -> None:
        if self.proposal is None or not self.proposal.lines or self.answer is not None:
            raise ApplicationError("no substitute is proposed for this order", type=NOT_ALLOWED_NOW)

    def on_answer(self, answer: SubstitutionAnswer) -> None:
        self.answer = answer

    def validate_choice(self, choice: ShortageChoiceInput) -> None:
        if self.host.status not in (
            OrderStatus.RECEIVED,
            OrderStatus.UNDER_REVIEW,
            OrderStatus.AWAITING_STOCK,
        ):
            raise ApplicationError(
                f"the shortage choice is made before the stock is held ({self.host.status})",
                type=NOT_ALLOWED_NOW,
            )
        if self.with_choices is False:
            raise ApplicationError("this order predates shortage choices", type=NOT_ALLOWED_NOW)

    async def on_choice(self, choice: ShortageChoiceInput) -> None:
        host = self.host
        async with host.lock:
            await host.run_activity(
                InventoryActivities.set_shortage_choice,
                ShortageChoiceRecord(order_id=host.order.order_id, choice=choice),
            )
            self.choice = choice.on_shortage
            self.choice_changed = True


async def _wait_quietly(condition: Callable[[], bool], timeout: timedelta) -> None:
    with contextlib.suppress(TimeoutError):
        await workflow.wait_condition(condition, timeout=timeout)


async def nudge(order_id: str) -> None:
    """Tells a waiting order that stock was held for it."""
    handle = workflow.get_external_workflow_handle(workflow_id(order_id))
    try:
        await handle.signal("stock_available")
    except Exception:
        # A nudged order that has ended needs nothing; a live one also rechecks on a timer.
        workflow.logger.warning("could not nudge %s", order_id)
