"""Stock reservation without overselling (allocated by `domain/allocation.py`), and the
first-come queue of orders waiting for it.

Every function runs inside the caller's transaction. Stock rows are locked in (sku, warehouse)
order everywhere, so concurrent reservations, receipts and releases serialise without deadlock.
"""

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db import reorder
from db.models import (
    ExpectedReceipt,
    Order,
    OrderBatch,
    OrderLine,
    Reservation,
    Stock,
    StockTransfer,
    StockWait,
    WarehouseZone,
)
from domain.allocation import ZoneRow, allocate, allocate_available, nearest_first
from domain.order_types import OrderType
from domain.priority import RANK
from domain.status import FINAL_STATUSES

RESERVED, RELEASED, SHIPPED = "reserved", "released", "shipped"
WAITING, ALLOCATED, DROPPED = "waiting", "allocated", "dropped"
# A bulk order's batch: before its reservation day, then due (reserved or waiting), shipped.
BATCH_SCHEDULED, BATCH_DUE, BATCH_SHIPPED = "scheduled", "due", "shipped"


async def _needs(session: AsyncSession, order_id: str) -> dict[str, int]:
    """What the order asks of the warehouses so far: its lines, or for a bulk order the
    lines of the batches that have fallen due (their reservation day came), or of all its
    batches once its schedule is set aside."""
    batches = list(
        await session.execute(
            select(OrderBatch.status, OrderBatch.lines, Order.set_aside_warehouse)
            .join(Order, Order.id == OrderBatch.order_id)
            .where(OrderBatch.order_id == order_id)
        )
    )
    needs: dict[str, int] = defaultdict(int)
    if batches:
        for status, lines, set_aside in batches:
            if status != BATCH_SCHEDULED or set_aside is not None:
                for sku, quantity in lines:
                    needs[str(sku)] += int(quantity)
        return dict(needs)
    rows = await session.execute(
        select(OrderLine.sku, OrderLine.quantity).where(OrderLine.order_id == order_id)
    )
    for sku, quantity in rows:
        needs[sku] += quantity
    return dict(needs)


async def _lock_stock(session: AsyncSession, skus: list[str]) -> list[Stock]:
    result = await session.scalars(
        select(Stock)
        .where(Stock.sku.in_(sorted(skus)))
        .order_by(Stock.sku, Stock.warehouse)
        .with_for_update()
    )
    return list(result)


async def lock_rows(session: AsyncSession, skus: list[str]) -> list[Stock]:
    """The skus' stock rows in every warehouse, locked in the one order all writers use."""
    return await _lock_stock(session, skus)


async def _held(session: AsyncSession, order_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(Reservation.sku, func.sum(Reservation.quantity))
        .where(Reservation.order_id == order_id, Reservation.status.in_([RESERVED, SHIPPED]))
        .group_by(Reservation.sku)
    )
    return {sku: int(total) for sku, total in rows}


async def held_now(session: AsyncSession, order_id: str) -> dict[str, int]:
    """What the order holds in the warehouses now (not what has left), per sku."""
    rows = await session.execute(
        select(Reservation.sku, func.sum(Reservation.quantity))
        .where(Reservation.order_id == order_id, Reservation.status == RESERVED)
        .group_by(Reservation.sku)
    )
    return {sku: int(total) for sku, total in rows}


async def available(session: AsyncSession, skus: list[str]) -> dict[str, int]:
    """Stock on hand that nobody holds, over every warehouse, per sku."""
    rows = await session.execute(
        select(Stock.sku, func.sum(Stock.on_hand - Stock.reserved))
        .where(Stock.sku.in_(sorted(set(skus))))
        .group_by(Stock.sku)
    )
    return {sku: int(free) for sku, free in rows}


async def has_reservation(session: AsyncSession, order_id: str) -> bool:
    return bool(await _held(session, order_id))


