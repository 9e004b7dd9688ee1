"""What an order has been paid, net of refunds."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Payment


async def paid_total(session: AsyncSession, order_id: str) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.order_id == order_id)
    )
    return Decimal(total or 0)
