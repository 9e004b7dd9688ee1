"""The order's invoice."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import INVOICE_NUMBER_SEQUENCE, Invoice, Order
from db.payments import paid_total
from domain.review import PaymentMethod


async def issue_invoice(session: AsyncSession, order: Order, credit_days: int) -> Invoice:
    """The order's invoice, issued once when its goods leave (due at once unless on credit)."""
    invoice = await session.get(Invoice, order.id)
    if invoice is not None:
        return invoice
    seq = await session.scalar(INVOICE_NUMBER_SEQUENCE.next_value())
    # The database clock, not the worker's, so every worker dates invoices alike.
    today = await session.scalar(select(func.now()))
    assert today is not None and seq is not None
    days = credit_days if order.payment_method == PaymentMethod.CREDIT else 0
    invoice = Invoice(
        order_id=order.id,
        number=f"INV-{today.year}-{seq:06d}",
        due_date=today.date() + timedelta(days=days),
        subtotal=order.subtotal,
        discount=order.discount,
        tax=order.tax,
        total=order.total,
        status="paid" if await paid_total(session, order.id) >= order.total else "issued",
    )
    session.add(invoice)
    await session.flush()
    return invoice