async def outstanding(session: AsyncSession, order_id: str) -> dict[str, int]:
    """What the order still needs beyond what it holds or has shipped, per sku."""
    held = await _held(session, order_id)
    needs = await _needs(session, order_id)
    return {sku: q - held.get(sku, 0) for sku, q in needs.items() if q > held.get(sku, 0)}


async def try_reserve(
    session: AsyncSession, order_id: str, partial: bool = False
) -> dict[str, int]:
    """Reserve what the order still needs, by the allocation rule: all of it or nothing, or
    (partial) what there is now. Returns the shortage per sku; run again, it reserves no
    more than needed."""
    needs = await outstanding(session, order_id)
    if not needs:
        return {}
    rows = await _lock_stock(session, list(needs))
    ship_to, set_aside = (
        await session.execute(
            select(Order.ship_to, Order.set_aside_warehouse).where(Order.id == order_id)
        )
    ).one()
    ship_to = ship_to or {}
    if set_aside is not None:  # a set-aside schedule is held from its warehouse only
        rows = [r for r in rows if r.warehouse == set_aside]
    zones = [
        ZoneRow(z.warehouse, z.country, z.postal_prefix, z.zone)
        for z in await session.scalars(select(WarehouseZone))
    ]
    ranked = nearest_first(
        [r.warehouse for r in rows],
        zones,
        str(ship_to.get("country", "")),
        str(ship_to.get("postal_code", "")),
    )
    available = {(r.sku, r.warehouse): r.on_hand - r.reserved for r in rows}
    allocation = (allocate_available if partial else allocate)(needs, available, ranked)
    for (sku, warehouse), take in sorted(allocation.takes.items()):
        await session.execute(
            update(Stock)
            .where(Stock.sku == sku, Stock.warehouse == warehouse)
            .where(Stock.on_hand - Stock.reserved >= take)
            .values(reserved=Stock.reserved + take)
        )
        session.add(
            Reservation(
                order_id=order_id, sku=sku, warehouse=warehouse, quantity=take, status=RESERVED
            )
        )
    await session.flush()
    await reorder.watch(session, list(needs))
    return allocation.shortages


async def enqueue_wait(
    session: AsyncSession, order_id: str, held_for_release: bool = False
) -> None:
    """The order joins the queue for stock (a pre-sale place: held until its release); one
    place per order, kept if it has one."""
    await session.execute(
        insert(StockWait)
        .values(order_id=order_id, status=WAITING, held_for_release=held_for_release)
        .on_conflict_do_nothing(index_elements=[StockWait.order_id])
    )


async def drop_wait(session: AsyncSession, order_id: str) -> None:
    await session.execute(
        update(StockWait)
        .where(StockWait.order_id == order_id, StockWait.status == WAITING)
        .values(status=DROPPED)
    )


async def release(session: AsyncSession, order_id: str) -> list[str]:
    """Give back what the order holds; returns the skus that became available."""
    held = list(
        await session.scalars(
            select(Reservation)
            .where(Reservation.order_id == order_id, Reservation.status == RESERVED)
            .with_for_update()
        )
    )
    if not held:
        return []
    await _lock_stock(session, [r.sku for r in held])
    for r in held:
        await session.execute(
            update(Stock)
            .where(Stock.sku == r.sku, Stock.warehouse == r.warehouse)
            .values(reserved=Stock.reserved - r.quantity)
        )
        r.status = RELEASED
    freed = sorted({r.sku for r in held})
    await reorder.watch(session, freed)
    return freed


