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
        ConfirmationInput,
        DeliveryTargets,
        OrderState,
        OrderWorkflowInput,
        PaymentInput,
        PaymentRecord,
        PaymentState,
        ReserveRequest,
        ReviewRequest,
        ShipmentEventInput,
        ShipmentEventKind,
        ShipmentEventRecord,
        ShipRequest,
        StatusChange,
        Transition,
    )
    from domain.refusals import INVALID_INPUT, NOT_ALLOWED_NOW
    from domain.review import PaymentMethod, ReviewDecision
    from domain.status import (
        CANCELLABLE_STATUSES,
        FINAL_STATUSES,
        SETTLED_BY_PAYMENT,
        OrderStatus,
        status_after_stock,
    )
    from domain.text import UnstorableText, check_storable_message
    from workflows.approval_path import ApprovalPath, no_approval_pending
    from workflows.desk_approvals import DeskApprovals
    from workflows.legacy_approvals import LegacyApprovals
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
# Orders started before the approval desk keep their one-wait approval on replay.
APPROVAL_DESK_PATCH = "approval-desk-v1"
# A prepayment that arrived while the stock was being reserved moves the order on (before it,
# the order stopped in AWAITING_PAYMENT, paid).
PAID_EARLY_PATCH = "paid-before-awaiting-payment-v1"


def workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


def _refuse_unstorable(message: Any) -> None:
    """Text the database cannot store would fail the activity that writes it: refused here,
    before the update is accepted, so the order never holds a message it cannot record."""
    try:
        check_storable_message(message)
    except UnstorableText as exc:
        raise ApplicationError(str(exc), type=INVALID_INPUT) from None


