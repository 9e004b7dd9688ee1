"""Temporal unreachable at intake: the order is still taken (intake answers before the start),
and no order row is left without a workflow: the sweeper starts it once Temporal answers; a
retry still gives one order."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db.engine import SessionFactory
from db.models import Order
from stack.binaries import temporal_cli
from temporal_client import sweep_forever, sweep_unstarted
from tests.harness import Desk, eventually, open_desk, order_body
from workflows import search_attributes


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(dev_env, sessions) as desk:
        yield desk


async def test_an_order_taken_while_temporal_is_down_gets_its_workflow(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    customer = await desk.customer()
    # A second Temporal server the API is connected to, then stopped: Temporal is down.
    doomed = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
    )
    app = create_app(desk.settings, sessions=desk.sessions, temporal=doomed.client)
    await doomed.shutdown()
    key = {"Idempotency-Key": f"down-{customer}"}
    body = order_body(customer, sku, 1, "cod")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://down"
    ) as down:
        taken = await down.post("/orders", json=body, headers={**desk.auth("shop"), **key})
        assert taken.status_code == 201, taken.text
        # The API's own start fails (Temporal is down) and leaves the order to the sweeper.
        await asyncio.sleep(0.5)

    async def recorded() -> list[Order]:
        async with desk.sessions() as session:
            return list(await session.scalars(select(Order).where(Order.customer_id == customer)))

    (order,) = await recorded()
    assert (order.status, order.workflow_started_at) == ("RECEIVED", None)
    # Temporal answers again (the live dev server): the worker's sweeper loop starts the
    # workflow, and the order moves on without anyone retrying.
    desk.settings.process.sweep_after_seconds = 0.5
    sweeper = asyncio.create_task(
        sweep_forever(desk.env.client, desk.sessions, desk.settings, every=timedelta(seconds=0.2))
    )
    try:
        await desk.status_is(order.id, "SHIPPED", timeout=60)
    finally:
        sweeper.cancel()
    # The caller's retry with the same key: the same order, no second one.
    retry = await desk.call("shop", "POST", "/orders", json=body, headers=key)
    assert (retry.status_code, retry.json()["order_id"]) == (200, order.id)
    async with desk.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id == customer)
        )
        assert count == 1
    assert (await recorded())[0].workflow_started_at is not None
    # Nothing is left for a later sweep.
    assert order.id not in await sweep_unstarted(
        desk.env.client, desk.sessions, desk.settings, older_than=timedelta(0)
    )


async def test_the_sweeper_leaves_young_orders_to_intake(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    order_id = await desk.order(sku, payment="cod")
    await eventually(lambda: _started(desk, order_id))
    young = await sweep_unstarted(
        desk.env.client, desk.sessions, desk.settings, older_than=timedelta(minutes=5)
    )
    assert order_id not in young


async def _started(desk: Desk, order_id: str) -> bool:
    async with desk.sessions() as session:
        at = await session.scalar(select(Order.workflow_started_at).where(Order.id == order_id))
    return at is not None
