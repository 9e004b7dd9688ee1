"""The standard order's promise: confirmed, it is promised to leave by a day per shipping
method (from when its stock is expected, if it waits); its first parcel is checked against
it, shown on the order and counted by the KPIs."""

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import Order
from domain.carrier import PROMISED_SHIP_DAYS, ShippingMethod
from tests.harness import Desk, checked_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def today(sessions: SessionFactory) -> date:
    async with sessions() as session:
        day = await session.scalar(select(func.current_date()))
    assert isinstance(day, date)
    return day


async def test_a_confirmed_order_is_promised_a_day_and_leaves_by_it(
    desk: Desk, sessions: SessionFactory
) -> None:
    sku = await desk.product(stock=5)
    order_id = await desk.order(sku, payment="cod")
    order = await desk.status_is(order_id, "SHIPPED", timeout=60)
    promised = date.fromisoformat(order["promised_ship_date"])
    days = PROMISED_SHIP_DAYS[ShippingMethod.STANDARD]
    assert promised == await today(sessions) + timedelta(days=days)
    assert order["shipped_on_time"] is True


async def test_an_order_leaving_after_its_promise_shipped_late(
    desk: Desk, sessions: SessionFactory
) -> None:
    sku = await desk.product(stock=5)
    order_id = await desk.order(sku, payment="prepaid")
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert order["promised_ship_date"] is not None and order["shipped_on_time"] is None
    # The payment comes days after the promised day (the promise was made back then).
    past = await today(sessions) - timedelta(days=3)
    async with sessions.begin() as session:
        await session.execute(
            update(Order).where(Order.id == order_id).values(promised_ship_date=past)
        )
    total = order["totals"]["total"]
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"pay-{order_id}", "amount": total, "method": "card"},
    )
    order = await desk.status_is(order_id, "SHIPPED", timeout=60)
    assert order["shipped_on_time"] is False
    assert order["promised_ship_date"] == past.isoformat()  # a promise is not moved
    day = (await today(sessions)).isoformat()
    report = await desk.ok("manager", "GET", "/reports/kpis", params={"from": day, "to": day})
    assert report["shipped"] > report["shipped_on_time"]
