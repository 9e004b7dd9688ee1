"""Money going back to the customer through the payment gateway adapter."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from activities.adapters import PaymentGateway
from db.models import Order, Payment
from db.payments import paid_total


async def refund_up_to(
    session: AsyncSession, gateway: PaymentGateway, order: Order, value: Decimal, key: str
) -> Decimal:
    """Paid money back, newest payment first, up to value and never beyond what the order
    holds of the customer's money; each refund row is keyed by the payment's reference and
    key (the parcel, the return), so it is booked once. Returns what went back."""
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
        amount = min(back, payment.amount)
        # Idempotent at the gateway by the original reference.
        gateway_ref = await gateway.refund(order.id, payment.reference, amount)
        await session.execute(
            insert(Payment)
            .values(
                order_id=order.id,
                kind="refund",
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
