"""Through the API against the real Temporal dev server and PostgreSQL: the happy path of each
payment method, the race for the last units, and retried submissions."""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import Order, Reservation, StockWait
from tests.harness import Desk, eventually, open_desk, order_body


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    # The simulated carrier scans each parcel along every 0.2 s and the workflow polls it.
    async with open_desk(
        dev_env, sessions, carrier_step_seconds=0.2, carrier_poll_seconds=0.2
    ) as desk:
        yield desk


@pytest.mark.parametrize("payment", ["prepaid", "cod", "credit"])
async def test_happy_path_of_each_payment_method(desk: Desk, payment: str) -> None:
    sku = await desk.product(price="25.00", stock=4)
    order_id = await desk.order(sku, quantity=2, payment=payment)
    if payment == "prepaid":
        await desk.status_is(order_id, "AWAITING_PAYMENT")
        await desk.ok(
            "shop",
            "POST",
            f"/orders/{order_id}/payments",
            json={"reference": f"psp-{order_id}", "amount": "59.50", "method": "card"},
        )
    if payment == "credit":
        # The policy sends a customer's first order on credit terms to finance.
        await desk.status_is(order_id, "AWAITING_APPROVAL")
        await desk.ok(
            "finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
        )
        await desk.status_is(order_id, "AWAITING_SETTLEMENT")
        await desk.ok(
            "finance",
            "POST",
            f"/orders/{order_id}/payments",
            json={"reference": f"bank-{order_id}", "amount": "59.50", "method": "transfer"},
        )
    order = await desk.status_is(order_id, "COMPLETED")
    assert order["shipments"][0]["status"] == "delivered"
    assert sum(Decimal(p["amount"]) for p in order["payments"]) == Decimal("59.50")
    assert order["invoice"]["status"] == "paid"
    final = await desk.handle(order_id).result()
    assert final["status"] == "COMPLETED"
    description = await desk.handle(order_id).describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED
    assert description.typed_search_attributes  # OrderStatus, CustomerId, Channel, OrderTotal
    attrs = {p.key.name: p.value for p in description.typed_search_attributes}
    assert attrs["OrderStatus"] == "COMPLETED"
    assert attrs["Channel"] == "web"
    assert attrs["OrderTotal"] == pytest.approx(59.5)


async def test_fifty_orders_race_for_ten_units(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    # No carrier scans here: shipped orders stay SHIPPED, so counts are stable.
    async with open_desk(dev_env, sessions) as desk:
        sku = await desk.product(price="10.00", stock=10)
        customer = await desk.customer()

        async def place() -> str:
            body = await desk.ok(
                "shop", "POST", "/orders", json=order_body(customer, sku, 1, "cod")
            )
            return str(body["order_id"])

        order_ids = await asyncio.gather(*(place() for _ in range(50)))
        assert len(set(order_ids)) == 50

        async def settled() -> Any:
            async with sessions() as session:
                rows = await session.execute(
                    select(Order.status, func.count())
                    .where(Order.id.in_(order_ids))
                    .group_by(Order.status)
                )
                counts: dict[str, int] = {status: n for status, n in rows}
            return counts if counts == {"SHIPPED": 10, "AWAITING_STOCK": 40} else None

        await eventually(settled, timeout=60)
        inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
        assert (inventory["on_hand"], inventory["reserved"], inventory["available"]) == (0, 0, 0)
        async with sessions() as session:
            held = await session.scalar(
                select(func.sum(Reservation.quantity)).where(
                    Reservation.sku == sku, Reservation.status.in_(["reserved", "shipped"])
                )
            )
            queue = list(
                await session.scalars(
                    select(StockWait.order_id)
                    .where(StockWait.order_id.in_(order_ids), StockWait.status == "waiting")
                    .order_by(StockWait.id)
                )
            )
        assert held == 10
        assert len(queue) == 40
        # A receipt of five serves the five that waited longest.
        await desk.receive(sku, 5)
        for order_id in queue[:5]:
            await desk.status_is(order_id, "SHIPPED", timeout=30)
        for order_id in queue[5:8]:
            assert (await desk.get(order_id))["status"] == "AWAITING_STOCK"
        inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
        assert inventory["on_hand"] >= 0 and inventory["available"] == 0


async def test_retried_submission_creates_one_order_and_one_workflow(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    customer = await desk.customer()
    body = order_body(customer, sku, 1, "cod")
    headers = {"Idempotency-Key": f"retry-{customer}"}
    responses = await asyncio.gather(
        *(desk.call("shop", "POST", "/orders", json=body, headers=headers) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["order_id"] for r in responses}) == 1
    by_ref = {**body, "external_ref": f"PO-{customer}"}
    first = await desk.call("shop", "POST", "/orders", json=by_ref)
    again = await desk.call("shop", "POST", "/orders", json=by_ref)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["order_id"] == again.json()["order_id"]
    async with desk.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id == customer)
        )
    assert count == 2

    async def workflows_of_customer() -> int:
        query = f"CustomerId = '{customer}'"
        return len([w async for w in desk.env.client.list_workflows(query)])

    # Visibility (the Temporal UI's search) catches up shortly after a start.
    await eventually(lambda: _equals(workflows_of_customer(), 2))
    await asyncio.sleep(0.5)
    assert await workflows_of_customer() == 2


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)
