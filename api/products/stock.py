"""Stock levels by warehouse; goods booked in (receipts) and moved between warehouses
(transfers), each serving the orders waiting for them; the low-stock list."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import InvalidFields, NotAllowedNow, NotFound
from api.products.schemas import (
    ExpectedReceiptIn,
    ExpectedReceiptOut,
    InventoryOut,
    LowStockOut,
    ReceiptIn,
    TransferIn,
    TransferOut,
    WarehouseOut,
    WarehouseStock,
    ZoneIn,
    ZonesIn,
)
from db import stock
from db.audit import Who, audit
from db.models import (
    ExpectedReceipt,
    LowStock,
    Product,
    Stock,
    StockReceipt,
    StockTransfer,
    Warehouse,
    WarehouseZone,
)
from domain.text import MAX_QUANTITY

DEADLOCK_RETRIES = 3
RETRYABLE = {"40P01", "40001"}  # deadlock detected, serialization failure
IN_TRANSIT, RECEIVED, OPEN = "in_transit", "received", "open"
T = TypeVar("T")


async def retrying_deadlocks(book: Callable[[], Awaitable[T]]) -> T:
    """Receipts, transfers and reservations lock the same rows; PostgreSQL breaks a rare
    deadlock by failing one side, and the booking is simply made again."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return await book()
        except DBAPIError as exc:
            if (
                getattr(exc.orig, "sqlstate", None) not in RETRYABLE
                or attempt + 1 == DEADLOCK_RETRIES
            ):
                raise
    raise AssertionError("unreachable")


async def inventory_of(session: AsyncSession, sku: str) -> InventoryOut:
    rows = list(
        await session.scalars(select(Stock).where(Stock.sku == sku).order_by(Stock.warehouse))
    )
    incoming = await _in_transit_to(session, sku)
    per = [
        WarehouseStock(
            warehouse=r.warehouse,
            on_hand=r.on_hand,
            reserved=r.reserved,
            available=r.on_hand - r.reserved,
            incoming=incoming.get(r.warehouse, 0),
        )
        for r in rows
    ]
    # A warehouse that holds none yet but has some on its way.
    per += [
        WarehouseStock(warehouse=w, on_hand=0, reserved=0, available=0, incoming=q)
        for w, q in sorted(incoming.items())
        if w not in {r.warehouse for r in rows}
    ]
    point = await session.scalar(select(Product.reorder_point).where(Product.sku == sku))
    expected = await session.scalars(
        select(ExpectedReceipt)
        .where(ExpectedReceipt.sku == sku, ExpectedReceipt.status == OPEN)
        .order_by(ExpectedReceipt.expected_on, ExpectedReceipt.id)
    )
    return InventoryOut(
        sku=sku,
        on_hand=sum(w.on_hand for w in per),
        reserved=sum(w.reserved for w in per),
        available=sum(w.available for w in per),
        in_transit=sum(incoming.values()),
        reorder_point=point or 0,
        warehouses=per,
        expected=[expected_out(e) for e in expected],
    )


async def _in_transit_to(session: AsyncSession, sku: str) -> dict[str, int]:
    rows = await session.execute(
        select(StockTransfer.to_warehouse, func.sum(StockTransfer.quantity))
        .where(StockTransfer.sku == sku, StockTransfer.status == IN_TRANSIT)
        .group_by(StockTransfer.to_warehouse)
    )
    return {warehouse: int(total) for warehouse, total in rows}


async def _known(session: AsyncSession, sku: str, *warehouses: tuple[str, str]) -> None:
    """Refuses, naming the field, a sku or warehouse that does not exist."""
    errors: list[tuple[tuple[str | int, ...], str]] = []
    if await session.get(Product, sku) is None:
        errors.append((("sku",), f"unknown sku {sku}"))
    for field, code in warehouses:
        if await session.get(Warehouse, code) is None:
            errors.append(((field,), f"unknown warehouse {code}"))
    if errors:
        raise InvalidFields(errors)


async def _room_for(session: AsyncSession, sku: str, warehouse: str, quantity: int) -> None:
    on_hand = await session.scalar(
        select(Stock.on_hand)
        .where(Stock.sku == sku, Stock.warehouse == warehouse)
        .with_for_update()
    )
    if (on_hand or 0) + quantity > MAX_QUANTITY:
        raise InvalidFields([(("quantity",), f"stock on hand would exceed {MAX_QUANTITY}")])


async def book_receipt(session: AsyncSession, body: ReceiptIn, user: Principal) -> list[str]:
    """One transaction: stock up, receipt row, waiting orders served; returns those to nudge."""
    async with session.begin():
        await _known(session, body.sku, ("warehouse", body.warehouse))
        await _room_for(session, body.sku, body.warehouse, body.quantity)
        await stock.add_on_hand(session, body.sku, body.warehouse, body.quantity)
        if body.expected_receipt_id is not None:
            announced = await session.get(
                ExpectedReceipt, body.expected_receipt_id, with_for_update=True
            )
            if announced is None or announced.sku != body.sku or announced.status != OPEN:
                raise InvalidFields(
                    [(("expected_receipt_id",), "no open expected receipt of this sku")]
                )
            announced.status = RECEIVED
        session.add(
            StockReceipt(
                sku=body.sku,
                warehouse=body.warehouse,
                quantity=body.quantity,
                received_by=user.username,
            )
        )
        return await stock.allocate_waiting(session, [body.sku])


