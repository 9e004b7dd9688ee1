"""The queue of orders waiting for stock, on real PostgreSQL: served in order of arrival, and a
busy order is passed by (and nudged) instead of deadlocking a receipt."""

from sqlalchemy import select, update

from activities.inventory import InventoryActivities
from activities.review import ReviewActivities
from config import Settings
from db import stock
from db.engine import SessionFactory
from db.models import Order, Stock, StockWait
from domain.messages import ReserveRequest
from domain.status import OrderStatus
from tests.activities.test_run_twice import new_order, twice


async def waiting_orders(sessions: SessionFactory, count: int) -> tuple[list[str], str]:
    first, sku = await new_order(sessions, stock=0)
    ids = [first] + [(await new_order(sessions, sku=sku))[0] for _ in range(count - 1)]
    inventory = InventoryActivities(sessions, Settings().link_signer())
    for order_id in ids:
        await twice.run(ReviewActivities(sessions).review_order, order_id)
        request = ReserveRequest(order_id=order_id, on_success=OrderStatus.READY_TO_SHIP)
        assert not (await twice.run(inventory.reserve_stock, request)).reserved
    return ids, sku


async def add_stock(sessions: SessionFactory, sku: str, quantity: int) -> list[str]:
    async with sessions.begin() as session:
        await session.execute(
            update(Stock).where(Stock.sku == sku).values(on_hand=Stock.on_hand + quantity)
        )
        return await stock.allocate_waiting(session, [sku])


async def statuses(sessions: SessionFactory, ids: list[str]) -> list[str]:
    async with sessions() as session:
        found = dict(
            (await session.execute(select(Order.id, Order.status).where(Order.id.in_(ids)))).all()
        )
    return [found[i] for i in ids]


async def held(sessions: SessionFactory, ids: list[str]) -> list[bool]:
    async with sessions() as session:
        return [await stock.has_reservation(session, i) for i in ids]


async def step_of_nudged(sessions: SessionFactory, order_id: str) -> None:
    """What a nudged workflow does: its reserve step, which finds the stock already held."""
    request = ReserveRequest(order_id=order_id, on_success=OrderStatus.READY_TO_SHIP)
    assert (
        await twice.run(
            InventoryActivities(sessions, Settings().link_signer()).reserve_stock, request
        )
    ).reserved


async def test_receipts_serve_waiting_orders_in_order_of_arrival(sessions: SessionFactory) -> None:
    ids, sku = await waiting_orders(sessions, 3)
    assert await add_stock(sessions, sku, 3) == ids[:1]  # 2 units each: one order, one left
    assert await add_stock(sessions, sku, 1) == ids[1:2]
    assert await held(sessions, ids) == [True, True, False]
    # The receipt holds the stock; each order's own workflow step moves its status.
    assert await statuses(sessions, ids) == ["AWAITING_STOCK"] * 3
    for order_id in ids[:2]:
        await step_of_nudged(sessions, order_id)
    assert await statuses(sessions, ids) == ["READY_TO_SHIP", "READY_TO_SHIP", "AWAITING_STOCK"]


async def test_a_busy_waiting_order_is_passed_by_and_nudged(sessions: SessionFactory) -> None:
    ids, sku = await waiting_orders(sessions, 2)
    async with sessions.begin() as busy:
        # As if the first order's own activity were running: it holds the order's row.
        await busy.execute(select(Order).where(Order.id == ids[0]).with_for_update())
        nudged = await add_stock(sessions, sku, 2)
        assert nudged == ids  # the busy one to recheck, the second one served
    assert await held(sessions, ids) == [False, True]
    async with sessions() as session:
        waits = dict(
            (
                await session.execute(
                    select(StockWait.order_id, StockWait.status).where(StockWait.order_id.in_(ids))
                )
            ).all()
        )
    assert waits == {ids[0]: "waiting", ids[1]: "allocated"}
