"""Cash on delivery short of the invoice: the carrier's delivered scan reports what it
collected; less than owed opens an underpayment case instead of completing the order, which
finance writes off (a credit note) or the customer's later payment closes."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk

D = Decimal


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def delivered_short(desk: Desk, collected: str) -> tuple[str, dict[str, Any]]:
    """A cash-on-delivery order of 119.00 whose carrier collected only `collected`."""
    sku = await desk.product(price="100.00", stock=2)
    order_id = await desk.order(sku, 1, payment="cod")
    order = await desk.status_is(order_id, "SHIPPED")
    tracking = order["shipments"][0]["tracking_number"]
    for event in ("picked_up", "delivered"):
        scan = {"event": event, "tracking_number": tracking}
        if event == "delivered":
            scan["cod_amount"] = collected
        await desk.ok("warehouse", "POST", f"/orders/{order_id}/shipment-events", json=scan)
    order = await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    cases = await desk.ok("finance", "GET", "/reconciliation/cases?status=open")
    [case] = [c for c in cases if c["order_id"] == order_id]
    return order_id, case


async def test_a_short_collection_opens_a_case_finance_writes_off(desk: Desk) -> None:
    order_id, case = await delivered_short(desk, "100.00")
    assert (case["kind"], D(case["amount"])) == ("underpayment", D("19.00"))
    order = await desk.get(order_id)
    assert D(order["paid_total"]) == D("100.00")
    assert order["invoices"][0]["status"] == "issued"
    url = f"/reconciliation/cases/{case['id']}"
    wrong = await desk.call("finance", "POST", url, json={"action": "keep_as_credit"})
    assert wrong.status_code == 422 and "written off" in wrong.text
    resolved = await desk.ok(
        "finance", "POST", url, json={"action": "write_off", "comment": "driver short, agreed"}
    )
    assert (resolved["status"], resolved["action"]) == ("resolved", "write_off")
    order = await desk.status_is(order_id, "COMPLETED")
    [note] = order["credit_notes"]
    assert (note["reason"], D(note["total"])) == ("write_off", D("19.00"))
    doc = await desk.ok("finance", "GET", f"/credit-notes/{note['number']}")
    # 19.00 tax included at 19 %: 15.97 net and 3.03 tax.
    assert (D(doc["net"]), D(doc["tax"])) == (D("15.97"), D("3.03"))
    assert order["invoices"][0]["status"] == "paid"
    history = " | ".join(h["reason"] or "" for h in await desk.history(order_id))
    assert "short by 19.00" in history and "written off" in history
    again = await desk.call("finance", "POST", url, json={"action": "write_off"})
    assert again.status_code == 409


async def test_the_customers_later_payment_closes_the_case(desk: Desk) -> None:
    order_id, case = await delivered_short(desk, "0.00")
    assert D(case["amount"]) == D("119.00")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"bank-{order_id}", "amount": "119.00", "method": "transfer"},
    )
    await desk.status_is(order_id, "COMPLETED")
    closed = await desk.ok("finance", "GET", "/reconciliation/cases?status=resolved")
    [mine] = [c for c in closed if c["id"] == case["id"]]
    assert (mine["action"], mine["resolved_by"]) == ("paid", "system")


async def test_collecting_what_is_owed_completes_at_once(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=2)
    order_id = await desk.order(sku, 1, payment="cod")
    order = await desk.status_is(order_id, "SHIPPED")
    tracking = order["shipments"][0]["tracking_number"]
    for scan in (
        {"event": "picked_up", "tracking_number": tracking},
        {"event": "delivered", "tracking_number": tracking, "cod_amount": "119.00"},
    ):
        await desk.ok("warehouse", "POST", f"/orders/{order_id}/shipment-events", json=scan)
    done = await desk.status_is(order_id, "COMPLETED")
    assert [(p["reference"], p["amount"]) for p in done["payments"]] == [
        (f"cod-{tracking}", "119.00")
    ]


async def test_the_history_shows_each_scan_and_each_payment(desk: Desk) -> None:
    order_id, _ = await delivered_short(desk, "100.00")
    tracking = (await desk.get(order_id))["shipments"][0]["tracking_number"]
    history = await desk.history(order_id)
    scans = [(h["action"], h["result"]) for h in history if h["kind"] == "scan"]
    assert scans == [("picked_up", tracking), ("delivered", tracking)]
    payments = [(h["action"], D(h["amount"])) for h in history if h["kind"] == "payment"]
    assert payments == [("payment", D("100.00"))]  # what the driver collected
    # In time order: the collection is not before the delivered scan, nor after COMPLETED.
    kinds = [h["kind"] for h in history]
    assert kinds.index("scan") < kinds.index("payment")
    # The warehouse sees the parcel's scans, not the money.
    seen = await desk.ok("warehouse", "GET", f"/orders/{order_id}/history")
    assert [h["action"] for h in seen if h["kind"] == "scan"] == ["picked_up", "delivered"]
    assert not [h for h in seen if h["kind"] == "payment" or "amount" in h]
