"""Money coming in for one order: the prepayment it may wait for before shipping, payments
as they arrive, and the credit terms' wait for the invoice after delivery."""

from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from activities.settlement import SettlementActivities
from domain.cancellation import CancelReason
from domain.messages import (
    INSTALLMENT_ITEM,
    CreditStep,
    DueItem,
    Dunning,
    InstallmentTerms,
    PaymentInput,
    PaymentRecord,
    PaymentState,
    Transition,
    WriteOffInput,
    WriteOffRecord,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.review import PaymentMethod
from domain.status import FINAL_STATUSES, SETTLED_BY_PAYMENT, OrderStatus
from workflows.host import OrderHost

# A prepayment that arrived while the stock was being reserved moves the order on (before it,
# the order stopped in AWAITING_PAYMENT, paid).
PAID_EARLY_PATCH = "paid-before-awaiting-payment-v1"
# An unpaid credit-terms invoice is dunned: reminders before and after the due date, and the
# customer put on credit hold past the grace. Before it, the invoice was only marked overdue.
DUNNING_PATCH = "credit-dunning-v1"
# Dunning per document: credit terms run N days from each invoice, installments each from
# their own due date; only orders on account are dunned. Before it, one due date from the
# last shipment for every order left waiting.
DUE_PER_DOCUMENT_PATCH = "due-per-document-v1"
# An installment order's schedule is fixed once it is approved and ready to ship.
INSTALLMENTS_PATCH = "installments-v1"


class Settlement:
    def __init__(self, host: OrderHost) -> None:
        self.host = host
        self.paid = Decimal("0")
        # From the policy that reviewed the order (None: reviewed before dunning existed).
        self.dunning: Dunning | None = None
        # Fixed when the order is approved (installment terms only).
        self.installments: InstallmentTerms | None = None

    async def fix_installments(self) -> None:
        host = self.host
        if host.order.payment_method != PaymentMethod.INSTALLMENTS:
            return
        if workflow.patched(INSTALLMENTS_PATCH):
            self.installments = await host.run_activity(
                SettlementActivities.fix_installments, host.order.order_id
            )

    def due(self) -> bool:
        """A prepaid order not yet paid in full."""
        order = self.host.order
        return order.payment_method == PaymentMethod.PREPAID and self.paid < order.total

    async def await_prepayment(self) -> bool:
        host = self.host
        paid = await host.wait(lambda: not self.due(), host.order.timeouts.payment_wait)
        if not paid:
            await host.close(
                OrderStatus.CANCELLED,
                "timeout: prepayment not received in time",
                code=CancelReason.PAYMENT_FAILED,
            )
            return False
        # The payment that covered the total moved the order on in its own transaction, unless
        # it landed before the order reached AWAITING_PAYMENT (paid while stock was reserved).
        if host.status == OrderStatus.AWAITING_PAYMENT and workflow.patched(PAID_EARLY_PATCH):
            await host.change_status(OrderStatus.READY_TO_SHIP, "paid in full")
        return host.status == OrderStatus.READY_TO_SHIP

    def validate(self, message: PaymentInput | WriteOffInput) -> None:
        if self.host.status in FINAL_STATUSES:
            raise ApplicationError(f"order is {self.host.status}", type=NOT_ALLOWED_NOW)

    def _when_settled(self) -> Transition | None:
        """Where nothing left to pay moves the order from where it is (None: nowhere). An
        order closed while the message waited for its turn takes nothing (nothing to refund)."""
        status = self.host.status
        if status in FINAL_STATUSES:
            raise ApplicationError(f"order is {status}", type=NOT_ALLOWED_NOW)
        settles = SETTLED_BY_PAYMENT.get(status)
        return Transition(from_status=status, to=settles) if settles else None

    async def record(self, payment: PaymentInput) -> PaymentState:
        """The workflow decides where payment in full moves the order; the activity writes the
        payment and, when it pays the total, that move, in one transaction."""
        host = self.host
        async with host.lock:
            when_paid = self._when_settled()
            state = await host.run_activity(
                SettlementActivities.record_payment,
                PaymentRecord(order_id=host.order.order_id, payment=payment, when_paid=when_paid),
            )
            self.paid = state.paid_total
            host.set_status(state.status)
        return state

    async def write_off(self, w: WriteOffInput) -> PaymentState:
        """Finance gave up on an underpayment: nothing left to ask settles the order as a
        payment in full would."""
        host = self.host
        async with host.lock:
            when = self._when_settled()
            state = await host.run_activity(
                SettlementActivities.write_off,
                WriteOffRecord(order_id=host.order.order_id, write_off=w, when_settled=when),
            )
            host.set_status(state.status)
        return state

    async def await_invoice(self, shipped_at: datetime, invoiced: dict[str, datetime]) -> None:
        """The delivery settled cash on delivery and prepaid orders; orders on account wait
        here, dunned on the policy's schedule per invoice or installment until paid; others
        (cash on delivery collected short) wait for the payment or finance's write-off."""
        host = self.host
        if host.status != OrderStatus.AWAITING_SETTLEMENT:
            return
        due = shipped_at + timedelta(days=host.order.timeouts.credit_days)
        if self.dunning is not None and workflow.patched(DUE_PER_DOCUMENT_PATCH):
            steps = sorted(
                (
                    ((at, item.item or "", step), item.item)
                    for item in self._due_items(shipped_at, invoiced)
                    for at, step in self.dunning.schedule(item.due_at)
                ),
                key=lambda x: x[0],
            )
            for (at, _, step), item in steps:
                if await self._paid_by(at):
                    return
                await host.run_activity(
                    SettlementActivities.credit_step,
                    CreditStep(order_id=host.order.order_id, step=step, item=item),
                )
            await workflow.wait_condition(self._completed)
            return
        if self.dunning is not None and workflow.patched(DUNNING_PATCH):
            for at, step in self.dunning.schedule(due):
                if await self._paid_by(at):
                    return
                await host.run_activity(
                    SettlementActivities.credit_step,
                    CreditStep(order_id=host.order.order_id, step=step),
                )
            await workflow.wait_condition(self._completed)
            return
        due_in = due - workflow.now()
        try:
            await workflow.wait_condition(
                self._completed, timeout=max(due_in, timedelta(seconds=1))
            )
        except TimeoutError:
            await host.run_activity(SettlementActivities.mark_overdue, host.order.order_id)
            await workflow.wait_condition(self._completed)

    def _due_items(self, shipped_at: datetime, invoiced: dict[str, datetime]) -> list[DueItem]:
        """Credit terms: each invoice N days after it was issued; installments: each from the
        first invoice on, interval days apart; nothing for other terms."""
        order = self.host.order
        if order.payment_method == PaymentMethod.CREDIT:
            days = timedelta(days=order.timeouts.credit_days)
            if not invoiced:
                return [DueItem(item=None, due_at=shipped_at + days)]
            return [DueItem(item=n, due_at=at + days) for n, at in invoiced.items()]
        terms = self.installments
        if order.payment_method == PaymentMethod.INSTALLMENTS and terms is not None:
            first = min(invoiced.values(), default=shipped_at)
            return [
                DueItem(
                    item=f"{INSTALLMENT_ITEM}{no}",
                    due_at=first + timedelta(days=terms.interval_days * (no - 1)),
                )
                for no in range(1, terms.count + 1)
            ]
        return []

    async def _paid_by(self, at: datetime) -> bool:
        """Waits until paid or the moment comes; True when paid."""
        try:
            await workflow.wait_condition(
                self._completed, timeout=max(at - workflow.now(), timedelta(seconds=1))
            )
        except TimeoutError:
            return False
        return True

    def _completed(self) -> bool:
        """Set by the payment that pays the invoice in full."""
        return self.host.status == OrderStatus.COMPLETED
