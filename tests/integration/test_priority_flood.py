"""Priority under load, on the real dev server: a backlog of normal orders does not hold back
urgent ones (task priority on the workflow start, inherited by its activities)."""

import asyncio
import statistics
from datetime import datetime

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from api.auth import issue_token
from db.engine import SessionFactory
from db.invariants import database_now
from db.models import OrderHistory
from stack.seed import SEED_USERS, seed_all
from tests.conftest import fresh_task_queue
from tests.conftest import test_settings as settings_for
from tests.harness import end_orders_since, new_customer
from tests.invariants import assert_stock_invariants
from worker import activity_functions
from workflows.order import OrderWorkflow

NORMAL, URGENT = 40, 5


async def test_urgent_orders_overtake_a_backlog_of_normal_ones(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    settings = settings_for(fresh_task_queue())
    await seed_all(sessions, demo=False)
    app = create_app(settings, sessions=sessions, temporal=dev_env.client)
    tokens = {u: issue_token(settings.auth, u, r) for u, r in SEED_USERS.items()}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        since = await database_now(sessions)
        admin = {"Authorization": f"Bearer {tokens['admin']}"}
        sales = {"Authorization": f"Bearer {tokens['sales1']}"}
        sku = f"FLOOD-{fresh_task_queue()[-8:]}"
        product = {"sku": sku, "name": "Flood", "unit_price": "10.00", "weight_kg": "1"}
        assert (await http.post("/products", json=product, headers=admin)).status_code == 201
        receipt = {"sku": sku, "warehouse": "WH1", "quantity": NORMAL + URGENT}
        warehouse = {"Authorization": f"Bearer {tokens['warehouse']}"}
        assert (
            await http.post("/inventory/receipts", json=receipt, headers=warehouse)
        ).status_code == 201

        async def place(method: str) -> str:
            body = {
                "channel": "web",
                "customer": new_customer(),
                "lines": [{"sku": sku, "quantity": 1}],
                "shipping": {"method": method},
                "payment": {"method": "cod"},
            }
            answer = await http.post("/orders", json=body, headers=sales)
            assert answer.status_code == 201, answer.text
            return str(answer.json()["order_id"])

        # The backlog builds with no worker running: normal orders first, urgent ones last.
        normal = [await place("standard") for _ in range(NORMAL)]
        urgent = [await place("express") for _ in range(URGENT)]
        await app.state.starter.drain()

        # One small worker works the backlog off.
        worker = Worker(
            dev_env.client,
            task_queue=settings.temporal.task_queue,
            workflows=[OrderWorkflow],
            activities=activity_functions(sessions, settings),
            max_concurrent_workflow_tasks=2,
            max_concurrent_activities=2,
        )
        try:
            async with worker:
                reached = await _times_reaching(sessions, normal + urgent, "PICKING")
        finally:
            await end_orders_since(dev_env, sessions, since)

    await assert_stock_invariants(sessions, since)
    ranking = sorted(reached, key=reached.__getitem__)
    urgent_ranks = [ranking.index(o) for o in urgent]
    normal_ranks = [ranking.index(o) for o in normal]
    # Placed last, the urgent orders are served well ahead of the normal backlog.
    assert statistics.median(urgent_ranks) < statistics.median(normal_ranks) / 2, urgent_ranks
    assert max(urgent_ranks) < NORMAL, urgent_ranks


async def _times_reaching(
    sessions: SessionFactory, order_ids: list[str], status: str
) -> dict[str, datetime]:
    """When each order reached the status (waits until all have)."""
    for _ in range(600):
        async with sessions() as session:
            rows = await session.execute(
                select(OrderHistory.order_id, OrderHistory.at).where(
                    OrderHistory.order_id.in_(order_ids), OrderHistory.to_status == status
                )
            )
            reached = {order_id: at for order_id, at in rows}
        if len(reached) == len(order_ids):
            return reached
        await asyncio.sleep(0.25)
    raise AssertionError(f"only {len(reached)} of {len(order_ids)} reached {status}")
