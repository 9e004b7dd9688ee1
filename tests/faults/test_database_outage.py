"""PostgreSQL stopped, or hung (SIGSTOP), for 30 s while orders run: readiness fails meanwhile,
the API answers 503 (never 500) for what needs the database, the activities retry and succeed
once it is back, and nothing is lost or done twice."""

import asyncio
import signal
import time
import uuid

import httpx
import pytest

from bench.books import assert_each_done_once
from bench.cluster import Cluster
from bench.traffic import REALISTIC_MIX, Traffic, kinds
from db.invariants import database_now

# Two outages of 30 s and their drains: over two minutes together, so `make faults`.
pytestmark = [pytest.mark.long, pytest.mark.timeout(360)]
OUTAGE = 30.0


async def keep_advancing(traffic: Traffic) -> None:
    while True:
        await traffic.advance_all()
        await asyncio.sleep(0.5)


@pytest.mark.parametrize("fault", ["stopped", "hung"])
async def test_orders_survive_a_database_outage(cluster: Cluster, fault: str) -> None:
    since = await database_now(cluster.sessions)
    async with httpx.AsyncClient(base_url=cluster.api_url, timeout=60) as http:
        traffic = Traffic(http, cluster.tokens())
        await traffic.prepare(skus=2, stock=5000, customers=6)
        mix = kinds({k: v for k, v in REALISTIC_MIX.items() if k != "shortage"})
        for n in range(24):
            await traffic.place(next(mix), n)
        mover = asyncio.create_task(keep_advancing(traffic))
        await asyncio.sleep(2)  # orders in every stage of their way
        some_order = next(iter(traffic.orders))
        if fault == "stopped":
            await cluster.stop_postgres()
        else:
            cluster.signal_postgres(signal.SIGSTOP)
        answers: list[tuple[str, int]] = []
        try:
            deadline = time.monotonic() + OUTAGE
            while time.monotonic() < deadline:
                started = time.monotonic()
                ready = await http.get("/readyz")
                assert time.monotonic() - started < 2.5, "readiness must not hang"
                answers.append(("readyz", ready.status_code))
                read = await traffic.call("admin", "GET", f"/orders/{some_order}")
                answers.append(("read", read.status_code))
                body = traffic.body("cod", 0)
                key = {"Idempotency-Key": f"outage-{uuid.uuid4().hex}"}
                taken = await traffic.call("shop", "POST", "/orders", json=body, headers=key)
                answers.append(("intake", taken.status_code))
                await asyncio.sleep(1)
        finally:
            if fault == "stopped":
                await cluster.start_postgres()
            else:
                cluster.signal_postgres(signal.SIGCONT)
        assert {code for _, code in answers} == {503}, answers
        await cluster.wait_ready()
        mover.cancel()
        await traffic.until_all_ended(timeout=180)
    statuses = {p.status for p in traffic.orders.values()}
    assert statuses == {"COMPLETED"}, statuses
    await assert_each_done_once(cluster, list(traffic.orders), since)
