"""What the desk knows of a customer's account: open balance and order history."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, Payment
from domain.payment import PaymentMethod
from domain.status import FINAL_STATUSES, OrderStatus


async def open_balance(
    session: AsyncSession, customer_id: str, except_order: str | None = None
) -> Decimal:
    """Unpaid value of the customer's live credit-terms orders (other than except_order)."""
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.order_id == Order.id)
        .scalar_subquery()
    )
    stmt = select(func.coalesce(func.sum(Order.total - paid), 0)).where(
        Order.customer_id == customer_id,
        Order.payment_method == PaymentMethod.CREDIT,
        Order.status.not_in([*FINAL_STATUSES, OrderStatus.RECEIVED]),
    )
    if except_order is not None:
        stmt = stmt.where(Order.id != except_order)
    return Decimal(await session.scalar(stmt) or 0)


async def order_history(session: AsyncSession, customer_id: str) -> tuple[int, Decimal]:
    """How many orders the customer has placed and their value, all time."""
    count, value = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Order.total), 0)).where(
                Order.customer_id == customer_id
            )
        )
    ).one()
    return int(count), Decimal(value)
