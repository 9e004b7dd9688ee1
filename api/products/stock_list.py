"""The stock list (`GET /inventory`): every sku's stock per warehouse, low ones marked, a page
at a time, in two queries whatever the page's size."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.products.schemas import WarehouseStock
from db.models import LowStock, Product, Stock


class StockRow(BaseModel):
    sku: str
    name: str
    category: str
    on_hand: int
    reserved: int
    available: int
    reorder_point: int
    # Below its reorder point since then (None: not low).
    low_since: datetime | None
    warehouses: list[WarehouseStock]


async def stock_page(
    session: AsyncSession, q: str | None, low_only: bool, limit: int, offset: int
) -> list[StockRow]:
    stmt = select(Product, LowStock.since).outerjoin(LowStock, LowStock.sku == Product.sku)
    if q:
        stmt = stmt.where(
            Product.sku.istartswith(q, autoescape=True) | Product.name.icontains(q, autoescape=True)
        )
    if low_only:
        stmt = stmt.where(LowStock.sku.is_not(None))
    products = (await session.execute(stmt.order_by(Product.sku).limit(limit).offset(offset))).all()
    skus = [p.sku for p, _ in products]
    per: dict[str, list[WarehouseStock]] = {sku: [] for sku in skus}
    for row in await session.scalars(
        select(Stock).where(Stock.sku.in_(skus)).order_by(Stock.sku, Stock.warehouse)
    ):
        per[row.sku].append(
            WarehouseStock(
                warehouse=row.warehouse,
                on_hand=row.on_hand,
                reserved=row.reserved,
                available=row.on_hand - row.reserved,
            )
        )
    return [
        StockRow(
            sku=p.sku,
            name=p.name,
            category=p.category,
            on_hand=sum(w.on_hand for w in per[p.sku]),
            reserved=sum(w.reserved for w in per[p.sku]),
            available=sum(w.available for w in per[p.sku]),
            reorder_point=p.reorder_point,
            low_since=since,
            warehouses=per[p.sku],
        )
        for p, since in products
    ]