class _Cancelled(Exception):
    """Raised inside the workflow when an accepted cancel request interrupts a stage."""


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: OrderWorkflowInput) -> None:
        self.order = order
        self._status = OrderStatus.RECEIVED
        self._paid = Decimal("0")
        self._stock_nudged = False
        self._cancel: CancelInput | None = None
        self._shipping_started = False
        self._tracking: str | None = None
        self._delivered = False
        # Decisions and events run one at a time, so a racing approve and reject see each other.
        self.lock = asyncio.Lock()
        # Chosen by the review: the approval desk, or the one-wait path of earlier orders.
        self._approvals: ApprovalPath | None = None

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderState:
        try:
            await self._process()
        except _Cancelled:
            assert self._cancel is not None
            await self.close(OrderStatus.CANCELLED, self._cancel.reason, self._cancel.actor)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _process(self) -> None:
        with_desk = workflow.patched(APPROVAL_DESK_PATCH)
        review = ReviewRequest(
            order_id=self.order.order_id,
            to=OrderStatus.UNDER_REVIEW,
            on_reject=OrderStatus.REJECTED,
        )
        outcome = await self.run_activity(ReviewActivities.review_order, review)
        if outcome.decision == ReviewDecision.REJECT:
            self._set_status(review.on_reject)
            return
        self._set_status(review.to)
        self._approvals = (
            DeskApprovals(self, outcome.steps)
            if with_desk
            else LegacyApprovals(self, list(outcome.levels))
        )
        if not await self._reserve():
            return
        if self._status == OrderStatus.AWAITING_APPROVAL and not await self._approvals.run():
            return
        if self._status == OrderStatus.AWAITING_PAYMENT and not await self._await_payment():
            return
        self._check_cancel()
        self._shipping_started = True
        shipment = await self.run_activity(
            ShippingActivities.ship_order,
            ShipRequest(order_id=self.order.order_id, to=OrderStatus.SHIPPED),
        )
        self._tracking = shipment.tracking_number
        self._set_status(OrderStatus.SHIPPED)
        shipped_at = workflow.now()
        await self._await_delivery()
        await self._settle(shipped_at)

    # --- stages -------------------------------------------------------------------------

    def _next_after_stock(self) -> OrderStatus:
        pending = self._approvals.pending_levels() if self._approvals else []
        return status_after_stock(bool(pending), self.payment_due())

    async def _reserve(self) -> bool:
        timeouts = self.order.timeouts
        deadline = workflow.now() + timeouts.backorder_wait
        while True:
            target = self._next_after_stock()
            result = await self.run_activity(
                InventoryActivities.reserve_stock,
                ReserveRequest(
                    order_id=self.order.order_id,
                    on_success=target,
                    on_short=OrderStatus.AWAITING_STOCK,
                ),
            )
            if result.reserved:
                self._set_status(target)
                return True
            self._set_status(OrderStatus.AWAITING_STOCK)
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                await self.close(OrderStatus.CANCELLED, "backorder: no stock within the wait")
                return False
            # A receipt nudges us; the periodic recheck covers a nudge lost in a crash.
            self._stock_nudged = False
            await self.wait(lambda: self._stock_nudged, min(remaining, timeouts.stock_recheck))

    async def _await_payment(self) -> bool:
        paid = await self.wait(lambda: not self.payment_due(), self.order.timeouts.payment_wait)
        if not paid:
            await self.close(OrderStatus.CANCELLED, "timeout: prepayment not received in time")
            return False
        # The payment that covered the total moved the order on in its own transaction, unless
        # it landed before the order reached AWAITING_PAYMENT (paid while stock was reserved).
        if self._status == OrderStatus.AWAITING_PAYMENT and workflow.patched(PAID_EARLY_PATCH):
            await self.change_status(OrderStatus.READY_TO_SHIP, "paid in full")
        return self._status == OrderStatus.READY_TO_SHIP

    async def _await_delivery(self) -> None:
        poll = self.order.timeouts.carrier_poll
        while not self._delivered:
            if poll is None:
                await workflow.wait_condition(lambda: self._delivered)
                continue
            try:
                await workflow.wait_condition(lambda: self._delivered, timeout=poll)
            except TimeoutError:
                for kind in await self.run_activity(
                    ShippingActivities.poll_carrier, self.order.order_id
                ):
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
        due_in = shipped_at + timedelta(days=self.order.timeouts.credit_days) - workflow.now()
        try:
            await workflow.wait_condition(
                self._completed, timeout=max(due_in, timedelta(seconds=1))
            )
        except TimeoutError:
            await self.run_activity(SettlementActivities.mark_overdue, self.order.order_id)
            await workflow.wait_condition(self._completed)

    def _completed(self) -> bool:
        """Set by the payment that pays the invoice in full."""
        return self._status == OrderStatus.COMPLETED

    async def close(self, to: OrderStatus, reason: str, actor: str = "system") -> None:
        request = CloseRequest(order_id=self.order.order_id, to=to, reason=reason, actor=actor)
        if self._cancel is not None and actor == self._cancel.actor:
            # A person's cancellation: audited in the same transaction as the close.
            c = self._cancel
            request.role, request.request_id, request.client_addr = (
                c.role or "unknown",
                c.request_id,
                c.client_addr,
            )
        result = await self.run_activity(OrderActivities.close_order, request)
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
            pending_levels=self._approvals.pending_levels() if self._approvals else [],
            paid_total=self._paid,
            tracking_number=self._tracking,
            open_levels=self._approvals.open_levels() if self._approvals else [],
        )

    @workflow.signal(name="stock_available")
    def stock_available(self) -> None:
        self._stock_nudged = True

    @workflow.update(name="decide")
    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState:
        if self._approvals is None:
            raise no_approval_pending()
        return await self._approvals.decide(d)

    @decide.validator
    def _validate_decide(self, d: ApprovalDecisionInput) -> None:
        _refuse_unstorable(d)
        if self._approvals is None:
            raise no_approval_pending()
        self._approvals.validate(d)

    @workflow.update(name="customer_confirmation")
    async def customer_confirmation(self, c: ConfirmationInput) -> ApprovalState:
        if self._approvals is None:
            raise no_approval_pending()
        return await self._approvals.confirm(c)

    @customer_confirmation.validator
    def _validate_confirmation(self, c: ConfirmationInput) -> None:
        _refuse_unstorable(c)
        if self._approvals is None:
            raise ApplicationError("this order asks for no confirmation", type=NOT_ALLOWED_NOW)
        self._approvals.validate_confirmation(c)

    @workflow.update(name="record_payment")
    async def record_payment(self, payment: PaymentInput) -> PaymentState:
        async with self.lock:
            settles = SETTLED_BY_PAYMENT.get(self._status)
            when_paid = Transition(from_status=self._status, to=settles) if settles else None
            state = await self.run_activity(
                SettlementActivities.record_payment,
                PaymentRecord(order_id=self.order.order_id, payment=payment, when_paid=when_paid),
            )
            self._paid = state.paid_total
            self._set_status(state.status)
        return state

    @record_payment.validator
    def _validate_payment(self, payment: PaymentInput) -> None:
        _refuse_unstorable(payment)
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
        _refuse_unstorable(event)
        if not self._shipping_started:
            raise ApplicationError("order has not shipped", type=NOT_ALLOWED_NOW)
        if self._tracking is not None and event.tracking_number != self._tracking:
            raise ApplicationError("tracking number is not this order's", type=NOT_ALLOWED_NOW)

    async def _apply_shipment_event(self, event: ShipmentEventInput) -> None:
        async with self.lock:
            result = await self.run_activity(
                ShippingActivities.record_shipment_event,
                ShipmentEventRecord(
                    order_id=self.order.order_id, event=event, targets=DeliveryTargets()
                ),
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
        _refuse_unstorable(request)
        if self._status not in CANCELLABLE_STATUSES or self._shipping_started:
            raise ApplicationError(
                f"an order in status {self._status} can no longer be cancelled",
                type=NOT_ALLOWED_NOW,
            )

    # --- helpers ------------------------------------------------------------------------

    def payment_due(self) -> bool:
        return self.order.payment_method == PaymentMethod.PREPAID and self._paid < self.order.total

    def _check_cancel(self) -> None:
        if self._cancel is not None:
            raise _Cancelled()

    async def wait(self, condition: Callable[[], bool], timeout: timedelta) -> bool:
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

    async def change_status(self, to: OrderStatus, reason: str) -> None:
        await self.run_activity(
            OrderActivities.change_status,
            StatusChange(order_id=self.order.order_id, to=to, reason=reason),
        )
        self._set_status(to)

    def _set_status(self, status: OrderStatus) -> None:
        if status != self._status:
            self._status = status
            workflow.upsert_search_attributes([ORDER_STATUS.value_set(status.value)])

    @property
    def status(self) -> OrderStatus:
        return self._status

    async def run_activity(
        self, method: Callable[[Any, ArgT], Awaitable[ResultT]], arg: ArgT
    ) -> ResultT:
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY
        )
