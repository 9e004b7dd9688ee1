"""Stock receipts and stock levels."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import SessionDep, TemporalDep, allowed
from api.errors import InvalidFields, NotFound
from api.schemas import InventoryOut, ReceiptIn, WarehouseStock
from api.workflow_calls import nudge_orders
from db import stock
from db.models import Product, Stock, StockReceipt, Warehouse
from domain.roles import Action
from domain.text import MAX_QUANTITY

router = APIRouter(tags=["inventory"])
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


async def _book_receipt(session: AsyncSession, body: ReceiptIn, user: Principal) -> list[str]:
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


@router.post("/inventory/receipts", status_code=201)
async def receive_stock(
    body: ReceiptIn,
    session: SessionDep,
    temporal: TemporalDep,
    user: Annotated[Principal, Depends(allowed(Action.RECEIVE_STOCK))],
) -> InventoryOut:
    """Book goods in; orders waiting for this sku are served first, in order of arrival."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            served = await _book_receipt(session, body, user)
            break
        except DBAPIError as exc:
            # Receipts and reservations lock the same rows; PostgreSQL breaks a rare deadlock
            # by failing one side, and the receipt is simply booked again.
            if (
                getattr(exc.orig, "sqlstate", None) not in RETRYABLE
                or attempt + 1 == DEADLOCK_RETRIES
            ):
                raise
    await nudge_orders(temporal, served)
    return await inventory_of(session, body.sku)


@router.get("/inventory/{sku}")
async def get_inventory(
    sku: str, session: SessionDep, user: Annotated[Principal, Depends(allowed(Action.READ_STOCK))]
) -> InventoryOut:
    """Stock of one sku, in total and per warehouse."""
    if await session.get(Product, sku) is None:
        raise NotFound(f"sku {sku} not found")
    return await inventory_of(session, sku)
