"""OrderWorkflow: the life of one order, from review to settlement."""

import asyncio
from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.orders import OrderActivities
    from activities.review import ReviewActivities
    from domain.cancellation import CancelReason
    from domain.messages import (
        ApprovalDecisionInput,
        ApprovalState,
        CancelInput,
        ChangeInput,
        ConfirmationInput,
        ExceptionResolution,
        OrderState,
        OrderWorkflowInput,
        PackingInput,
        PaymentInput,
        PaymentState,
        ReviewRequest,
        ShipmentEventInput,
        ShortageChoiceInput,
        StatusChange,
        SubstitutionAnswer,
        WriteOffInput,
    )
    from domain.refusals import NOT_ALLOWED_NOW
    from domain.review import ReviewDecision
    from domain.status import (
        FINAL_STATUSES,
        OrderStatus,
        status_after_stock,
    )
    from workflows import host
    from workflows.approval_path import ApprovalPath, no_approval_pending
    from workflows.bulk_stage import Bulk
    from workflows.cancellation_stage import Cancellation, Cancelled
    from workflows.change_stage import Changes, Revised
    from workflows.custom_stage import Custom
    from workflows.delivery_stage import Delivery
    from workflows.desk_approvals import DeskApprovals
    from workflows.host import refuse_unstorable, workflow_id
    from workflows.legacy_approvals import LegacyApprovals
    from workflows.ops_view import OpsView
    from workflows.presale_stage import PreSale
    from workflows.settlement_stage import Settlement
    from workflows.stock_stage import StockStage, nudge

__all__ = ["APPROVAL_DESK_PATCH", "OrderWorkflow", "workflow_id"]

# Orders started before the approval desk keep their one-wait approval on replay.
APPROVAL_DESK_PATCH = "approval-desk-v1"