async def release_surplus(
    session: AsyncSession, order_id: str, wanted: dict[str, int]
) -> list[str]:
    """A changed order gives back what it holds beyond what it now wants, per sku (last held
    first); the rest of its reservation stays. Returns the skus that became available."""
    held = list(
        await session.scalars(
            select(Reservation)
            .where(Reservation.order_id == order_id, Reservation.status == RESERVED)
            .order_by(Reservation.id.desc())
            .with_for_update()
        )
    )
    surplus = {sku: q - wanted.get(sku, 0) for sku, q in (await _held(session, order_id)).items()}
    surplus = {sku: q for sku, q in surplus.items() if q > 0}
    if not surplus:
        return []
    freed = sorted(surplus)
    await _lock_stock(session, freed)
    for r in held:
        give = min(surplus.get(r.sku, 0), r.quantity)
        if give <= 0:
            continue
        surplus[r.sku] -= give
        await session.execute(
            update(Stock)
            .where(Stock.sku == r.sku, Stock.warehouse == r.warehouse)
            .values(reserved=Stock.reserved - give)
        )
        if give == r.quantity:
            r.status = RELEASED
        else:
            r.quantity -= give
    await reorder.watch(session, freed)
    return freed


async def mark_shipped(
    session: AsyncSession, order_id: str, shipment_id: str | None = None
) -> None:
    """The goods leave (one shipment's, or all the order holds): on-hand and reserved both
    drop by what was held."""
    stmt = select(Reservation).where(
        Reservation.order_id == order_id, Reservation.status == RESERVED
    )
    if shipment_id is not None:
        stmt = stmt.where(Reservation.shipment_id == shipment_id)
    held = list(await session.scalars(stmt.with_for_update()))
    await _lock_stock(session, [r.sku for r in held])
    for r in held:
        await session.execute(
            update(Stock)
            .where(Stock.sku == r.sku, Stock.warehouse == r.warehouse)
            .values(on_hand=Stock.on_hand - r.quantity, reserved=Stock.reserved - r.quantity)
        )
        r.status = SHIPPED


async def allocate_waiting(session: AsyncSession, skus: list[str]) -> list[str]:
    """Serve waiting orders for these skus: released pre-sale places first, in the order
    their deposits were paid; then the others by priority, then arrival. Returns the orders
    to nudge: those served, and those passed by because they were busy (they recheck when
    nudged). A pre-sale place not yet released is served by no receipt.

    An order that still cannot be served keeps its place and does not block a smaller order
    behind it.
    """
    if not skus:
        return []
    await _lock_stock(session, skus)
    presale = Order.order_type == OrderType.PRESALE
    waits = list(
        await session.scalars(
            select(StockWait)
            .where(
                StockWait.status == WAITING,
                StockWait.held_for_release.is_(False),
                exists().where(OrderLine.order_id == StockWait.order_id, OrderLine.sku.in_(skus)),
            )
            .join(Order, Order.id == StockWait.order_id)
            # An ended order holds nothing, whatever its queue row says.
            .where(Order.status.not_in(FINAL_STATUSES))
            .order_by(
                case((presale, 0), else_=1),
                case((presale, 0), else_=priority_rank(Order.priority)),
                StockWait.id,
            )
            # Only the queue rows: an order's own row is taken below without waiting for it.
            .with_for_update(of=StockWait)
        )
    )
    served: list[str] = []
    for wait in waits:
        # An order whose own activity holds its row is reserving for itself right now; waiting
        # for that row while holding stock rows it needs would deadlock, so pass it by.
        order = await session.scalar(
            select(Order).where(Order.id == wait.order_id).with_for_update(skip_locked=True)
        )
        if order is None:
            served.append(wait.order_id)
            continue
        if await try_reserve(session, wait.order_id):
            continue
        # Held for it; its own workflow, nudged, moves it on (its reserve step finds the stock
        # already held).
        wait.status = ALLOCATED
        served.append(wait.order_id)
    return served


async def add_on_hand(session: AsyncSession, sku: str, warehouse: str, quantity: int) -> None:
    """Goods arrive at a warehouse (a receipt, a transfer received)."""
    await session.execute(
        insert(Stock)
        .values(sku=sku, warehouse=warehouse, on_hand=quantity, reserved=0)
        .on_conflict_do_update(
            index_elements=[Stock.sku, Stock.warehouse],
            set_={"on_hand": Stock.on_hand + quantity},
        )
    )
    await reorder.watch(session, [sku])


