"""Money going back to the customer through the payment gateway adapter: the refund of a
lost parcel or a return, and finance's own refunds (an overpayment's case among them)."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.adapters import PaymentGateway
from db.audit import Who, audit
from db.documents import REFUND as REFUND_NOTE
from db.documents import write_off
from db.engine import SessionFactory
from db.models import Order, Payment, ReconciliationCase
from db.payments import RESOLVED, amount_due, paid_total
from db.status import lock_order, record_event
from domain.messages import RefundRequest, RefundResult
from domain.refusals import INVALID_INPUT

REFUND = "refund"


async def _refunded_of(session: AsyncSession, order_id: str, payment_reference: str) -> Decimal:
    """What refunds already took back from one payment (they are negative)."""
    taken = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.order_id == order_id,
            Payment.kind == REFUND,
            (Payment.reference == payment_reference)
            | Payment.reference.startswith(f"{payment_reference}:"),
        )
    )
    return -Decimal(taken or 0)


async def refund_up_to(
    session: AsyncSession, gateway: PaymentGateway, order: Order, value: Decimal, key: str
) -> Decimal:
    """Paid money back, newest payment first, up to value and never beyond what the order
    holds of the customer's money nor beyond what is left of each payment; each refund row
    is keyed by the payment's reference and key (the parcel, the return, finance's
    reference), so it is booked once. Returns what went back."""
    back = min(value, max(await paid_total(session, order.id), Decimal(0)))
    sent = Decimal(0)
    payments = list(
        await session.scalars(
            select(Payment)
            .where(Payment.order_id == order.id, Payment.kind == "payment")
            .order_by(Payment.created_at.desc())
        )
    )
    for payment in payments:
        if back <= 0:
            break
        left = payment.amount - await _refunded_of(session, order.id, payment.reference)
        amount = min(back, left)
        if amount <= 0:
            continue
        # Idempotent at the gateway by the original reference.
        gateway_ref = await gateway.refund(order.id, payment.reference, amount)
        await session.execute(
            insert(Payment)
            .values(
                order_id=order.id,
                kind=REFUND,
                reference=f"{payment.reference}:{key}",
                amount=-amount,
                method=payment.method,
                gateway_ref=gateway_ref,
            )
            .on_conflict_do_nothing()
        )
        back -= amount
        sent += amount
    return sent


class RefundActivities:
    def __init__(self, sessions: SessionFactory, gateway: PaymentGateway) -> None:
        self.sessions = sessions
        self.gateway = gateway

    @activity.defn(name="refund_order")
    async def refund_order(self, r: RefundRequest) -> RefundResult:
        """Finance's refund, once per reference: never more than was paid and not refunded
        yet (refused, naming the amount); resolves the reconciliation case it answers."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, r.order_id)
            done = await session.scalar(
                select(func.coalesce(func.sum(Payment.amount), 0)).where(
                    Payment.order_id == order.id,
                    Payment.kind == REFUND,
                    Payment.reference.endswith(f":{r.reference}"),
                )
            )
            if done:
                return RefundResult(
                    refunded=-Decimal(done), paid_total=await paid_total(session, order.id)
                )
            available = await paid_total(session, order.id)
            if r.amount > available:
                raise ApplicationError(
                    f"amount: {r.amount} is more than was paid and not refunded ({available})",
                    type=INVALID_INPUT,
                    non_retryable=True,
                )
            excess = max(available - await amount_due(session, order), Decimal(0))
            sent = await refund_up_to(session, self.gateway, order, r.amount, r.reference)
            if sent > excess:
                # Beyond what was paid too much: the invoices ask that much less (a credit
                # note), or the customer would owe the money refunded.
                await write_off(session, order, sent - excess, r.reference, r.actor, REFUND_NOTE)
            why = f"refund {r.reference}: {sent} ({r.reason})"
            await record_event(session, order, r.actor, why)
            who = Who(r.actor, r.role or "unknown", r.request_id, r.client_addr)
            audit(session, who, "payment.refund", "refunded", order_id=order.id, detail=why)
            if r.case_id is not None:
                case = await session.get_one(ReconciliationCase, r.case_id, with_for_update=True)
                case.status, case.action, case.comment = RESOLVED, REFUND, r.reason
                case.resolved_by = r.actor
                case.resolved_at = await session.scalar(select(func.now()))
            return RefundResult(refunded=sent, paid_total=await paid_total(session, order.id))
