"""A crash inside each activity that moves money or stock, after its transaction committed and
before it reported: the worker dies (tests/faults/crashing_worker.py), a new one starts, and
Temporal's retry of the activity finds its own work and repeats nothing.

Orders are first brought to where each action applies with nothing armed; then every
money- and stock-moving activity is armed at once and the actions run together: a new order
(reserve, book with its invoice, the carrier's delivery with the cash collected), a payment, a
cancellation of a paid order (stock released, money refunded), a goodwill refund, a return
(received into stock, refunded) and a change of quantity (one more unit reserved).
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bench.cluster import FLOWING, Cluster
from bench.traffic import Traffic
from db.invariants import database_now
from db.models import Payment, Reservation, Shipment
from db.stock import RELEASED, SHIPPED
from stack.check import check

ARMED = [
    "reserve_stock",
    "book_shipment",
    "record_shipment_event",
    "record_payment",
    "compensate",
    "refund_order",
    "receive_return",
    "refund_return",
    "apply_change",
]
# Three retries after 30 s each in a row (reserve, book, the delivery): `make faults`.
pytestmark = [pytest.mark.long, pytest.mark.timeout(480)]


@pytest.fixture
async def crashing(tmp_path: Path) -> AsyncIterator[tuple[Cluster, Path]]:
    arms = tmp_path / "arms"
    arms.mkdir()
    # Packing takes a while: a paid order can still be cancelled while it is picked.
    env = {**FLOWING, "ORDERFLOW_AUTO_PACK_SECONDS": "6", "CRASH_DIR": str(arms)}
    cluster = Cluster(tmp_path / "stack", env=env, worker_module="tests.faults.crashing_worker")
    try:
        await cluster.start()
        yield cluster, arms
    finally:
        await cluster.stop()


async def restart_dead_workers(cluster: Cluster) -> None:
    """The supervisor (systemd, Kubernetes): a worker that died is started again."""
    while True:
        for child in list(cluster.workers):
            if not child.running():
                cluster.workers.remove(child)
                cluster.start_worker()
        await asyncio.sleep(0.2)


async def until(traffic: Traffic, order_id: str, *statuses: str, timeout: float = 150) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        order = await traffic.ok("admin", "GET", f"/orders/{order_id}")
        if order["status"] in statuses:
            return order
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{order_id} is {order['status']}, not {statuses}")
        await asyncio.sleep(0.5)


async def settle(traffic: Traffic, method: str, url: str, user: str, body: Any) -> Any:
    """Sends until answered (a dying worker can make the API answer 503 meanwhile); every
    call here is idempotent by its reference or by the order's state."""
    for _ in range(120):
        try:
            response = await traffic.call(user, method, url, json=body)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code < 500:
            assert response.status_code < 300, (url, response.status_code, response.text)
            return response.json()
        await asyncio.sleep(1)
    raise AssertionError(f"{url} never answered")


async def pay(traffic: Traffic, order_id: str, reference: str) -> None:
    order = await traffic.ok("admin", "GET", f"/orders/{order_id}")
    body = {"reference": reference, "amount": order["totals"]["total"], "method": "card"}
    await settle(traffic, "POST", f"/orders/{order_id}/payments", "finance", body)


async def test_a_crash_after_each_commit_repeats_nothing(
    crashing: tuple[Cluster, Path],
) -> None:
    cluster, arms = crashing
    supervisor = asyncio.create_task(restart_dead_workers(cluster))
    async with httpx.AsyncClient(base_url=cluster.api_url, timeout=60) as http:
        traffic = Traffic(http, cluster.tokens())
        try:
            await _story(cluster, arms, traffic)
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor


async def _story(cluster: Cluster, arms: Path, traffic: Traffic) -> None:
    since = await database_now(cluster.sessions)
    await traffic.prepare(skus=1, stock=20, customers=2)
    (sku,) = traffic.skus

    async def placed(kind: str) -> str:
        return (await traffic.place(kind, 0)).order_id

    # Where each action applies, with nothing armed.
    returned, refunded = await placed("cod"), await placed("prepaid")
    to_pay, to_cancel, to_change = (
        await placed("prepaid"),
        await placed("prepaid"),
        await placed("prepaid"),
    )
    await until(traffic, returned, "COMPLETED")
    await until(traffic, refunded, "AWAITING_PAYMENT")
    await pay(traffic, refunded, f"pay-{refunded}")
    await until(traffic, refunded, "COMPLETED")
    for order_id in (to_pay, to_change, to_cancel):
        await until(traffic, order_id, "AWAITING_PAYMENT")
    await pay(traffic, to_cancel, f"pay-{to_cancel}")
    await until(traffic, to_cancel, "PICKING")

    # Every money- and stock-moving activity armed; the actions run together.
    for kind in ARMED:
        (arms / f"arm-{kind}").touch()
    rma_of_return: list[str] = []

    async def return_goods() -> None:
        body = {
            "lines": [{"sku": sku, "quantity": 1}],
            "reason_code": "damaged",
            "resolution": "refund",
        }
        ret = await settle(traffic, "POST", f"/orders/{returned}/returns", "service", body)
        rma_of_return.append(ret["rma"])
        received = {"warehouse": "WH1", "lines": [{"sku": sku, "quantity": 1,
                                                   "condition": "sellable"}]}  # fmt: skip
        await settle(traffic, "POST", f"/returns/{ret['rma']}/receive", "warehouse", received)

    async def change_then_pay() -> None:
        body = {"lines": [{"sku": sku, "quantity": 2}], "reason": "customer wants two"}
        await settle(traffic, "POST", f"/orders/{to_change}/changes", "service", body)
        await until(traffic, to_change, "AWAITING_PAYMENT")
        await pay(traffic, to_change, f"pay-{to_change}")

    new_order: list[str] = []

    async def place_new() -> None:
        new_order.append(await placed("cod"))

    refund = {"amount": "5.00", "reason": "goodwill: late", "reference": f"gw-{refunded}"}
    cancel = {"reason_code": "customer_request"}
    await asyncio.gather(
        place_new(),
        pay(traffic, to_pay, f"pay-{to_pay}"),
        settle(traffic, "POST", f"/orders/{to_cancel}/cancel", "service", cancel),
        settle(traffic, "POST", f"/orders/{refunded}/refunds", "finance", refund),
        return_goods(),
        change_then_pay(),
    )
    for order_id in (*new_order, to_pay, to_change):
        await until(traffic, order_id, "COMPLETED", timeout=240)
    await until(traffic, to_cancel, "CANCELLED")
    (rma,) = rma_of_return

    async def refunded_return() -> bool:
        ret = await traffic.ok("admin", "GET", f"/returns/{rma}")
        return bool(ret["status"] == "refunded")

    for _ in range(240):
        if await refunded_return():
            break
        await asyncio.sleep(0.5)
    assert await refunded_return()

    # Every armed activity did crash once after its commit.
    fired = sorted(os.listdir(arms))
    assert fired == sorted(f"fired-{k}" for k in ARMED)
    await _nothing_twice(cluster, traffic, since, sku, returned, refunded, to_cancel, to_change)


async def _nothing_twice(
    cluster: Cluster,
    traffic: Traffic,
    since: Any,
    sku: str,
    returned: str,
    refunded: str,
    to_cancel: str,
    to_change: str,
) -> None:
    async with cluster.sessions() as session:

        async def money(order_id: str, kind: str) -> list[Decimal]:
            return list(
                await session.scalars(
                    select(Payment.amount).where(Payment.order_id == order_id, Payment.kind == kind)
                )
            )

        for order_id in traffic.orders:
            # One charge per order (cash collected once, a card payment booked once).
            assert len(await money(order_id, "payment")) == 1, order_id
            # One parcel booked per order (the cancelled one's pick list never was).
            parcels = await session.scalar(
                select(func.count())
                .select_from(Shipment)
                .where(Shipment.order_id == order_id, Shipment.tracking_number.is_not(None))
            )
            assert parcels == (0 if order_id == to_cancel else 1), order_id
        total_of = {
            o: Decimal((await traffic.ok("admin", "GET", f"/orders/{o}"))["totals"]["total"])
            for o in (to_cancel, to_change)
        }
        assert await money(to_cancel, "refund") == [-total_of[to_cancel]]
        assert await money(refunded, "refund") == [Decimal("-5.00")]
        assert len(await money(returned, "refund")) == 1
        released = await session.scalar(
            select(func.sum(Reservation.quantity)).where(
                Reservation.order_id == to_cancel, Reservation.status == RELEASED
            )
        )
        assert released == 1
        shipped = await session.scalar(
            select(func.sum(Reservation.quantity)).where(
                Reservation.order_id == to_change, Reservation.status == SHIPPED
            )
        )
        assert shipped == 2
    # Stock adds up: 20 in, one back from the return; out: what was shipped.
    inventory = await traffic.ok("admin", "GET", f"/inventory/{sku}")
    delivered = sum(
        1 if o != to_change else 2 for o in traffic.orders if o != to_cancel
    )  # one unit each
    assert inventory["on_hand"] == 20 - delivered + 1
    assert inventory["reserved"] == 0
    found = await check(await cluster.client(), cluster.sessions, cluster.settings, since)
    assert not found, "\n".join(map(str, found))