@workflow.defn(name="OrderWorkflow")
class OrderWorkflow:
    @workflow.init
    def __init__(self, order: OrderWorkflowInput) -> None:
        self.order = order
        self._status = OrderStatus.RECEIVED
        self.cancellation = Cancellation(self)
        # Decisions and events run one at a time, so a racing approve and reject see each other.
        self.lock = asyncio.Lock()
        self.stock = StockStage(self)
        self.changes = Changes(self, self.stock)
        # Here, not in run: a change may arrive with the start, before run's first line.
        self.changes.start()
        self.settlement = Settlement(self)
        self.delivery = Delivery(self, self.settlement)
        self.presale = PreSale(self, lambda: self.settlement.paid)
        self.bulk = Bulk(self, self.stock)
        self.custom = Custom(self)
        # Chosen by the review: the approval desk, or the one-wait path of earlier orders.
        self._approvals: ApprovalPath | None = None
        self._with_desk = True
        # What operators see in the Temporal UI besides the status.
        self.ops = OpsView(self._status)

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderState:
        try:
            await self._process()
        except Cancelled:
            c = self.cancellation.accepted
            assert c is not None
            await self.close(OrderStatus.CANCELLED, c.reason, c.actor, c.reason_code)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _process(self) -> None:
        self._with_desk = workflow.patched(APPROVAL_DESK_PATCH)
        self.ops.start()
        async with self.lock:  # a change waits for the review, or the review sees it
            if not await self.review(OrderStatus.UNDER_REVIEW):
                return
        if self.presale.applies():
            pending = bool(self.approvals().pending_levels())
            if not await self.presale.run(pending, self.approvals().run):
                return
        elif self.custom.applies():
            if not await self.custom.run(self.approvals().run):
                return
        elif self.bulk.applies():
            pending = bool(self.approvals().pending_levels())
            if await self.bulk.run(pending, self.approvals().run, self._ship_batch):
                await self._settle()
            return
        while True:
            try:
                if not await self._until_ready():
                    return
                break
            except Revised:  # changed: the new version reviewed, then on from its stock
                if not await self._review_revision():
                    return
        await self.settlement.fix_installments()
        await self.delivery.ship(final=not self.stock.rest)
        while self.stock.rest:  # a partial order: the rest ships as it arrives
            await self.stock.reserve_rest()
            await self.delivery.ship()
        await self._settle()

    async def _settle(self) -> None:
        """Everything shipped: delivered, then paid."""
        shipped_at = workflow.now()
        await self.delivery.await_delivered(shipped_at)
        await self.settlement.await_invoice(shipped_at, self.delivery.invoiced)

    async def _ship_batch(self, final: bool, lines: dict[str, int]) -> None:
        self.check_cancel()
        async with self.lock:  # from here on, this batch's lines stay as they are
            self.changes.lines_locked = True
        await self.delivery.ship(final=final, only=lines)

    async def _until_ready(self) -> bool:
        """Stock held, approvals given, prepayment in: True once the warehouse may pick."""
        if not await self.stock.reserve(lambda: bool(self.approvals().pending_levels())):
            return False
        if self._status == OrderStatus.AWAITING_APPROVAL and not await self.approvals().run():
            return False
        if (
            self._status == OrderStatus.AWAITING_PAYMENT
            and not await self.settlement.await_prepayment()
        ):
            return False
        self.check_cancel()
        async with self.lock:  # from here on, the lines stay as they are
            self.changes.check()
            self.changes.lines_locked = True
        return True

    async def _review_revision(self) -> bool:
        version = self.changes.take()
        async with self.lock:
            passed = await self.review(self._status, revision=version)
        if not passed:
            # Rejected: what it holds goes back.
            await self.close(OrderStatus.REJECTED, f"review of version {version}")
            return False
        self.changes.reviewed_again(version)
        return True

    async def review(self, to: OrderStatus, revision: int | None = None) -> bool:
        """The review (again when a substitute or a change made new lines) and the approval
        path it asks for; False when it rejects the order."""
        again = self._approvals is not None and revision is None
        request = ReviewRequest(order_id=self.order.order_id, to=to, again=again, revision=revision)
        outcome = await self.run_activity(ReviewActivities.review_order, request)
        if outcome.decision == ReviewDecision.REJECT:
            self.set_status(request.on_reject)
            return False
        self.set_status(to)
        self.cancellation.confirm_above = outcome.cancel_confirm_above
        self.settlement.dunning = outcome.dunning
        self._approvals = (
            DeskApprovals(self, outcome.steps)
            if self._with_desk
            else LegacyApprovals(self, list(outcome.levels))
        )
        return True

    def approvals(self) -> ApprovalPath:
        # Chosen by the review; the update validators refuse decisions before it.
        assert self._approvals is not None
        return self._approvals

    async def close(
        self, to: OrderStatus, reason: str, actor: str = "system", code: CancelReason | None = None
    ) -> None:
        # Under the lock: a payment is either refunded by the closing or refused after it.
        async with self.lock:
            request = self.cancellation.closing(to, reason, actor, code)
            allocated = await self.cancellation.compensate(request)
            result = await self.run_activity(OrderActivities.close_order, request)
            self.set_status(to)
        for other in allocated + result.allocated_orders:
            await nudge(other)

    # --- messages -----------------------------------------------------------------------

    @workflow.query(name="state")
    def state(self) -> OrderState:
        return OrderState(
            status=self._status,
            pending_levels=self._approvals.pending_levels() if self._approvals else [],
            paid_total=self.settlement.paid,
            tracking_number=self.delivery.tracking,
            open_levels=self._approvals.open_levels() if self._approvals else [],
            cancellation_requested=self.cancellation.requested is not None,
            version=self.changes.version,
            change_requested=self.changes.requested is not None,
        )

    @workflow.signal(name="activity_failing")
    def activity_failing(self, activity_name: str) -> None:
        """From the worker: one of the order's activities keeps failing (it is retried)."""
        self.ops.activity_failing(activity_name, failing=True)

    @workflow.signal(name="activity_recovered")
    def activity_recovered(self, activity_name: str) -> None:
        self.ops.activity_failing(activity_name, failing=False)

    @workflow.signal(name="stock_available")
    def stock_available(self) -> None:
        self.stock.nudged = True

    @workflow.update(name="decide")
    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState:
        if self.cancellation.decides(d):
            return await self.cancellation.decide(d)
        if self.changes.decides(d):
            return await self.changes.decide(d)
        return await self.approvals().decide(d)

    @decide.validator
    def _validate_decide(self, d: ApprovalDecisionInput) -> None:
        refuse_unstorable(d)
        if self.cancellation.decides(d):
            return self.cancellation.validate_decision(d)
        if self.changes.decides(d):
            return self.changes.validate_decision(d)
        if self._approvals is None:
            raise no_approval_pending()
        self._approvals.validate(d)

    @workflow.update(name="customer_confirmation")
    async def customer_confirmation(self, c: ConfirmationInput) -> ApprovalState:
        return await self.approvals().confirm(c)

    @customer_confirmation.validator
    def _validate_confirmation(self, c: ConfirmationInput) -> None:
        refuse_unstorable(c)
        if self._approvals is None:
            raise ApplicationError("this order asks for no confirmation", type=NOT_ALLOWED_NOW)
        self._approvals.validate_confirmation(c)

    @workflow.update(name="record_payment")
    async def record_payment(self, payment: PaymentInput) -> PaymentState:
        return await self.settlement.record(payment)

    @record_payment.validator
    def _validate_payment(self, payment: PaymentInput) -> None:
        refuse_unstorable(payment)
        self.settlement.validate(payment)

    @workflow.update(name="write_off")
    async def write_off(self, w: WriteOffInput) -> PaymentState:
        return await self.settlement.write_off(w)

    @write_off.validator
    def _validate_write_off(self, w: WriteOffInput) -> None:
        refuse_unstorable(w)
        self.settlement.validate(w)

    @workflow.update(name="shipment_event")
    async def shipment_event(self, event: ShipmentEventInput) -> OrderState:
        await self.delivery.on_event(event)
        return self.state()

    @shipment_event.validator
    def _validate_shipment_event(self, event: ShipmentEventInput) -> None:
        refuse_unstorable(event)
        self.delivery.validate(event)

    @workflow.update(name="shipment_packed")
    async def shipment_packed(self, packing: PackingInput) -> OrderState:
        await self.delivery.on_packed(packing)
        return self.state()

    @shipment_packed.validator
    def _validate_packing(self, packing: PackingInput) -> None:
        refuse_unstorable(packing)
        self.delivery.validate_packing(packing)

    @workflow.update(name="shortage_choice")
    async def shortage_choice(self, choice: ShortageChoiceInput) -> OrderState:
        await self.stock.on_choice(choice)
        return self.state()

    @shortage_choice.validator
    def _validate_shortage_choice(self, choice: ShortageChoiceInput) -> None:
        refuse_unstorable(choice)
        self.stock.validate_choice(choice)

    @workflow.update(name="substitution_answer")
    async def substitution_answer(self, answer: SubstitutionAnswer) -> OrderState:
        self.stock.on_answer(answer)
        await workflow.wait_condition(lambda: self._status != OrderStatus.AWAITING_CUSTOMER)
        return self.state()

    @substitution_answer.validator
    def _validate_substitution_answer(self, answer: SubstitutionAnswer) -> None:
        refuse_unstorable(answer)
        self.stock.validate_answer()

    @workflow.update(name="shipment_exception")
    async def shipment_exception(self, resolution: ExceptionResolution) -> OrderState:
        await self.delivery.on_resolution(resolution)
        return self.state()

    @shipment_exception.validator
    def _validate_resolution(self, resolution: ExceptionResolution) -> None:
        refuse_unstorable(resolution)
        self.delivery.validate_resolution(resolution)

    @workflow.update(name="change")
    async def change(self, c: ChangeInput) -> OrderState:
        return await self.changes.on_change(c)

    @change.validator
    def _validate_change(self, c: ChangeInput) -> None:
        refuse_unstorable(c)
        self.changes.validate(c)

    @workflow.update(name="cancel")
    async def cancel(self, request: CancelInput) -> OrderState:
        if not await self.cancellation.on_request(request):
            await workflow.wait_condition(lambda: self._status in FINAL_STATUSES)
        return self.state()

    @cancel.validator
    def _validate_cancel(self, request: CancelInput) -> None:
        refuse_unstorable(request)
        self.cancellation.validate(
            request, self.goods_with_carrier(), bool(self.delivery.withdrawable)
        )

    # --- helpers ------------------------------------------------------------------------

    async def reserve_outstanding(self) -> None:
        await self.stock.reserve_outstanding()

    def goods_left(self) -> bool:
        return self.delivery.started

    def goods_with_carrier(self) -> bool:
        return self.delivery.with_carrier()

    def cancelling(self) -> bool:
        return self.cancellation.accepted is not None

    def reviewed(self) -> bool:
        return self._approvals is not None

    def payment_due(self) -> bool:
        return self.settlement.due()

    def after_approvals(self) -> OrderStatus:
        # A pre-sale order is approved before its deposit; any other after its stock.
        if self.presale.deposit_due():
            return OrderStatus.AWAITING_DEPOSIT
        if self.bulk.scheduled():
            return OrderStatus.SCHEDULED
        if self.custom.production_next():
            return OrderStatus.IN_PRODUCTION
        return status_after_stock(False, self.payment_due())

    def before_release(self) -> bool:
        return self.presale.before_release

    def check_cancel(self) -> None:
        self.cancellation.check()

    async def cancellation_settled(self) -> None:
        """Before the goods leave: a requested cancellation or address change is decided."""
        await self.wait(
            lambda: self.cancellation.requested is None and self.changes.requested is None, None
        )

    async def wait(self, condition: Callable[[], bool], timeout: timedelta | None) -> bool:
        """Wait for condition (None: no timeout); False on timeout; an accepted cancel
        (Cancelled) or a change to review again (Revised) interrupts the wait."""
        try:
            await workflow.wait_condition(
                lambda: (
                    condition()
                    or self.cancellation.accepted is not None
                    or self.changes.revised is not None
                ),
                timeout=timeout,
            )
        except TimeoutError:
            self.check_cancel()
            self.changes.check()
            return False
        self.check_cancel()
        self.changes.check()
        return True

    async def change_status(self, to: OrderStatus, reason: str) -> None:
        await self.run_activity(
            OrderActivities.change_status,
            StatusChange(order_id=self.order.order_id, to=to, reason=reason),
        )
        self.set_status(to)

    def set_status(self, status: OrderStatus) -> None:
        if status != self._status:
            self._status = status
            self.ops.status_changed(status)

    @property
    def status(self) -> OrderStatus:
        return self._status

    # Every activity of the order, with one timeout and retry policy.
    run_activity = staticmethod(host.run_activity)
