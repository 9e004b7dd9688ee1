"""A parcel in trouble, on the time-skipping server with real activities: the carrier's
exception scan stops the order for customer service, who reships it from stock or refunds it;
a parcel not delivered within the shipping method's promise flags the order late. After each
story, the stock invariants hold."""

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk, new_customer
from tests.workflows.test_paths import status_path


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def shipped(desk: Desk, payment: str, stock: int = 5, quantity: int = 2) -> tuple[str, str]:
    sku = await desk.product(price="50.00", stock=0)
    await desk.receive(sku, stock, "WH2")
    body = {
        "channel": "web",
        "customer": new_customer(),
        "lines": [{"sku": sku, "quantity": quantity}],
        "shipping": {"method": "standard"},
        "payment": {"method": payment},
    }
    order_id = str((await desk.ok("sales1", "POST", "/orders", json=body))["order_id"])
    if payment == "prepaid":
        await desk.status_is(order_id, "AWAITING_PAYMENT")
        total = (await desk.get(order_id))["totals"]["total"]
        await desk.ok(
            "finance",
            "POST",
            f"/orders/{order_id}/payments",
            json={"reference": f"psp-{order_id}", "amount": total, "method": "card"},
        )
    await desk.status_is(order_id, "SHIPPED")
    return order_id, sku


async def scan(desk: Desk, order_id: str, tracking: str, event: str, detail: str = "") -> Any:
    return await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": event, "tracking_number": tracking, "detail": detail},
    )


async def test_a_lost_parcel_is_reshipped_from_stock(desk: Desk) -> None:
    order_id, sku = await shipped(desk, "cod")
    lost = (await desk.get(order_id))["shipments"][0]["tracking_number"]
    await scan(desk, order_id, lost, "exception", "parcel damaged in depot")
    await desk.status_is(order_id, "SHIPMENT_EXCEPTION")
    queue = await desk.ok("service", "GET", "/shipment-exceptions")
    mine = [x for x in queue if x["order_id"] == order_id]
    assert [(x["tracking_number"], x["detail"]) for x in mine] == [
        (lost, "parcel damaged in depot")
    ]
    assert (await desk.call("warehouse", "GET", "/shipment-exceptions")).status_code == 403
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/shipment-exception",
        json={"action": "reship", "comment": "customer still wants it"},
    )
    order = await desk.status_is(order_id, "SHIPPED")
    by_tracking = {s["tracking_number"]: s for s in order["shipments"]}
    assert by_tracking[lost]["status"] == "lost"
    (fresh,) = [t for t in by_tracking if t != lost]
    # The goods went out twice: the stock shows it.
    inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
    assert (inventory["on_hand"], inventory["reserved"]) == (1, 0)
    refused = await desk.call(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "delivered", "tracking_number": lost},
    )
    assert refused.status_code == 409
    await scan(desk, order_id, fresh, "delivered")
    done = await desk.status_is(order_id, "COMPLETED")
    assert Decimal(done["paid_total"]) == Decimal(done["totals"]["total"])
    path = status_path(await desk.history(order_id))
    assert path[path.index("SHIPMENT_EXCEPTION") :] == [
        "SHIPMENT_EXCEPTION",
        "PICKING",
        "SHIPPED",
        "DELIVERED",
        "COMPLETED",
    ]


async def test_refunding_the_only_parcel_cancels_the_order_and_returns_the_money(
    desk: Desk,
) -> None:
    order_id, _ = await shipped(desk, "prepaid")
    tracking = (await desk.get(order_id))["shipments"][0]["tracking_number"]
    await scan(desk, order_id, tracking, "exception", "lost by carrier")
    await desk.status_is(order_id, "SHIPMENT_EXCEPTION")
    # Only customer service (or admin) decides.
    denied = await desk.call(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-exception",
        json={"action": "refund", "comment": "x"},
    )
    assert denied.status_code == 403
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/shipment-exception",
        json={"action": "refund", "comment": "customer wants the money back"},
    )
    order = await desk.status_is(order_id, "CANCELLED")
    assert Decimal(order["paid_total"]) == Decimal("0")
    refunds = [p for p in order["payments"] if Decimal(p["amount"]) < 0]
    assert sum(Decimal(p["amount"]) for p in refunds) == -Decimal(order["totals"]["total"])
    assert order["shipments"][0]["status"] == "refunded"
    again = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/shipment-exception",
        json={"action": "refund", "comment": "twice"},
    )
    assert again.status_code == 409


async def test_an_undelivered_parcel_flags_the_order_late(desk: Desk) -> None:
    order_id, _ = await shipped(desk, "cod")
    assert (await desk.get(order_id))["late"] is False
    await desk.env.sleep(timedelta(days=6))  # standard shipping promises 5 days
    order = await desk.status_is(order_id, "SHIPPED")
    for _ in range(50):
        order = await desk.get(order_id)
        if order["late"]:
            break
        await desk.env.sleep(timedelta(hours=1))
    assert order["late"] is True
    told = await desk.ok("admin", "GET", f"/notifications?order_id={order_id}")
    assert [n["recipient"] for n in told if n["kind"] == "late"] == ["service"]
    kpis = await desk.ok("manager", "GET", "/kpis/fulfilment")
    assert kpis["late_orders"] >= 1
    await scan(desk, order_id, order["shipments"][0]["tracking_number"], "delivered")
    await desk.status_is(order_id, "COMPLETED")


async def test_refunding_one_parcel_of_a_split_order_credits_its_value(desk: Desk) -> None:
    only_wh1 = await desk.product(price="30.00", stock=0)
    await desk.receive(only_wh1, 2, "WH1")
    only_wh2 = await desk.product(price="20.00", stock=0)
    await desk.receive(only_wh2, 2, "WH2")
    body = {
        "channel": "web",
        "customer": new_customer(),
        "lines": [{"sku": only_wh1, "quantity": 1}, {"sku": only_wh2, "quantity": 1}],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
    }
    order_id = str((await desk.ok("sales1", "POST", "/orders", json=body))["order_id"])
    order = await desk.status_is(order_id, "SHIPPED")
    parcel = {s["warehouse"]: s["tracking_number"] for s in order["shipments"]}
    await scan(desk, order_id, parcel["WH1"], "delivered")
    await scan(desk, order_id, parcel["WH2"], "exception", "crushed")
    await desk.status_is(order_id, "SHIPMENT_EXCEPTION")
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/shipment-exception",
        json={"action": "refund", "comment": "customer keeps the rest"},
    )
    # The other parcel was delivered: the order completes, cash on delivery less the credit.
    done = await desk.status_is(order_id, "COMPLETED")
    total = Decimal(done["totals"]["total"])  # 50.00 + 19 % tax
    [note] = done["credit_notes"]
    assert (note["reason"], Decimal(note["total"])) == ("cancellation", Decimal("23.80"))
    lost = next(i for i in done["invoices"] if i["number"] == note["invoice_number"])
    assert lost["status"] == "credited"  # 20.00 + tax: the lost parcel's invoice
    cod = [p for p in done["payments"] if p["method"] == "cod"]
    assert [Decimal(p["amount"]) for p in cod] == [total - Decimal("23.80")]
    assert Decimal(done["paid_total"]) == total - Decimal("23.80")
    assert {i["status"] for i in done["invoices"]} == {"paid", "credited"}