async def receive_for(
    session: AsyncSession, order_id: str, sku: str, warehouse: str, quantity: int
) -> None:
    """Goods made for one order arrive: on hand and held for it at once (nobody else's)."""
    await add_on_hand(session, sku, warehouse, quantity)
    await session.execute(
        update(Stock)
        .where(Stock.sku == sku, Stock.warehouse == warehouse)
        .values(reserved=Stock.reserved + quantity)
    )
    session.add(
        Reservation(
            order_id=order_id, sku=sku, warehouse=warehouse, quantity=quantity, status=RESERVED
        )
    )


async def take_available(session: AsyncSession, sku: str, warehouse: str, quantity: int) -> bool:
    """Goods leave a warehouse without an order (a transfer dispatched): only what is not
    reserved; False when that is less than asked."""
    result = await session.execute(
        update(Stock)
        .where(Stock.sku == sku, Stock.warehouse == warehouse)
        .where(Stock.on_hand - Stock.reserved >= quantity)
        .values(on_hand=Stock.on_hand - quantity)
        .returning(Stock.on_hand)
    )
    if result.first() is None:
        return False
    await reorder.watch(session, [sku])
    return True


async def release_places(session: AsyncSession, day: date) -> list[str]:
    """Pre-sale places of orders released by this day let go (stock rows locked first, as a
    receipt locks them) and served from what is on hand; returns the orders to nudge."""
    released = (
        select(StockWait.order_id)
        .join(Order, Order.id == StockWait.order_id)
        .where(StockWait.held_for_release.is_(True), Order.release_date <= day)
    )
    skus = sorted(
        set(
            await session.scalars(
                select(OrderLine.sku).where(OrderLine.order_id.in_(released)).distinct()
            )
        )
    )
    if not skus:
        return []
    await _lock_stock(session, skus)
    await session.execute(
        update(StockWait)
        .where(StockWait.order_id.in_(released))
        .values(held_for_release=False)
        .execution_options(synchronize_session=False)
    )
    return await allocate_waiting(session, skus)


async def queue_place(session: AsyncSession, order_id: str) -> int | None:
    """A waiting pre-sale order's place among the pre-sale places waiting for any of its
    skus (1: served first); None when it waits for nothing."""
    own = await session.scalar(
        select(StockWait.id).where(StockWait.order_id == order_id, StockWait.status == WAITING)
    )
    if own is None:
        return None
    mine = select(OrderLine.sku).where(OrderLine.order_id == order_id)
    ahead = await session.scalar(
        select(func.count(StockWait.id))
        .join(Order, Order.id == StockWait.order_id)
        .where(
            StockWait.status == WAITING,
            StockWait.id <= own,
            Order.order_type == OrderType.PRESALE,
            Order.status.not_in(FINAL_STATUSES),
            exists().where(OrderLine.order_id == StockWait.order_id, OrderLine.sku.in_(mine)),
        )
    )
    return int(ahead or 0)


def priority_rank(column: Any) -> Any:
    """Urgent first: the priority as a number to sort by."""
    return case({p.value: rank for p, rank in RANK.items()}, value=column, else_=len(RANK))


IN_TRANSIT, OPEN = "in_transit", "open"


async def expected_arrival(session: AsyncSession, skus: list[str]) -> date | None:
    """When every one of these skus has stock coming with a date (an announced receipt, a
    transfer on its way): the latest of their soonest dates; None when one has none."""
    dates = []
    for sku in skus:
        transfer = await session.scalar(
            select(func.min(StockTransfer.expected_on)).where(
                StockTransfer.sku == sku, StockTransfer.status == IN_TRANSIT
            )
        )
        receipt = await session.scalar(
            select(func.min(ExpectedReceipt.expected_on)).where(
                ExpectedReceipt.sku == sku, ExpectedReceipt.status == OPEN
            )
        )
        known = [d for d in (transfer, receipt) if d is not None]
        if not known:
            return None
        dates.append(min(known))
    return max(dates) if dates else None
