"""Settlement: payments received, invoices and installments falling due, write-offs."""

from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.audit import SYSTEM, Who, audit
from db.documents import WRITE_OFF, write_off
from db.engine import SessionFactory
from db.installments import fix_schedule, schedule_of
from db.models import Customer, Invoice, Order, ReconciliationCase
from db.notify import finance_people, tell_customer, tell_staff
from db.payments import (
    ISSUED,
    OPEN,
    OVERDUE,
    RESOLVED,
    UNDERPAYMENT,
    ReferenceInUse,
    add_payment,
    amount_due,
    credited_total,
    paid_total,
)
from db.status import change_status, lock_order, record_event
from domain.messages import (
    INSTALLMENT_ITEM,
    CreditStep,
    CreditStepKind,
    InstallmentTerms,
    PaymentRecord,
    PaymentState,
    WriteOffRecord,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.status import OrderStatus


class SettlementActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="record_payment")
    async def record_payment(self, record: PaymentRecord) -> PaymentState:
        """Record a payment once per reference; paying in full settles what waited for it."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            try:
                paid = await add_payment(session, order, record.payment, record.when_paid)
            except ReferenceInUse as exc:
                raise ApplicationError(str(exc), type=NOT_ALLOWED_NOW, non_retryable=True) from None
            return PaymentState(
                status=OrderStatus(order.status), paid_total=paid, order_total=order.total
            )

    @activity.defn(name="write_off")
    async def write_off(self, record: WriteOffRecord) -> PaymentState:
        """An underpayment case written off by finance: credit notes for what is still owed of
        it, the case resolved and audited, and, nothing left to ask, the workflow's move."""
        w = record.write_off
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            case = await session.get(ReconciliationCase, w.case_id, with_for_update=True)
            if case is None or case.order_id != order.id or case.kind != UNDERPAYMENT:
                raise ApplicationError(
                    f"case {w.case_id} is no underpayment of this order",
                    type=NOT_ALLOWED_NOW,
                    non_retryable=True,
                )
            if case.status == OPEN:
                owed = await amount_due(session, order) - await paid_total(session, order.id)
                if owed > 0:
                    await write_off(
                        session, order, min(case.amount, owed), f"case-{case.id}", w.actor
                    )
                case.status, case.action, case.comment = RESOLVED, WRITE_OFF, w.comment
                case.resolved_by = w.actor
                case.resolved_at = await session.scalar(select(func.now()))
                why = f"case {case.id} (underpayment {case.amount}) written off: {w.comment}"
                await record_event(session, order, w.actor, why[:2000])
                who = Who(w.actor, w.role or "unknown", w.request_id, w.client_addr)
                audit(
                    session, who, "reconciliation.resolve", WRITE_OFF, order_id=order.id, detail=why
                )
            paid = await paid_total(session, order.id)
            due = await amount_due(session, order)
            step = record.when_settled
            if step is not None and paid >= due and order.status == step.from_status:
                await change_status(session, order, step.to, w.actor, "underpayment written off")
            return PaymentState(
                status=OrderStatus(order.status), paid_total=paid, order_total=order.total
            )

    @activity.defn(name="mark_overdue")
    async def mark_overdue(self, order_id: str) -> None:
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            result = await session.execute(
                update(Invoice)
                .where(Invoice.order_id == order_id, Invoice.status == "issued")
                .values(status="overdue")
                .returning(Invoice.number)
            )
            number = result.scalar()
            if number is not None:
                await record_event(session, order, "system", f"invoice {number} is overdue")

    @activity.defn(name="fix_installments")
    async def fix_installments(self, order_id: str) -> InstallmentTerms:
        """The approved order's installment schedule, written (again while not invoiced)."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            rows = await fix_schedule(session, order)
            return InstallmentTerms(
                count=len(rows), interval_days=order.installment_interval_days or 0
            )

    @activity.defn(name="credit_step")
    async def credit_step(self, record: CreditStep) -> None:
        """One dunning step of what is owed on account (the order's open invoices, or one
        invoice or installment when named), once: a reminder to the customer, the invoice
        overdue, or the customer put on credit hold (finance told). Nothing when paid."""
        step = record.step
        if step == CreditStepKind.OVERDUE and record.item is None:
            await self.mark_overdue(record.order_id)
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            customer = await session.get_one(Customer, order.customer_id, with_for_update=True)
            owed = await _owed(session, order, record.item)
            if owed is None:
                return
            what, amount = owed
            key = order.id if record.item is None else f"{order.id}:{record.item}"
            if step == CreditStepKind.OVERDUE and record.item is not None:
                invoice = await session.get(Invoice, record.item)
                if invoice is not None and invoice.status == ISSUED:
                    invoice.status = OVERDUE
                await record_event(session, order, "system", f"{what['en']} is overdue")
            if step == CreditStepKind.CREDIT_HOLD:
                if not customer.on_credit_hold:
                    customer.on_credit_hold = True
                    why = f"customer {customer.id} put on credit hold: {what['en']} unpaid"
                    await record_event(session, order, "system", why)
                    audit(
                        session,
                        SYSTEM,
                        "customer.credit_hold",
                        "on_hold",
                        order_id=order.id,
                        detail=why,
                    )
                for person in await finance_people(session):
                    await tell_staff(
                        session,
                        f"{key}:credit_hold:{person}",
                        order.id,
                        "credit_hold",
                        person,
                        {"customer": customer.name, "what": what, "order": order.id},
                    )
                return
            params = {"what": what, "order": order.id, "amount": amount, "currency": order.currency}
            await tell_customer(
                session, f"{key}:{step}", order.id, f"credit_{step}", customer, params
            )


async def _owed(
    session: AsyncSession, order: Order, item: str | None
) -> tuple[dict[str, str], Decimal] | None:
    """What a dunning step is about and how much of it is open; None when nothing is."""
    if item is None:
        numbers = ", ".join(
            await session.scalars(
                select(Invoice.number).where(
                    Invoice.order_id == order.id, Invoice.status.in_([ISSUED, OVERDUE])
                )
            )
        )
        return {"en": f"Invoice {numbers}", "de": f"Rechnung {numbers}"}, order.total
    if item.startswith(INSTALLMENT_ITEM):
        no = int(item.removeprefix(INSTALLMENT_ITEM))
        states = await schedule_of(session, order)
        if no > len(states) or states[no - 1].open <= 0:
            return None
        label = {"en": f"Installment {no} of {len(states)}", "de": f"Rate {no} von {len(states)}"}
        return label, states[no - 1].open
    invoice = await session.get(Invoice, item)
    if invoice is None or invoice.status not in (ISSUED, OVERDUE):
        return None
    label = {"en": f"Invoice {invoice.number}", "de": f"Rechnung {invoice.number}"}
    return label, invoice.total - await credited_total(session, item)
