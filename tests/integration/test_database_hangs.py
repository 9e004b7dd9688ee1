"""PostgreSQL hung (SIGSTOP) and back (SIGCONT): readiness says 503 within two seconds, the API
answers 503 instead of hanging or 500, and nothing is lost or doubled once it answers again."""

import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from config import DatabaseSettings
from db.engine import SessionFactory, engine_from_settings, make_sessions
from db.migrate import upgrade_head_async
from db.models import Order
from stack.postgres import (
    admin_url,
    database_url,
    ensure_database,
    server_processes,
    start_embedded,
)
from tests.harness import Desk, eventually, open_desk, order_body


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[Any]:
    """A server of this test's own: stopping it must not stall the rest of the suite."""
    server = start_embedded(tmp_path / "pg")
    yield server
    server.cleanup()


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            continue


@pytest.fixture
async def desk(
    time_env: WorkflowEnvironment, own_postgres: Any, tmp_path: Path
) -> AsyncIterator[Desk]:
    await ensure_database(admin_url(own_postgres), "orderflow")
    url = database_url(own_postgres, "orderflow")
    await upgrade_head_async(url)
    timeouts = DatabaseSettings(command_timeout=2, connect_timeout=2, pool_timeout=2)
    engine = engine_from_settings(url, timeouts)
    sessions: SessionFactory = make_sessions(engine)
    try:
        async with open_desk(time_env, sessions) as desk:
            yield desk
    finally:
        await engine.dispose()


async def test_a_hung_database_answers_503_and_loses_nothing(desk: Desk, tmp_path: Path) -> None:
    sku = await desk.product(price="10.00", stock=5)
    customer = await desk.customer()
    before = await desk.order(sku, payment="prepaid", customer_id=customer)
    await desk.status_is(before, "AWAITING_PAYMENT")
    pids = server_processes(tmp_path / "pg")
    signal_all(pids, signal.SIGSTOP)
    try:
        started = time.monotonic()
        ready = await desk.http.get("/readyz")
        assert ready.status_code == 503
        assert time.monotonic() - started < 2.0
        read = await desk.call("admin", "GET", f"/orders/{before}")
        assert read.status_code == 503, read.text
        key = {"Idempotency-Key": f"hung-{customer}"}
        body = order_body(customer, sku, 1, "cod")
        taken = await desk.call("shop", "POST", "/orders", json=body, headers=key)
        assert taken.status_code == 503, taken.text
    finally:
        signal_all(pids, signal.SIGCONT)

    async def ready_again() -> bool:
        return (await desk.http.get("/readyz")).status_code == 200

    await eventually(ready_again, timeout=30)
    # The order from before the outage carries on; the one refused is taken once on retry.
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{before}/payments",
        json={"reference": f"after-{before}", "amount": "11.90", "method": "card"},
    )
    await desk.status_is(before, "SHIPPED")
    retried = await desk.call("shop", "POST", "/orders", json=body, headers=key)
    assert retried.status_code == 201, retried.text
    again = await desk.call("shop", "POST", "/orders", json=body, headers=key)
    assert (again.status_code, again.json()["order_id"]) == (200, retried.json()["order_id"])
    async with desk.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Order).where(Order.customer_id == customer)
        )
    assert count == 2
