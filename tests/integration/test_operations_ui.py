"""The Temporal UI as an operator's console, on the real dev server: the queries the README's
operations section gives find exactly the orders they describe (checked with
count_workflows), every order carries its summary, details and activity summaries, and an
activity that keeps failing shows on its order until it recovers."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.failures import FAILING_AFTER_ATTEMPTS, ReportFailingActivities
from db.engine import SessionFactory
from stack.binaries import temporal_cli
from stack.search_attributes import register
from tests.harness import Desk, eventually, open_desk
from tests.workflows.test_presale import pay, presale_order, presale_product, today
from workflows.search_attributes import indexed_types

# The README's operations queries (placeholders filled per test).
WAITING_FOR_APPROVAL = "OrderStatus = 'AWAITING_APPROVAL' AND StatusSince < '{before}'"
BACKORDERS_OF_SKU = "OrderStatus = 'AWAITING_STOCK' AND ShortSku = '{sku}'"
LATE_ORDERS = "Late = true AND ExecutionStatus = 'Running'"
FAILING = "FailingActivity IS NOT NULL"
PRESALE_PLACES = "OrderType = 'presale' AND OrderStatus = 'QUEUED'"


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    # Standard shipping promised within 2 s, and a carrier that never scans: late at once.
    async with open_desk(
        dev_env, sessions, promised_delivery={"standard": timedelta(seconds=2)}
    ) as desk:
        yield desk


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def count(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


async def counts(client: Client, query: str, expected: int) -> None:
    """Visibility is eventually consistent: poll until the query counts what it should."""

    async def check() -> bool:
        return await count(client, query) == expected

    await eventually(check, timeout=20)


def mine(order_id: str, query: str) -> str:
    return f"WorkflowId = 'order-{order_id}' AND {query}"


async def test_the_operations_queries_find_the_orders_they_describe(desk: Desk) -> None:
    client = desk.env.client
    sku = await desk.product(price="100.00", stock=5)
    # Waiting for a supervisor (a 15 % discount).
    waiting = await desk.order(sku, 1, discount_pct="15")
    await desk.status_is(waiting, "AWAITING_APPROVAL")
    now = datetime.now(UTC)
    await counts(client, mine(waiting, WAITING_FOR_APPROVAL.format(before=iso(now))), 1)
    # Not waiting longer than a day yet.
    day_ago = iso(now - timedelta(days=1))
    assert await count(client, mine(waiting, WAITING_FOR_APPROVAL.format(before=day_ago))) == 0
    level = "PendingApprovalLevel = 'sales_supervisor'"
    await counts(client, mine(waiting, level), 1)
    await desk.ok(
        "supervisor", "POST", f"/orders/{waiting}/approvals", json={"decision": "approve"}
    )
    await counts(client, mine(waiting, level), 0)  # decided: no longer pending

    # Backorders of one sku: two orders short of it, one of another sku.
    short = await desk.product(price="10.00", stock=0)
    other = await desk.product(price="10.00", stock=0)
    backorders = [await desk.order(short, 1), await desk.order(short, 2)]
    await desk.order(other, 1)
    for order_id in backorders:
        await desk.status_is(order_id, "AWAITING_STOCK")
    await counts(client, BACKORDERS_OF_SKU.format(sku=short), 2)
    await desk.receive(short, 5)  # stock arrives: no longer short
    await counts(client, BACKORDERS_OF_SKU.format(sku=short), 0)

    # Late: shipped, never scanned by the carrier, past the 2 s promise.
    late = await desk.order(sku, 1, payment="cod")
    await desk.status_is(late, "SHIPPED")
    await counts(client, mine(late, LATE_ORDERS), 1)
    await counts(client, mine(late, "Warehouse = 'WH1'"), 1)

    # Pre-sale places: an order that paid its deposit, not one still owing it nor a standard
    # one.
    release = await today(desk.sessions) + timedelta(days=30)
    pre = await presale_product(desk, release, cap=None, deposit_pct="10")
    placed, owing = [(await presale_order(desk, pre)).json()["order_id"] for _ in range(2)]
    order = await desk.status_is(placed, "AWAITING_DEPOSIT")
    await pay(desk, placed, order["deposit"], "deposit")
    await desk.status_is(placed, "QUEUED")
    await desk.status_is(owing, "AWAITING_DEPOSIT")
    await counts(client, mine(placed, PRESALE_PLACES), 1)
    await counts(client, mine(owing, "OrderType = 'presale'"), 1)
    assert await count(client, mine(owing, PRESALE_PLACES)) == 0
    assert await count(client, mine(late, "OrderType = 'standard'")) == 1


async def test_an_order_reads_like_an_order_in_the_ui(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, 1, discount_pct="15")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    handle = desk.env.client.get_workflow_handle(f"order-{order_id}")
    described = await handle.describe()
    summary = await described.static_summary()
    details = await described.static_details()
    assert summary is not None and order_id[:8] in summary and "101.15 EUR" in summary  # 15 % off
    customer_id = (await desk.get(order_id))["customer_id"]
    assert details is not None and f"| customer | {customer_id} |" in details

    async def current_details() -> str | None:
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        shown: str = metadata.current_details
        return shown if "Waiting for approval by sales_supervisor" in shown else None

    current = await eventually(current_details)
    assert current.startswith("**AWAITING_APPROVAL** since ")
    history = await handle.fetch_history()
    summaries = [
        e.user_metadata.summary.data.decode()
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes") and e.HasField("user_metadata")
    ]
    assert any(json.loads(s).startswith("review order") for s in summaries), summaries
    # No personal data: the customer's name, e-mail and phone appear in none of it.
    customer = await desk.ok("admin", "GET", f"/customers/{customer_id}")
    shown = " ".join([summary, details, current, *summaries])
    for private in (customer["name"], customer["email"], customer["phone"]):
        assert private not in shown


@activity.defn(name="flaky_probe")
async def flaky_probe(fail_times: int) -> str:
    if activity.info().attempt <= fail_times:
        raise RuntimeError("the database is away")
    return "done"


@workflow.defn(name="FailingProbe", sandboxed=False)
class FailingProbe:
    """Stands for an order: receives the worker's signals about a failing activity."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []

    @workflow.run
    async def run(self, fail_times: int) -> list[tuple[str, str]]:
        await workflow.execute_activity(
            flaky_probe,
            fail_times,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=50), backoff_coefficient=1
            ),
        )
        await workflow.wait_condition(lambda: ("recovered", "flaky_probe") in self.told)
        return self.told

    @workflow.signal(name="activity_failing")
    def failing(self, name: str) -> None:
        self.told.append(("failing", name))

    @workflow.signal(name="activity_recovered")
    def recovered(self, name: str) -> None:
        self.told.append(("recovered", name))