async def dispatch_transfer(
    session: AsyncSession, body: TransferIn, user: Principal
) -> TransferOut:
    """The goods leave the source at once (only what no order holds there)."""
    async with session.begin():
        if body.from_warehouse == body.to_warehouse:
            raise InvalidFields([(("to_warehouse",), "a transfer goes to another warehouse")])
        await _known(
            session,
            body.sku,
            ("from_warehouse", body.from_warehouse),
            ("to_warehouse", body.to_warehouse),
        )
        if not await stock.take_available(session, body.sku, body.from_warehouse, body.quantity):
            raise NotAllowedNow(
                f"{body.from_warehouse} has fewer than {body.quantity} x {body.sku} available"
            )
        transfer = StockTransfer(
            sku=body.sku,
            from_warehouse=body.from_warehouse,
            to_warehouse=body.to_warehouse,
            quantity=body.quantity,
            status=IN_TRANSIT,
            expected_on=body.expected_on,
            created_by=user.username,
        )
        session.add(transfer)
        await session.flush()
        await session.refresh(transfer)
        return transfer_out(transfer)


async def receive_transfer(
    session: AsyncSession, transfer_id: int, user: Principal
) -> tuple[TransferOut, list[str]]:
    """The goods join the destination's stock and serve its waiting orders; once."""
    async with session.begin():
        transfer = await session.get(StockTransfer, transfer_id, with_for_update=True)
        if transfer is None:
            raise NotFound(f"transfer {transfer_id} not found")
        if transfer.status == RECEIVED:
            return transfer_out(transfer), []
        await _room_for(session, transfer.sku, transfer.to_warehouse, transfer.quantity)
        await stock.add_on_hand(session, transfer.sku, transfer.to_warehouse, transfer.quantity)
        transfer.status, transfer.received_by = RECEIVED, user.username
        transfer.received_at = await session.scalar(select(func.now()))
        served = await stock.allocate_waiting(session, [transfer.sku])
        return transfer_out(transfer), served


async def announce_receipt(
    session: AsyncSession, body: ExpectedReceiptIn, user: Principal
) -> ExpectedReceiptOut:
    """Goods a supplier announced: waiting orders show when they should come."""
    async with session.begin():
        await _known(session, body.sku, ("warehouse", body.warehouse))
        today = await session.scalar(select(func.current_date()))
        if today is not None and body.expected_on < today:
            raise InvalidFields([(("expected_on",), "must be today or later")])
        announced = ExpectedReceipt(
            sku=body.sku,
            warehouse=body.warehouse,
            quantity=body.quantity,
            expected_on=body.expected_on,
            status=OPEN,
            created_by=user.username,
        )
        session.add(announced)
        await session.flush()
        return expected_out(announced)


def expected_out(e: ExpectedReceipt) -> ExpectedReceiptOut:
    return ExpectedReceiptOut(
        expected_receipt_id=e.id,
        sku=e.sku,
        warehouse=e.warehouse,
        quantity=e.quantity,
        expected_on=e.expected_on,
        status=e.status,
    )


async def warehouses(session: AsyncSession) -> list[WarehouseOut]:
    zones = list(
        await session.scalars(
            select(WarehouseZone).order_by(
                WarehouseZone.warehouse, WarehouseZone.country, WarehouseZone.postal_prefix
            )
        )
    )
    return [
        WarehouseOut(
            code=w.code,
            name=w.name,
            zones=[
                ZoneIn(country=z.country, postal_prefix=z.postal_prefix, zone=z.zone)
                for z in zones
                if z.warehouse == w.code
            ],
        )
        for w in await session.scalars(select(Warehouse).order_by(Warehouse.code))
    ]


async def replace_zones(
    session: AsyncSession, w: Who, code: str, body: ZonesIn
) -> list[WarehouseOut]:
    """The warehouse's whole zone table, replaced in one transaction (audited)."""
    keys = [(z.country, z.postal_prefix) for z in body.zones]
    if len(keys) != len(set(keys)):
        raise InvalidFields([(("zones",), "one zone per country and postal prefix")])
    async with session.begin():
        if await session.get(Warehouse, code, with_for_update=True) is None:
            raise NotFound(f"warehouse {code} not found")
        await session.execute(delete(WarehouseZone).where(WarehouseZone.warehouse == code))
        for z in body.zones:
            session.add(WarehouseZone(warehouse=code, **z.model_dump()))
        audit(session, w, "warehouse.zones", "replaced", detail=f"{code}: {len(body.zones)} zones")
    return await warehouses(session)


def transfer_out(t: StockTransfer) -> TransferOut:
    return TransferOut(
        transfer_id=t.id,
        sku=t.sku,
        from_warehouse=t.from_warehouse,
        to_warehouse=t.to_warehouse,
        quantity=t.quantity,
        status=t.status,
        expected_on=t.expected_on,
        created_at=t.created_at,
        received_at=t.received_at,
    )


async def low_stock(session: AsyncSession) -> list[LowStockOut]:
    rows = await session.execute(
        select(LowStock, Product).join(Product, Product.sku == LowStock.sku).order_by(LowStock.sku)
    )
    listed = []
    for low, product in rows:
        inventory = await inventory_of(session, product.sku)
        listed.append(
            LowStockOut(
                sku=product.sku,
                name=product.name,
                available=inventory.available,
                reorder_point=product.reorder_point,
                in_transit=inventory.in_transit,
                since=low.since,
            )
        )
    return listed
