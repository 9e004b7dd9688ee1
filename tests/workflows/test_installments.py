"""Installments over simulated months on the time-skipping server: the schedule is fixed at
approval and dated by the first invoice; each installment has its own reminders and overdue
handling; payments go to the oldest installment first (a partial payment, then an early one
paying the next installment too); the last one left unpaid puts the customer on credit hold;
credit terms run from each invoice of a split order."""

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk
from tests.workflows.test_paths import deliver

D = Decimal
PACKAGE = {"weight_kg": "1", "length_cm": 30, "width_cm": 20, "height_cm": 10}


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions, warehouse_confirmation="manual") as desk:
        yield desk


async def subjects(desk: Desk, order_id: str) -> list[str]:
    rows = await desk.ok("admin", "GET", f"/notifications?order_id={order_id}")
    return [n["subject"] for n in rows]


async def pay(desk: Desk, order_id: str, reference: str, amount: str) -> Any:
    body = {"reference": reference, "amount": amount, "method": "transfer"}
    return await desk.ok("finance", "POST", f"/orders/{order_id}/payments", json=body)


async def pack_all(desk: Desk, order_id: str) -> None:
    order = await desk.get(order_id)
    for shipment in order["shipments"]:
        packed = {"packages": [PACKAGE]}
        await desk.ok("warehouse", "POST", f"/shipments/{shipment['id']}/packed", json=packed)


async def installment_order(desk: Desk) -> str:
    """Three of a 100.00 sku (357.00 with tax) in three installments 30 days apart, for a
    customer with a 1,000 credit line; on account like credit terms, so the first such order
    waits for finance."""
    sku = await desk.product(price="100.00", stock=5)
    customer = await desk.customer(credit_limit="1000")
    body = {
        "channel": "web",
        "customer": {"id": customer},
        "lines": [{"sku": sku, "quantity": 3}],
        "shipping": {"method": "standard"},
        "payment": {"method": "installments", "count": 3, "interval_days": 30},
    }
    order_id: str = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    return order_id


async def test_installments_are_dunned_one_by_one_and_paid_oldest_first(desk: Desk) -> None:
    order_id = await installment_order(desk)
    customer = (await desk.get(order_id))["customer_id"]
    assert (await desk.get(order_id))["installments"]["schedule"] == []
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    order = await desk.status_is(order_id, "PICKING")
    schedule = order["installments"]["schedule"]
    assert [(x["amount"], x["due_date"], x["status"]) for x in schedule] == [
        ("119.00", None, "scheduled")
    ] * 3
    await pack_all(desk, order_id)
    shipped = await desk.status_is(order_id, "SHIPPED")
    dates = [x["due_date"] for x in shipped["installments"]["schedule"]]
    assert dates[0] == shipped["invoices"][0]["issued_at"][:10]
    assert shipped["invoices"][0]["due_date"] == dates[2]  # the invoice is due with the last
    await pay(desk, order_id, "part-1", "50.00")  # a partial payment of the first
    await deliver(desk, order_id)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    await desk.env.sleep(timedelta(hours=1))
    assert "Installment 1 of 3 is overdue" in await subjects(desk, order_id)
    # The rest of the first and the whole second at once: paid early, oldest first.
    await pay(desk, order_id, "part-2", "188.00")
    schedule = (await desk.get(order_id))["installments"]["schedule"]
    assert [(x["paid"], x["status"]) for x in schedule] == [
        ("119.00", "paid"),
        ("119.00", "paid"),
        ("0.00", "open"),
    ]
    # Past the second installment's due date and grace: nothing, it is paid.
    await desk.env.sleep(timedelta(days=50))
    seen = await subjects(desk, order_id)
    assert not any(s.startswith("Installment 2") for s in seen)
    assert (await desk.ok("finance", "GET", f"/customers/{customer}/account"))[
        "on_credit_hold"
    ] is False
    await desk.env.sleep(timedelta(days=8))  # day 58: three days before the third
    assert "Installment 3 of 3 falls due soon" in await subjects(desk, order_id)
    await desk.env.sleep(timedelta(days=17))  # day 75: past the third's grace
    seen = await subjects(desk, order_id)
    assert "Installment 3 of 3 is overdue" in seen and "Installment 3 of 3 is still unpaid" in seen
    held = await desk.ok("finance", "GET", f"/customers/{customer}/account")
    assert held["on_credit_hold"] is True and D(held["open_balance"]) == D("119.00")
    await pay(desk, order_id, "part-3", "119.00")
    done = await desk.status_is(order_id, "COMPLETED")
    assert all(x["status"] == "paid" for x in done["installments"]["schedule"])


async def test_installment_terms_are_validated_naming_the_field(desk: Desk) -> None:
    sku = await desk.product(price="10.00")
    customer = await desk.customer()
    for terms, field in (
        ({"method": "installments"}, "count"),
        ({"method": "installments", "count": 13}, "count"),
        ({"method": "installments", "count": 2, "interval_days": 0}, "interval_days"),
        ({"method": "credit", "count": 2}, "count"),
    ):
        body = {
            "channel": "web",
            "customer": {"id": customer},
            "lines": [{"sku": sku, "quantity": 1}],
            "shipping": {"method": "standard"},
            "payment": terms,
        }
        answer = await desk.call("sales1", "POST", "/orders", json=body)
        assert answer.status_code == 422, (terms, answer.text)
        assert field in str(answer.json()["detail"][0]["loc"]), (terms, answer.text)


async def test_credit_terms_run_from_each_invoice_of_a_split_order(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=1)
    await desk.receive(sku, 1, "WH2")
    customer = await desk.customer(credit_limit="1000")
    order_id = await desk.order(sku, 2, payment="credit", customer_id=customer)
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    order = await desk.status_is(order_id, "PICKING")
    first, second = order["shipments"]
    packed = {"packages": [PACKAGE]}
    await desk.ok("warehouse", "POST", f"/shipments/{first['id']}/packed", json=packed)
    await desk.env.sleep(timedelta(days=10))  # the second parcel is packed ten days later
    await desk.ok("warehouse", "POST", f"/shipments/{second['id']}/packed", json=packed)
    order = await desk.status_is(order_id, "SHIPPED")
    early, late = order["invoices"]
    for shipment in order["shipments"]:
        for event in ("picked_up", "delivered"):
            scan = {"event": event, "tracking_number": shipment["tracking_number"]}
            await desk.ok("warehouse", "POST", f"/orders/{order_id}/shipment-events", json=scan)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    await pay(desk, order_id, "first-invoice", early["total"])
    # Day 32 after the first invoice: the second (issued on day 10) is not due before day 40.
    await desk.env.sleep(timedelta(days=22))
    seen = await subjects(desk, order_id)
    assert f"Invoice {late['number']} falls due soon" not in seen
    assert not any("overdue" in s for s in seen)
    await desk.env.sleep(timedelta(days=6))  # day 38: three days before
    assert f"Invoice {late['number']} falls due soon" in await subjects(desk, order_id)
    await desk.env.sleep(timedelta(days=3))  # day 41
    assert f"Invoice {late['number']} is overdue" in await subjects(desk, order_id)
    statuses = {i["number"]: i["status"] for i in (await desk.get(order_id))["invoices"]}
    assert statuses == {early["number"]: "paid", late["number"]: "overdue"}
    await pay(desk, order_id, "second-invoice", late["total"])
    await desk.status_is(order_id, "COMPLETED")
