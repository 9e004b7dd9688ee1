"""Fulfilment survives a worker restart, on the real dev server: an order waiting for its
packing is picked up by a fresh worker (its state replayed from history), packed, booked."""

from datetime import datetime
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import issue_token
from db.engine import SessionFactory
from db.invariants import database_now
from stack.seed import SEED_USERS, seed_all
from tests.conftest import fresh_task_queue
from tests.conftest import test_settings as settings_for
from tests.harness import end_orders_since, eventually, new_customer
from tests.invariants import assert_stock_invariants
from worker import build_worker


async def test_a_new_worker_takes_over_an_order_waiting_to_be_packed(
    dev_env: WorkflowEnvironment, sessions: SessionFactory
) -> None:
    settings = settings_for(fresh_task_queue(), warehouse_confirmation="manual")
    await seed_all(sessions, demo=False)
    since: datetime = await database_now(sessions)
    app = create_app(settings, sessions=sessions, temporal=dev_env.client)
    tokens = {u: issue_token(settings.auth, u, r) for u, r in SEED_USERS.items()}

    def auth(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[user]}"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        sku = f"SKU-{fresh_task_queue()[-8:]}"
        product = {"sku": sku, "name": "Restart", "unit_price": "10.00", "weight_kg": "1"}
        assert (await http.post("/products", json=product, headers=auth("admin"))).is_success
        receipt = {"sku": sku, "warehouse": "WH2", "quantity": 3}
        assert (
            await http.post("/inventory/receipts", json=receipt, headers=auth("warehouse"))
        ).is_success
        body = {
            "channel": "web",
            "customer": new_customer(),
            "lines": [{"sku": sku, "quantity": 2}],
            "shipping": {"method": "standard"},
            "payment": {"method": "cod"},
        }
        order_id = (await http.post("/orders", json=body, headers=auth("sales1"))).json()[
            "order_id"
        ]

        async def order_in(status: str) -> Any:
            order = (await http.get(f"/orders/{order_id}", headers=auth("admin"))).json()
            return order if order["status"] == status else None

        try:
            async with build_worker(
                dev_env.client, sessions, settings, settings.temporal.task_queue
            ):
                picking = await eventually(lambda: order_in("PICKING"))
            # The first worker is gone; a fresh one (nothing cached) replays the order.
            async with build_worker(
                dev_env.client, sessions, settings, settings.temporal.task_queue
            ):
                shipment = picking["shipments"][0]
                package = {"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}
                packed = await http.post(
                    f"/shipments/{shipment['id']}/packed",
                    json={"packages": [package]},
                    headers=auth("warehouse"),
                )
                assert packed.status_code == 200, packed.text
                shipped = await eventually(lambda: order_in("SHIPPED"))
                assert shipped["shipments"][0]["tracking_number"]
        finally:
            await app.state.starter.drain()
            await end_orders_since(dev_env, sessions, since)
    await assert_stock_invariants(sessions, since)
