"""Stock levels by warehouse, and booking a receipt that serves the orders waiting for it."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import InvalidFields
from api.products.schemas import InventoryOut, ReceiptIn, WarehouseStock
from db import stock
from db.models import Product, Stock, StockReceipt, Warehouse
from domain.text import MAX_QUANTITY

DEADLOCK_RETRIES = 3


RETRYABLE = {"40P01", "40001"}  # deadlock detected, serialization failure


async def inventory_of(session: AsyncSession, sku: str) -> InventoryOut:
    rows = list(
        await session.scalars(select(Stock).where(Stock.sku == sku).order_by(Stock.warehouse))
    )
    per = [
        WarehouseStock(
            warehouse=r.warehouse,
            on_hand=r.on_hand,
            reserved=r.reserved,
            available=r.on_hand - r.reserved,
        )
        for r in rows
    ]
    return InventoryOut(
        sku=sku,
        on_hand=sum(w.on_hand for w in per),
        reserved=sum(w.reserved for w in per),
        available=sum(w.available for w in per),
        warehouses=per,
    )


async def book_receipt(session: AsyncSession, body: ReceiptIn, user: Principal) -> list[str]:
    """One transaction: stock up, receipt row, waiting orders served; returns those to nudge."""
    async with session.begin():
        errors: list[tuple[tuple[str | int, ...], str]] = []
        if await session.get(Product, body.sku) is None:
            errors.append((("sku",), f"unknown sku {body.sku}"))
        if await session.get(Warehouse, body.warehouse) is None:
            errors.append((("warehouse",), f"unknown warehouse {body.warehouse}"))
        if errors:
            raise InvalidFields(errors)
        on_hand = await session.scalar(
            select(Stock.on_hand)
            .where(Stock.sku == body.sku, Stock.warehouse == body.warehouse)
            .with_for_update()
        )
        if (on_hand or 0) + body.quantity > MAX_QUANTITY:
            raise InvalidFields([(("quantity",), f"stock on hand would exceed {MAX_QUANTITY}")])
        await session.execute(
            insert(Stock)
            .values(sku=body.sku, warehouse=body.warehouse, on_hand=body.quantity, reserved=0)
            .on_conflict_do_update(
                index_elements=[Stock.sku, Stock.warehouse],
                set_={"on_hand": Stock.on_hand + body.quantity},
            )
        )
        session.add(
            StockReceipt(
                sku=body.sku,
                warehouse=body.warehouse,
                quantity=body.quantity,
                received_by=user.username,
            )
        )
        served = await stock.allocate_waiting(session, [body.sku])
    return served
