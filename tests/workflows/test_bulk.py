"""Bulk orders end to end on the time-skipping server: a business customer's order in two
deliveries a month apart, each reserved three days before its date, shipped on it as a
shipment of its own and invoiced on its own; the order completes once both invoices are
paid. Intake refuses a schedule that does not carry the order, naming the field."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk, new_customer
from tests.workflows.test_presale import refused_for, today

D = Decimal


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def business(desk: Desk) -> str:
    body = {**new_customer(), "vat_id": "DE136695976"}
    created = await desk.ok("sales1", "POST", "/customers", json=body)
    await desk.ok(
        "finance", "PUT", f"/customers/{created['id']}/credit", json={"credit_limit": "50000"}
    )
    return str(created["id"])


def bulk_body(customer: str, sku: str, deliveries: list[tuple[date, int]], **extra: Any) -> Any:
    return {
        "channel": "sales",
        "customer": {"id": customer},
        "lines": [{"sku": sku, "quantity": sum(q for _, q in deliveries)}],
        "shipping": {"method": "standard"},
        "payment": {"method": "credit"},
        "type": "bulk",
        "deliveries": [
            {"date": d.isoformat(), "lines": [{"sku": sku, "quantity": q}]} for d, q in deliveries
        ],
        **extra,
    }


async def deliver_all(desk: Desk, order_id: str) -> None:
    for shipment in (await desk.get(order_id))["shipments"]:
        for event in ("picked_up", "delivered"):
            await desk.ok(
                "warehouse",
                "POST",
                f"/orders/{order_id}/shipment-events",
                json={"event": event, "tracking_number": shipment["tracking_number"]},
            )


async def test_a_bulk_order_ships_and_is_invoiced_per_delivery(
    desk: Desk, sessions: SessionFactory
) -> None:
    day = await today(sessions)
    first, second = day + timedelta(days=10), day + timedelta(days=40)
    sku = await desk.product(price="100.00", stock=10)
    customer = await business(desk)
    body = bulk_body(customer, sku, [(first, 4), (second, 6)])
    order_id = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    # A business's first order on credit waits for finance; then it waits for its dates.
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    order = await desk.status_is(order_id, "SCHEDULED")
    assert order["type"] == "bulk"
    listed = await desk.ok(
        "admin", "GET", "/orders", params={"type": "bulk", "customer_id": customer}
    )
    assert [o["order_id"] for o in listed["items"]] == [order_id]
    assert [(b["date"], b["status"]) for b in order["deliveries"]] == [
        (first.isoformat(), "scheduled"),
        (second.isoformat(), "scheduled"),
    ]
    assert await desk.available(sku) == 10  # nothing held before the reservation day

    # Three days before the first date its four units are held, and only those.
    await desk.env.sleep(timedelta(days=8))
    await desk.status_is(order_id, "READY_TO_SHIP")
    assert await desk.available(sku) == 6
    await desk.env.sleep(timedelta(days=3))
    order = await desk.status_is(order_id, "PARTIALLY_SHIPPED", timeout=60)
    assert [b["status"] for b in order["deliveries"]] == ["shipped", "scheduled"]
    assert len(order["invoices"]) == 1
    assert D(order["invoices"][0]["total"]) == D("476.00")  # 4 x 100 with 19 % tax
    assert await desk.available(sku) == 6

    await desk.env.sleep(timedelta(days=30))
    order = await desk.status_is(order_id, "SHIPPED", timeout=60)
    assert [b["status"] for b in order["deliveries"]] == ["shipped", "shipped"]
    totals = [D(i["total"]) for i in order["invoices"]]
    assert totals == [D("476.00"), D("714.00")] and sum(totals) == D(order["totals"]["total"])
    assert await desk.available(sku) == 0

    await deliver_all(desk, order_id)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    for invoice in order["invoices"]:
        await desk.ok(
            "finance",
            "POST",
            f"/orders/{order_id}/payments",
            json={"reference": invoice["number"], "amount": invoice["total"], "method": "transfer"},
        )
    await desk.status_is(order_id, "COMPLETED")


async def test_intake_refuses_a_schedule_that_does_not_carry_the_order(
    desk: Desk, sessions: SessionFactory
) -> None:
    day = await today(sessions)
    sku = await desk.product(price="10.00", stock=10)
    customer = await business(desk)
    short = bulk_body(customer, sku, [(day + timedelta(days=5), 3)])
    short["lines"][0]["quantity"] = 5
    response = await desk.call("sales1", "POST", "/orders", json=short)
    assert refused_for(response, "deliveries"), response.text
    past = bulk_body(customer, sku, [(day - timedelta(days=1), 3)])
    assert refused_for(
        await desk.call("sales1", "POST", "/orders", json=past), "deliveries", 0, "date"
    )
    prepaid = {
        **bulk_body(customer, sku, [(day + timedelta(days=5), 3)]),
        "payment": {"method": "prepaid"},
    }
    assert refused_for(
        await desk.call("sales1", "POST", "/orders", json=prepaid), "payment", "method"
    )
    consumer = await desk.customer()
    private = bulk_body(consumer, sku, [(day + timedelta(days=5), 3)])
    assert refused_for(await desk.call("sales1", "POST", "/orders", json=private), "customer")
    standard = {**bulk_body(customer, sku, [(day + timedelta(days=5), 3)]), "type": "standard"}
    response = await desk.call("sales1", "POST", "/orders", json=standard)
    assert response.status_code == 422 and "deliveries" in response.text, response.text
    no_schedule = bulk_body(customer, sku, [(day, 3)])
    del no_schedule["deliveries"]
    response = await desk.call("sales1", "POST", "/orders", json=no_schedule)
    assert response.status_code == 422 and "deliveries" in response.text, response.text
    # Nothing was recorded by any of them.
    listed = await desk.ok("admin", "GET", f"/orders?customer_id={customer}")
    assert listed["items"] == []


async def test_a_scheduled_bulk_order_keeps_its_lines_and_may_be_cancelled(
    desk: Desk, sessions: SessionFactory
) -> None:
    day = await today(sessions)
    sku = await desk.product(price="10.00", stock=10)
    customer = await business(desk)
    plan = [(day + timedelta(days=20), 2), (day + timedelta(days=50), 2)]
    order_id = (await desk.ok("sales1", "POST", "/orders", json=bulk_body(customer, sku, plan)))[
        "order_id"
    ]
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "SCHEDULED")
    change = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/changes",
        json={"lines": [{"sku": sku, "quantity": 5}], "reason": "one more"},
    )
    assert change.status_code == 409 and "delivery schedule" in change.text, change.text
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "plans changed"},
    )
    cancelled = await desk.status_is(order_id, "CANCELLED")
    assert [b["status"] for b in cancelled["deliveries"]] == ["scheduled", "scheduled"]
    # Its days pass without it: nothing is reserved, nothing ships.
    await desk.env.sleep(timedelta(days=25))
    assert await desk.available(sku) == 10
    assert (await desk.get(order_id))["shipments"] == []


async def test_a_set_aside_schedule_is_held_at_approval_from_its_warehouse(
    desk: Desk, sessions: SessionFactory
) -> None:
    day = await today(sessions)
    sku = await desk.product(price="10.00", stock=20)  # WH1, the nearer one
    await desk.receive(sku, 5, warehouse="WH2")
    customer = await business(desk)
    plan = [(day + timedelta(days=10), 2), (day + timedelta(days=40), 3)]
    unknown = bulk_body(customer, sku, plan, set_aside={"warehouse": "NOPE"})
    assert refused_for(
        await desk.call("sales1", "POST", "/orders", json=unknown), "set_aside", "warehouse"
    )
    body = bulk_body(customer, sku, plan, set_aside={"warehouse": "WH2"})
    order_id = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert await desk.available(sku) == 25  # nothing held before the approval
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    order = await desk.status_is(order_id, "READY_TO_SHIP")
    # All five held at once, from WH2 only, though WH1 has plenty.
    held = {(r["warehouse"], r["status"]): r["quantity"] for r in order["reservations"]}
    assert held == {("WH2", "reserved"): 5}
    assert [b["status"] for b in order["deliveries"]] == ["due", "due"]

    # The first date ships its two only; the rest stays held for the second.
    await desk.env.sleep(timedelta(days=11))
    order = await desk.status_is(order_id, "PARTIALLY_SHIPPED", timeout=60)
    assert [s["warehouse"] for s in order["shipments"]] == ["WH2"]
    assert [D(i["total"]) for i in order["invoices"]] == [D("23.80")]
    rows = sorted((r["status"], r["quantity"]) for r in order["reservations"])
    assert rows == [("reserved", 3), ("shipped", 2)]
    await desk.env.sleep(timedelta(days=30))
    order = await desk.status_is(order_id, "SHIPPED", timeout=60)
    assert [D(i["total"]) for i in order["invoices"]] == [D("23.80"), D("35.70")]
    assert await desk.available(sku) == 20
