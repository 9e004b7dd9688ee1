"""Settlement: payments received, and invoices falling due."""

from sqlalchemy import update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.engine import SessionFactory
from db.models import Invoice
from db.payments import ReferenceInUse, add_payment
from db.status import lock_order, record_event
from domain.messages import PaymentRecord, PaymentState
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
