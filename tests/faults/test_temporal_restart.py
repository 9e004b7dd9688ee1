"""The Temporal server stopped with orders in every stage, and started again on its database:
nothing is lost, orders taken while it was down get their workflows, waiting orders still
wait (for an approver, for stock, for a payment), and their timers still fire."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bench.books import assert_each_done_once
from bench.cluster import FLOWING, Cluster
from bench.traffic import Placed, Traffic
from db.invariants import database_now

pytestmark = pytest.mark.timeout(300)
# An unpaid prepaid order is cancelled after this long: the timer runs across the outage.
PAYMENT_WAIT = 45


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    env = {**FLOWING, "ORDERFLOW_PAYMENT_WAIT": f"PT{PAYMENT_WAIT}S"}
    cluster = Cluster(tmp_path, env=env)
    try:
        await cluster.start()
        yield cluster
    finally:
        await cluster.stop()


async def statuses(traffic: Traffic, placed: list[Placed]) -> set[str]:
    await asyncio.gather(*(traffic.advance(p) for p in placed))
    return {p.status for p in placed}


async def eventually_all(traffic: Traffic, placed: list[Placed], status: str) -> None:
    for _ in range(240):
        if await statuses(traffic, placed) == {status}:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"not all {status}: {[(p.order_id, p.status) for p in placed]}")


async def test_orders_in_every_stage_survive_a_temporal_restart(cluster: Cluster) -> None:
    since = await database_now(cluster.sessions)
    async with httpx.AsyncClient(base_url=cluster.api_url, timeout=30) as http:
        traffic = Traffic(http, cluster.tokens(), approval_delay=1e9)
        await traffic.prepare(skus=2, stock=200, customers=6)
        n = iter(range(1000))

        async def place(kind: str, count: int) -> list[Placed]:
            return [await traffic.place(kind, next(n)) for _ in range(count)]

        approvals = await place("one_approval", 3)
        expiring = await place("prepaid", 2)
        traffic.hold.update(p.order_id for p in expiring)
        short = await place("shortage", 2)
        traffic.hold.update(p.order_id for p in short)
        waiting = approvals + expiring + short
        await eventually_all(traffic, approvals, "AWAITING_APPROVAL")
        await eventually_all(traffic, expiring, "AWAITING_PAYMENT")
        await eventually_all(traffic, short, "AWAITING_STOCK")
        # Orders in motion (reserved, picking, booked, with the carrier) when it stops.
        moving = await place("cod", 8) + await place("prepaid", 3) + await place("credit", 3)
        for _ in range(6):
            await traffic.advance_all()
            await asyncio.sleep(0.5)

        cluster.stop_temporal()
        assert (await http.get("/readyz")).status_code == 503
        # Taken while Temporal is down: recorded, started by the sweeper once it is back.
        taken_down = await place("cod", 2)
        await asyncio.sleep(10)
        await cluster.start_temporal()
        await cluster.wait_ready()

        # Waiting orders still wait: nothing decided, paid or received meanwhile.
        await asyncio.sleep(3)
        assert await statuses(traffic, approvals) == {"AWAITING_APPROVAL"}
        assert await statuses(traffic, short) == {"AWAITING_STOCK"}
        assert await statuses(traffic, expiring) == {"AWAITING_PAYMENT"}

        # People act again; the unpaid ones are left to their payment timer.
        traffic.approval_delay = 0
        traffic.hold.difference_update(p.order_id for p in short)
        rest = approvals + short + moving + taken_down
        await eventually_all(traffic, rest, "COMPLETED")
        await eventually_all(traffic, expiring, "CANCELLED")
    assert len(traffic.orders) == len(waiting) + len(moving) + len(taken_down)
    await assert_each_done_once(cluster, [p.order_id for p in rest], since)
