"""Reorder points: a sku whose available stock (all warehouses) falls below its point is listed
as low, and the warehouse told once per crossing; back at the point, it is off the list and
the next fall tells again. Runs inside the transaction that moved the stock."""

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LowStock, Product, Stock, User
from db.notify import tell_staff
from domain.roles import Role


async def watch(session: AsyncSession, skus: list[str]) -> None:
    for sku in sorted(set(skus)):
        point = await session.scalar(select(Product.reorder_point).where(Product.sku == sku))
        if not point:
            continue
        available = int(
            await session.scalar(
                select(func.coalesce(func.sum(Stock.on_hand - Stock.reserved), 0)).where(
                    Stock.sku == sku
                )
            )
            or 0
        )
        if available >= point:
            await session.execute(delete(LowStock).where(LowStock.sku == sku))
            continue
        crossed = await session.execute(
            insert(LowStock)
            .values(sku=sku)
            .on_conflict_do_nothing(index_elements=[LowStock.sku])
            .returning(LowStock.since)
        )
        since = crossed.scalar()
        if since is None:
            continue  # already low: told at the crossing
        for person in await session.scalars(
            select(User.username).where(User.role == Role.WAREHOUSE, User.active.is_(True))
        ):
            await tell_staff(
                session,
                f"low-stock:{sku}:{since.isoformat()}:{person}",
                None,
                "low_stock",
                person,
                {"sku": sku, "available": available, "point": point},
            )
