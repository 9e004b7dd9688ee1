"""OrderWorkflow: the life of one order, from review to settlement."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.approvals import ApprovalActivities
    from activities.inventory import InventoryActivities
    from activities.orders import OrderActivities
    from activities.review import ReviewActivities
    from activities.settlement import SettlementActivities
    from activities.shipping import ShippingActivities
    from domain.messages import (
        ApprovalDecisionInput,
        ApprovalState,
        CancelInput,
        CloseRequest,
        Decision,
        DecisionRecord,
        OrderState,
        OrderWorkflowInput,
        PaymentInput,
        PaymentRecord,
        PaymentState,
        ReserveRequest,
        ShipmentEventInput,
        ShipmentEventKind,
        ShipmentEventRecord,
        StatusChange,
    )
    from domain.review import PaymentMethod, ReviewDecision
    from domain.roles import DECIDERS, ApprovalLevel
    from domain.status import CANCELLABLE_STATUSES, FINAL_STATUSES, OrderStatus, status_after_stock
    from workflows.search_attributes import ORDER_STATUS

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")

TASK_QUEUE = "orders"
ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Errors that another attempt cannot fix; the rest (a database restart...) retry.
ACTIVITY_RETRY = RetryPolicy(
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["UnknownTrackingNumber", "IllegalTransition", "OrderNotFound"],
)
# Error types that callers map to HTTP: Forbidden -> 403, NotAllowedNow -> 409.
FORBIDDEN = "Forbidden"
NOT_ALLOWED_NOW = "NotAllowedNow"


def workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


class _Cancelled(Exception):
    """Raised inside the workflow when an accepted cancel request interrupts a stage."""


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: OrderWorkflowInput) -> None:
        self._order = order
        self._status = OrderStatus.RECEIVED
        self._pending: list[ApprovalLevel] = []
        self._approved: list[ApprovalLevel] = []
        self._rejection: ApprovalDecisionInput | None = None
        self._paid = Decimal("0")
        self._stock_nudged = False
        self._cancel: CancelInput | None = None
        self._shipping_started = False
        self._tracking: str | None = None
        self._delivered = False
        # Decisions and events run one at a time, so a racing approve and reject see each other.
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderState:
        try:
            await self._process()
        except _Cancelled:
            assert self._cancel is not None
            await self._close(OrderStatus.CANCELLED, self._cancel.reason, self._cancel.actor)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _process(self) -> None:
        outcome = await self._run(ReviewActivities.review_order, self._order.order_id)
        if outcome.decision == ReviewDecision.REJECT:
            self._set_status(OrderStatus.REJECTED)
            return
        self._set_status(OrderStatus.UNDER_REVIEW)
        self._pending = list(outcome.levels)
        if not await self._reserve():
            return
        if self._status == OrderStatus.AWAITING_APPROVAL and not await self._await_approvals():
            return
        if self._status == OrderStatus.AWAITING_PAYMENT and not await self._await_payment():
            return
        self._check_cancel()
        self._shipping_started = True
        shipment = await self._run(ShippingActivities.ship_order, self._order.order_id)
        self._tracking = shipment.tracking_number
        self._set_status(OrderStatus.SHIPPED)
        shipped_at = workflow.now()
        await self._await_delivery()
        await self._settle(shipped_at)

    # --- stages -------------------------------------------------------------------------

    def _next_after_stock(self) -> OrderStatus:
        return status_after_stock(bool(self._pending), self._payment_due())

    async def _reserve(self) -> bool:
        timeouts = self._order.timeouts
        deadline = workflow.now() + timeouts.backorder_wait
        while True:
            target = self._next_after_stock()
            result = await self._run(
                InventoryActivities.reserve_stock,
                ReserveRequest(order_id=self._order.order_id, on_success=target),
            )
            if result.reserved:
                self._set_status(target)
                return True
            self._set_status(OrderStatus.AWAITING_STOCK)
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                await self._close(OrderStatus.CANCELLED, "backorder: no stock within the wait")
                return False
            # A receipt nudges us; the periodic recheck covers a nudge lost in a crash.
            self._stock_nudged = False
            await self._wait(lambda: self._stock_nudged, min(remaining, timeouts.stock_recheck))

    async def _await_approvals(self) -> bool:
        decided = await self._wait(
            lambda: not self._pending or self._rejection is not None,
            self._order.timeouts.approval_wait,
        )
        if self._rejection is not None:
            r = self._rejection
            note = f": {r.comment}" if r.comment else ""
            await self._close(OrderStatus.REJECTED, f"{r.level} rejected{note}", r.decided_by)
            return False
        if not decided:
            await self._close(OrderStatus.REJECTED, "timeout: no approval decision in time")
            return False
        await self._change_status(
            status_after_stock(False, self._payment_due()), "all approvals given"
        )
        return True

    async def _await_payment(self) -> bool:
        paid = await self._wait(lambda: not self._payment_due(), self._order.timeouts.payment_wait)
        if not paid:
            await self._close(OrderStatus.CANCELLED, "timeout: prepayment not received in time")
            return False
        # The payment that covered the total moved the order on in its own transaction.
        return self._status == OrderStatus.READY_TO_SHIP

    async def _await_delivery(self) -> None:
        poll = self._order.timeouts.carrier_poll
        while not self._delivered:
            if poll is None:
                await workflow.wait_condition(lambda: self._delivered)
                continue
            try:
                await workflow.wait_condition(lambda: self._delivered, timeout=poll)
            except TimeoutError:
                for kind in await self._run(ShippingActivities.poll_carrier, self._order.order_id):
                    assert self._tracking is not None
                    await self._apply_shipment_event(
                        ShipmentEventInput(
                            event=kind, tracking_number=self._tracking, actor="carrier"
                        )
                    )

    async def _settle(self, shipped_at: datetime) -> None:
        """The delivery settled cash on delivery and prepaid orders; credit terms wait here."""
        if self._status != OrderStatus.AWAITING_SETTLEMENT:
            return
        due_in = shipped_at + timedelta(days=self._order.timeouts.credit_days) - workflow.now()
        try:
            await workflow.wait_condition(
                self._completed, timeout=max(due_in, timedelta(seconds=1))
            )
        except TimeoutError:
            await self._run(SettlementActivities.mark_overdue, self._order.order_id)
            await workflow.wait_condition(self._completed)

    def _completed(self) -> bool:
        """Set by the payment that pays the invoice in full."""
        return self._status == OrderStatus.COMPLETED

    async def _close(self, to: OrderStatus, reason: str, actor: str = "system") -> None:
        result = await self._run(
            OrderActivities.close_order,
            CloseRequest(order_id=self._order.order_id, to=to, reason=reason, actor=actor),
        )
        self._set_status(to)
        for other in result.allocated_orders:
            await self._nudge(other)

    async def _nudge(self, order_id: str) -> None:
        handle = workflow.get_external_workflow_handle(workflow_id(order_id))
        try:
            await handle.signal("stock_available")
        except Exception:
            # A nudged order that has ended needs nothing; a live one also rechecks on a timer.
            workflow.logger.warning("could not nudge %s", order_id)

    # --- messages -----------------------------------------------------------------------

    @workflow.query(name="state")
    def state(self) -> OrderState:
        return OrderState(
            status=self._status,
            pending_levels=list(self._pending),
            paid_total=self._paid,
            tracking_number=self._tracking,
        )

    @workflow.signal(name="stock_available")
    def stock_available(self) -> None:
        self._stock_nudged = True

    @workflow.update(name="decide")
    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState:
        async with self._lock:
            # Checked again under the lock: a decision that arrived first may have settled it.
            self._check_decision(d)
            await self._run(
                ApprovalActivities.record_decision,
                DecisionRecord(order_id=self._order.order_id, decision=d),
            )
            self._pending.remove(d.level)
            if d.decision == Decision.APPROVE:
                self._approved.append(d.level)
            else:
                self._rejection = d
        return ApprovalState(
            status=self._status,
            pending_levels=list(self._pending),
            approved_levels=list(self._approved),
            rejected=self._rejection is not None,
        )

    @decide.validator
    def _validate_decide(self, d: ApprovalDecisionInput) -> None:
        self._check_decision(d)

    def _check_decision(self, d: ApprovalDecisionInput) -> None:
        if d.decided_by == self._order.created_by:
            raise ApplicationError("nobody approves an order they created", type=FORBIDDEN)
        if d.role not in DECIDERS[d.level]:
            raise ApplicationError(f"role {d.role} may not decide {d.level}", type=FORBIDDEN)
        if self._status in FINAL_STATUSES or self._rejection is not None:
            raise ApplicationError(f"order is {self._status}", type=NOT_ALLOWED_NOW)
        if d.level not in self._pending:
            raise ApplicationError(f"no pending {d.level} approval", type=NOT_ALLOWED_NOW)

    @workflow.update(name="record_payment")
    async def record_payment(self, payment: PaymentInput) -> PaymentState:
        async with self._lock:
            state = await self._run(
                SettlementActivities.record_payment,
                PaymentRecord(order_id=self._order.order_id, payment=payment),
            )
            self._paid = state.paid_total
            self._set_status(state.status)
        return state

    @record_payment.validator
    def _validate_payment(self, payment: PaymentInput) -> None:
        if self._status in FINAL_STATUSES:
            raise ApplicationError(f"order is {self._status}", type=NOT_ALLOWED_NOW)

    @workflow.update(name="shipment_event")
    async def shipment_event(self, event: ShipmentEventInput) -> OrderState:
        # A fast carrier's webhook can overtake the booking's result: wait for it.
        await workflow.wait_condition(lambda: self._tracking is not None)
        if event.tracking_number != self._tracking:
            raise ApplicationError("tracking number is not this order's", type=NOT_ALLOWED_NOW)
        await self._apply_shipment_event(event)
        return self.state()

    @shipment_event.validator
    def _validate_shipment_event(self, event: ShipmentEventInput) -> None:
        if not self._shipping_started:
            raise ApplicationError("order has not shipped", type=NOT_ALLOWED_NOW)
        if self._tracking is not None and event.tracking_number != self._tracking:
            raise ApplicationError("tracking number is not this order's", type=NOT_ALLOWED_NOW)

    async def _apply_shipment_event(self, event: ShipmentEventInput) -> None:
        async with self._lock:
            result = await self._run(
                ShippingActivities.record_shipment_event,
                ShipmentEventRecord(order_id=self._order.order_id, event=event),
            )
            # Delivery also settles in the same transaction: DELIVERED, then COMPLETED or
            # AWAITING_SETTLEMENT, both in the order's history.
            self._paid = result.paid_total
            self._set_status(result.status)
            if event.event == ShipmentEventKind.DELIVERED:
                self._delivered = True

    @workflow.update(name="cancel")
    async def cancel(self, request: CancelInput) -> OrderState:
        if self._cancel is None:
            self._cancel = request
        await workflow.wait_condition(lambda: self._status in FINAL_STATUSES)
        return self.state()

    @cancel.validator
    def _validate_cancel(self, request: CancelInput) -> None:
        if self._status not in CANCELLABLE_STATUSES or self._shipping_started:
            raise ApplicationError(
                f"an order in status {self._status} can no longer be cancelled",
                type=NOT_ALLOWED_NOW,
            )

    # --- helpers ------------------------------------------------------------------------

    def _payment_due(self) -> bool:
        return (
            self._order.payment_method == PaymentMethod.PREPAID and self._paid < self._order.total
        )

    def _check_cancel(self) -> None:
        if self._cancel is not None:
            raise _Cancelled()

    async def _wait(self, condition: Callable[[], bool], timeout: timedelta) -> bool:
        """Wait for condition; False on timeout; an accepted cancel interrupts the wait."""
        try:
            await workflow.wait_condition(
                lambda: condition() or self._cancel is not None, timeout=timeout
            )
        except TimeoutError:
            self._check_cancel()
            return False
        self._check_cancel()
        return True

    async def _change_status(self, to: OrderStatus, reason: str) -> None:
        await self._run(
            OrderActivities.change_status,
            StatusChange(order_id=self._order.order_id, to=to, reason=reason),
        )
        self._set_status(to)

    def _set_status(self, status: OrderStatus) -> None:
        if status != self._status:
            self._status = status
            workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value)])

    async def _run(self, method: Callable[[Any, ArgT], Awaitable[ResultT]], arg: ArgT) -> ResultT:
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )
