"""A customer's account and statement come from the documents and payments themselves, and
move with them; finance puts a customer on credit hold (audited), which rejects new
credit-terms orders in review until lifted."""

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk
from tests.workflows.test_paths import deliver


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions, warehouse_confirmation="manual") as desk:
        yield desk


async def account(desk: Desk, customer: str, user: str = "finance") -> Any:
    return await desk.ok(user, "GET", f"/customers/{customer}/account")


def money(value: str) -> Decimal:
    return Decimal(value)


async def test_the_account_follows_invoices_and_payments(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=5)
    customer = await desk.customer(credit_limit="1000")
    order_id = await desk.order(sku, payment="credit", customer_id=customer)
    await desk.status_is(order_id, "AWAITING_APPROVAL")  # a first order on credit terms
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    order = await desk.status_is(order_id, "PICKING")
    # Approved, not invoiced yet: exposure, no open balance.
    before = await account(desk, customer)
    assert (money(before["open_balance"]), money(before["exposure"])) == (
        money("0"),
        money("119.00"),
    )
    package = {"weight_kg": "1", "length_cm": 30, "width_cm": 20, "height_cm": 10}
    shipment = order["shipments"][0]["id"]
    await desk.ok(
        "warehouse", "POST", f"/shipments/{shipment}/packed", json={"packages": [package]}
    )
    await deliver(desk, order_id)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    invoiced = await account(desk, customer)
    assert money(invoiced["open_balance"]) == money(invoiced["exposure"]) == money("119.00")
    assert money(invoiced["credit_limit"]) == money("1000.00")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"tr-{order_id}", "amount": "119.00", "method": "transfer"},
    )
    await desk.status_is(order_id, "COMPLETED")
    settled = await account(desk, customer, user="sales1")  # the owning rep reads it too
    assert money(settled["open_balance"]) == money(settled["exposure"]) == 0
    statement = await desk.ok("finance", "GET", f"/customers/{customer}/statement")
    kinds = [(e["kind"], money(e["amount"]), money(e["balance"])) for e in statement["entries"]]
    assert kinds == [
        ("invoice", money("119.00"), money("119.00")),
        ("payment", money("-119.00"), 0),
    ]
    assert money(statement["closing_balance"]) == 0
    later = await desk.ok("finance", "GET", f"/customers/{customer}/statement?from=2999-01-01")
    assert later["entries"] == [] and money(later["opening_balance"]) == 0
    bad = await desk.call(
        "finance", "GET", f"/customers/{customer}/statement?from=2026-02-01&to=2026-01-01"
    )
    assert bad.status_code == 422
    assert (await desk.call("sales2", "GET", f"/customers/{customer}/account")).status_code == 404
    assert (
        await desk.call("warehouse", "GET", f"/customers/{customer}/account")
    ).status_code == 403


async def test_a_credit_hold_rejects_credit_orders_until_lifted(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    customer = await desk.customer(credit_limit="1000")
    held = await desk.ok(
        "finance",
        "PUT",
        f"/customers/{customer}/credit-hold",
        json={"on_hold": True, "reason": "cheque bounced"},
    )
    assert held["on_credit_hold"] is True
    refused = await desk.order(sku, payment="credit", customer_id=customer)
    order = await desk.status_is(refused, "REJECTED")
    assert "credit hold" in " ".join(order["review_reasons"])
    prepaid = await desk.order(sku, payment="prepaid", customer_id=customer)
    await desk.status_is(prepaid, "AWAITING_PAYMENT")  # a hold stops credit terms only
    await desk.ok(
        "finance",
        "PUT",
        f"/customers/{customer}/credit-hold",
        json={"on_hold": False, "reason": "paid up"},
    )
    again = await desk.order(sku, payment="credit", customer_id=customer)
    await desk.status_is(again, "AWAITING_APPROVAL")
    audit = await desk.ok("admin", "GET", "/audit?action=customer.credit_hold")
    details = [row["detail"] for row in audit["items"] if customer in row["detail"]]
    assert any("cheque bounced" in d for d in details) and any("paid up" in d for d in details)
    sales = await desk.call(
        "sales1", "PUT", f"/customers/{customer}/credit-hold", json={"on_hold": True, "reason": "x"}
    )
    assert sales.status_code == 403


async def notices(desk: Desk, order_id: str) -> list[str]:
    rows = await desk.ok("admin", "GET", f"/notifications?order_id={order_id}")
    return [n["kind"] for n in rows]


async def test_an_unpaid_credit_invoice_is_dunned_then_the_customer_held(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=5)
    customer = await desk.customer(credit_limit="1000")
    order_id = await desk.order(sku, payment="credit", customer_id=customer)
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    order = await desk.status_is(order_id, "PICKING")
    package = {"weight_kg": "1", "length_cm": 30, "width_cm": 20, "height_cm": 10}
    shipment = order["shipments"][0]["id"]
    packed = {"packages": [package]}
    await desk.ok("warehouse", "POST", f"/shipments/{shipment}/packed", json=packed)
    await deliver(desk, order_id)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    # Due 30 days after shipping; the policy reminds 3 days before and 7 after, holds after 14.
    await desk.env.sleep(timedelta(days=28))
    assert "credit_remind_before" in await notices(desk, order_id)
    assert (await desk.get(order_id))["invoice"]["status"] == "issued"
    await desk.env.sleep(timedelta(days=3))
    assert (await desk.get(order_id))["invoice"]["status"] == "overdue"
    assert (await account(desk, customer))["on_credit_hold"] is False
    await desk.env.sleep(timedelta(days=7))
    assert "credit_remind_after" in await notices(desk, order_id)
    await desk.env.sleep(timedelta(days=7))
    held = await account(desk, customer)
    assert held["on_credit_hold"] is True and money(held["overdue"]) == money("119.00")
    assert "credit_hold" in await notices(desk, order_id)
    # Blocks new credit-terms orders in review until a person lifts it.
    blocked = await desk.order(sku, payment="credit", customer_id=customer)
    await desk.status_is(blocked, "REJECTED")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"late-{order_id}", "amount": "119.00", "method": "transfer"},
    )
    await desk.status_is(order_id, "COMPLETED")
    assert (await account(desk, customer))["on_credit_hold"] is True  # lifted by a person only
