"""kill -9 of the worker, three times, in the middle of 100 orders of the realistic mix: a
fresh worker takes over each time; every order completes, nothing is reserved, shipped,
invoiced or charged twice, and stock adds up."""

import asyncio
import itertools

import pytest

from bench.books import assert_each_done_once
from bench.cluster import Cluster
from bench.traffic import REALISTIC_MIX, Traffic, kinds
from db.invariants import database_now

ORDERS = 100
pytestmark = pytest.mark.timeout(300)


async def test_orders_survive_three_kills_of_the_worker(cluster: Cluster, traffic: Traffic) -> None:
    since = await database_now(cluster.sessions)
    mix = kinds(REALISTIC_MIX)
    gate = asyncio.Semaphore(10)

    async def place(n: int) -> None:
        async with gate:
            await traffic.place(next(mix), n)

    async def kill_three_times() -> None:
        for _ in range(3):
            # Wait until orders are in every stage, then kill mid-flight.
            await asyncio.sleep(4)
            (worker,) = cluster.workers
            cluster.kill_worker(worker)
            await asyncio.sleep(1)
            cluster.start_worker()

    killer = asyncio.create_task(kill_three_times())
    placing = asyncio.gather(*(place(n) for n in range(ORDERS)))
    moving = asyncio.create_task(_keep_advancing(traffic, placing))
    await placing
    await killer
    await moving
    # Each kill lost the activities in flight; they run again after their timeout (30 s).
    await traffic.until_all_ended(timeout=180)
    statuses = {p.order_id: p.status for p in traffic.orders.values()}
    assert len(statuses) == ORDERS
    assert set(statuses.values()) == {"COMPLETED"}, statuses
    await assert_each_done_once(cluster, list(statuses), since)


async def _keep_advancing(traffic: Traffic, placing: "asyncio.Future[list[None]]") -> None:
    for _ in itertools.count():
        await traffic.advance_all()
        if placing.done():
            return
        await asyncio.sleep(0.5)
