"""An order desk for tests: the real API (in process), a real worker, helpers to make data."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import delete, func, select
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Interceptor

from api.app import create_app
from api.auth import issue_token
from bench.traffic import customer_body
from config import Settings
from db.engine import SessionFactory
from db.invariants import database_now
from db.models import Order, PriceList, PriceListEntry, PromotionRow
from db.policies import current_policy, save_policy
from domain.policy import DEFAULT_POLICY
from stack.seed import SEED_USERS, seed_all
from tests.conftest import fresh_task_queue, test_settings
from tests.invariants import assert_invariants
from worker import build_worker
from workflows.host import workflow_id


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 30.0, interval: float = 0.05
) -> Any:
    """Poll until check() returns something truthy (and does not raise)."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while True:
        try:
            last = await check()
            if last:
                return last
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
        await asyncio.sleep(interval)


@dataclass
class Desk:
    env: WorkflowEnvironment
    http: httpx.AsyncClient
    settings: Settings
    sessions: SessionFactory
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def call(self, user: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.auth(user), **kwargs.pop("headers", {})}
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def ok(self, user: str, method: str, url: str, **kwargs: Any) -> Any:
        response = await self.call(user, method, url, **kwargs)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()

    async def product(
        self,
        price: str = "100.00",
        stock: int = 10,
        weight: str = "1.0",
        tax_class: str = "standard",
    ) -> str:
        sku = f"SKU-{uuid.uuid4().hex[:10]}"
        product = {"sku": sku, "name": "Test item", "unit_price": price, "weight_kg": weight}
        await self.ok("admin", "POST", "/products", json={**product, "tax_class": tax_class})
        if stock:
            await self.receive(sku, stock)
        return sku

    async def receive(self, sku: str, quantity: int, warehouse: str = "WH1") -> Any:
        return await self.ok(
            "warehouse",
            "POST",
            "/inventory/receipts",
            json={"sku": sku, "warehouse": warehouse, "quantity": quantity},
        )

    async def customer(self, credit_limit: str = "50000", tier: str = "standard") -> str:
        """A customer of sales1 (who owns it), with credit terms set by finance."""
        body = await self.ok("sales1", "POST", "/customers", json=new_customer(tier=tier))
        await self.ok(
            "finance",
            "PUT",
            f"/customers/{body['id']}/credit",
            json={"credit_limit": credit_limit},
        )
        return str(body["id"])

    async def order(
        self,
        sku: str,
        quantity: int = 1,
        payment: str = "prepaid",
        user: str = "shop",
        customer_id: str | None = None,
        **line: Any,
    ) -> str:
        customer_id = customer_id or await self.customer()
        body = await self.ok(
            user, "POST", "/orders", json=order_body(customer_id, sku, quantity, payment, **line)
        )
        return str(body["order_id"])

    async def get(self, order_id: str) -> Any:
        return await self.ok("admin", "GET", f"/orders/{order_id}")

    async def status_is(self, order_id: str, status: str, timeout: float = 30.0) -> Any:
        async def check() -> Any:
            order = await self.get(order_id)
            return order if order["status"] == status else None

        return await eventually(check, timeout=timeout)

    def handle(self, order_id: str) -> WorkflowHandle[Any, Any]:
        return self.env.client.get_workflow_handle(workflow_id(order_id))

    async def history(self, order_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.ok("admin", "GET", f"/orders/{order_id}/history")
        return result

    async def available(self, sku: str) -> int:
        return int((await self.ok("admin", "GET", f"/inventory/{sku}"))["available"])


def new_customer(credit_limit: str | None = None, tier: str = "standard") -> dict[str, Any]:
    """A new customer's body; a credit limit only when given (finance and admin set one)."""
    limit = {} if credit_limit is None else {"credit_limit": credit_limit}
    # Messages in English (a German customer's default is German: tests of it say so).
    body = customer_body(0)
    return {
        **body,
        "name": "Test Kunde GmbH",
        "email": "buyer@kunde.example",
        "tier": tier,
        **limit,
    }


def order_body(
    customer_id: str, sku: str, quantity: int = 1, payment: str = "prepaid", **line: Any
) -> dict[str, Any]:
    return {
        "channel": "web",
        "customer": {"id": customer_id},
        "lines": [{"sku": sku, "quantity": quantity, **line}],
        "shipping": {"method": "standard"},
        "payment": {"method": payment},
    }


@asynccontextmanager
async def open_desk(
    env: WorkflowEnvironment,
    sessions: SessionFactory,
    client: Client | None = None,
    tracing: TracerProvider | None = None,
    interceptors: Sequence[Interceptor] = (),
    **process: Any,
) -> AsyncIterator[Desk]:
    """A worker on a fresh task queue and an API client bound to the same client and database
    (the environment's client unless given one: a traced one, say); `interceptors` join the
    worker's own."""
    client = client or env.client
    settings = test_settings(fresh_task_queue(), **process)
    await seed_all(sessions, demo=False)
    async with sessions.begin() as session:
        # Tests expect the default policy; the fuzz test may have saved any valid one.
        if (await current_policy(session))[1] != DEFAULT_POLICY:
            await save_policy(session, DEFAULT_POLICY, "tests", "back to the default")
        # Nor any price rule but their own (the fuzz test may have made a promotion for all).
        await session.execute(delete(PriceListEntry))
        await session.execute(delete(PriceList))
        await session.execute(delete(PromotionRow))
    app = create_app(settings, sessions=sessions, temporal=client, tracing=tracing)
    worker = build_worker(
        client, sessions, settings, settings.temporal.task_queue, interceptors=interceptors
    )
    transport = httpx.ASGITransport(app=app)
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        desk = Desk(env=env, http=http, settings=settings, sessions=sessions, app=app)
        desk.tokens = {u: issue_token(settings.auth, u, r) for u, r in SEED_USERS.items()}
        async with sessions() as session:
            started_at = await session.scalar(select(func.now()))
        try:
            yield desk
        finally:
            # The API answered before starting workflows: let those starts finish while the
            # Temporal server and the worker are still up.
            await app.state.starter.drain()
            await end_orders_since(env, sessions, started_at)


@asynccontextmanager
async def checked_desk(
    env: WorkflowEnvironment, sessions: SessionFactory, **process: Any
) -> AsyncIterator[Desk]:
    """A desk whose stock and money invariants (db/invariants.py, what `orderflow check`
    runs) are checked once the story ends."""
    since = await database_now(sessions)
    async with open_desk(env, sessions, **process) as desk:
        yield desk
        await assert_invariants(sessions, since)


async def end_orders_since(env: WorkflowEnvironment, sessions: SessionFactory, since: Any) -> None:
    """Terminate the workflows a test left running: on the time-skipping server a waiting
    workflow whose worker is gone would hold back every later test's skip in time."""
    async with sessions() as session:
        order_ids = list(await session.scalars(select(Order.id).where(Order.created_at >= since)))
    for order_id in order_ids:
        with contextlib.suppress(RPCError):
            await env.client.get_workflow_handle(workflow_id(order_id)).terminate("test finished")
