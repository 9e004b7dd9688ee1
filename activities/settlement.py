"""Settlement: payments received, and invoices falling due."""

from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity

from db.engine import SessionFactory
from db.models import Invoice, Payment
from db.payments import paid_total
from db.status import lock_order, record_event
from domain.messages import PaymentRecord


class SettlementActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="record_payment")
    async def record_payment(self, record: PaymentRecord) -> Decimal:
        """Record a payment once per reference; returns what the order has been paid."""
        p = record.payment
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            result = await session.execute(
                insert(Payment)
                .values(
                    reference=p.reference,
                    order_id=order.id,
                    amount=p.amount,
                    method=p.method,
                    kind="payment",
                )
                .on_conflict_do_nothing()
                .returning(Payment.reference)
            )
            if result.first() is not None:
                await record_event(
                    session, order, p.actor, f"payment {p.reference}: {p.amount} by {p.method}"
                )
            paid = await paid_total(session, order.id)
            if paid >= order.total:
                await session.execute(
                    update(Invoice)
                    .where(Invoice.order_id == order.id, Invoice.status != "void")
                    .values(status="paid")
                )
            return paid

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