async def test_an_activity_that_keeps_failing_shows_on_its_order(desk: Desk) -> None:
    client = desk.env.client
    queue = f"probe-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[FailingProbe],
        activities=[flaky_probe],
        interceptors=[ReportFailingActivities()],
    ):
        told: Any = await client.execute_workflow(
            FailingProbe.run,
            FAILING_AFTER_ATTEMPTS + 1,
            id=f"order-probe-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
    # Told once it failed its third attempt (and its fourth), then of its recovery.
    assert tuple(told[0]) == ("failing", "flaky_probe")
    assert tuple(told[-1]) == ("recovered", "flaky_probe")
    # An order told so shows it until it is told of the recovery.
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, 1, discount_pct="15")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    handle = client.get_workflow_handle(f"order-{order_id}")
    await handle.signal("activity_failing", "reserve_stock")
    await counts(client, mine(order_id, "FailingActivity = 'reserve_stock'"), 1)
    await counts(client, mine(order_id, FAILING), 1)
    await handle.signal("activity_recovered", "reserve_stock")
    await counts(client, mine(order_id, FAILING), 0)


async def test_search_attributes_are_registered_on_an_existing_cluster() -> None:
    """`orderflow search-attributes` on a server started without them: all added, once."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli()), data_converter=pydantic_data_converter
    )
    try:
        added = await register(env.client, "default")
        assert added == sorted(indexed_types())
        assert await register(env.client, "default") == []  # safe to run again
    finally:
        await env.shutdown()
