"""Each caller's idempotency and data are its own; payments are never lost, doubled or
absorbed: a reference pays one order, refunds never collide, overpayment is flagged."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import Customer, Order
from tests.harness import Desk, new_customer, open_desk, order_body


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def count(desk: Desk, model: Any) -> int:
    async with desk.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_another_callers_external_ref_or_key_is_not_a_retry(desk: Desk) -> None:
    sku = await desk.product(stock=10)
    mine = await desk.customer()
    first = await desk.ok(
        "sales1",
        "POST",
        "/orders",
        json={**order_body(mine, sku), "channel": "sales", "external_ref": "Q-77"},
        headers={"Idempotency-Key": "same-key"},
    )
    # sales2 uses sales1's external_ref and key, with its own new customer.
    body = {
        **order_body("x", sku),
        "channel": "sales",
        "external_ref": "Q-77",
        "customer": new_customer(),
    }
    customers = await count(desk, Customer)
    second = await desk.call(
        "sales2", "POST", "/orders", json=body, headers={"Idempotency-Key": "same-key"}
    )
    assert second.status_code == 201, second.text
    assert second.json()["order_id"] != first["order_id"]
    assert await count(desk, Customer) == customers + 1
    theirs = await desk.get(second.json()["order_id"])
    assert theirs["created_by"] == "sales2"


async def test_the_same_key_with_another_body_is_409_naming_the_key(desk: Desk) -> None:
    sku = await desk.product(stock=10)
    customer = await desk.customer()
    key = {"Idempotency-Key": "shop-1001"}
    created = await desk.ok(
        "shop", "POST", "/orders", json=order_body(customer, sku, 1), headers=key
    )
    again = await desk.call(
        "shop", "POST", "/orders", json=order_body(customer, sku, 1), headers=key
    )
    assert (again.status_code, again.json()["order_id"]) == (200, created["order_id"])
    orders = await count(desk, Order)
    changed = await desk.call(
        "shop", "POST", "/orders", json=order_body(customer, sku, 3), headers=key
    )
    assert changed.status_code == 409
    assert "Idempotency-Key" in changed.json()["detail"]
    assert await count(desk, Order) == orders


async def test_concurrent_retries_of_one_caller_give_one_order(desk: Desk) -> None:
    sku = await desk.product(stock=10)
    customer = await desk.customer()
    body = {**order_body(customer, sku), "external_ref": "race-1"}
    answers = await asyncio.gather(
        *[desk.call("shop", "POST", "/orders", json=body) for _ in range(5)]
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({a.json()["order_id"] for a in answers}) == 1


async def pay(desk: Desk, order_id: str, reference: str, amount: str) -> Any:
    return await desk.call(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": reference, "amount": amount, "method": "card"},
    )


async def test_a_reference_that_paid_another_order_is_409(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=10)
    a = await desk.order(sku)
    b = await desk.order(sku)
    await desk.status_is(a, "AWAITING_PAYMENT")
    await desk.status_is(b, "AWAITING_PAYMENT")
    assert (await pay(desk, a, "bank-42", "5.00")).status_code == 200
    reused = await pay(desk, b, "bank-42", "5.00")
    assert reused.status_code == 409
    assert "another order" in reused.json()["detail"]
    assert (await desk.get(b))["payments"] == []
    # The same reference again on its own order is a retry: counted once.
    assert (await pay(desk, a, "bank-42", "5.00")).json()["paid_total"] == "5.00"


async def test_a_refund_never_collides_with_another_orders_payment(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=10)
    a = await desk.order(sku)
    b = await desk.order(sku)
    await desk.status_is(a, "AWAITING_PAYMENT")
    await desk.status_is(b, "AWAITING_PAYMENT")
    # b's payment carries exactly the reference the gateway gives a's refund.
    assert (await pay(desk, b, "refund-p1", "3.00")).status_code == 200
    assert (await pay(desk, a, "p1", "10.00")).status_code == 200
    await desk.ok(
        "admin",
        "POST",
        f"/orders/{a}/cancel",
        json={"reason_code": "customer_request", "comment": "changed mind"},
    )
    cancelled = await desk.status_is(a, "CANCELLED")
    kinds = sorted((p["kind"], p["amount"]) for p in cancelled["payments"])
    assert kinds == [("payment", "10.00"), ("refund", "-10.00")]
    assert cancelled["paid_total"] == "0.00"
    assert [p["amount"] for p in (await desk.get(b))["payments"]] == ["3.00"]


async def test_an_overpayment_is_recorded_and_flagged(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=10)
    order_id = await desk.order(sku)
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    total = Decimal(order["totals"]["total"])
    assert (await pay(desk, order_id, "big-1", str(total * 100))).status_code == 200
    paid = await desk.get(order_id)
    assert Decimal(paid["paid_total"]) == total * 100
    assert Decimal(paid["overpaid"]) == total * 99
    history = await desk.history(order_id)
    assert any(f"overpaid by {total * 99}" in e["reason"] for e in history)


async def test_upstream_sees_only_the_customers_it_sent(desk: Desk) -> None:
    sku = await desk.product(stock=5)
    others = await desk.customer()
    sent = await desk.ok("shop", "POST", "/customers", json=new_customer())
    ordered_for = await desk.customer()
    await desk.order(sku, customer_id=ordered_for, user="shop")
    seen = {c["id"] for c in await desk.ok("shop", "GET", "/customers?limit=500")}
    assert {sent["id"], ordered_for} <= seen
    assert others not in seen
    assert (await desk.call("shop", "GET", f"/customers/{others}")).status_code == 404


async def test_only_finance_and_admin_set_a_credit_limit(desk: Desk) -> None:
    for user in ("sales1", "shop", "service"):
        body = new_customer(credit_limit="99999")
        refused = await desk.call(user, "POST", "/customers", json=body)
        assert refused.status_code == 403, (user, refused.text)
    inline = {**order_body("x", await desk.product()), "customer": new_customer("99999")}
    assert (await desk.call("shop", "POST", "/orders", json=inline)).status_code == 403
    default = await desk.ok("sales1", "POST", "/customers", json=new_customer())
    assert default["credit_limit"] == "0.00"  # the default policy's limit
    set_by_admin = await desk.ok("admin", "POST", "/customers", json=new_customer("2500"))
    assert set_by_admin["credit_limit"] == "2500.00"
    changed = await desk.ok(
        "finance",
        "PUT",
        f"/customers/{default['id']}/credit",
        json={"credit_limit": "1000", "on_credit_hold": True},
    )
    assert (changed["credit_limit"], changed["on_credit_hold"]) == ("1000.00", True)
    denied = await desk.call(
        "sales1", "PUT", f"/customers/{default['id']}/credit", json={"credit_limit": "5"}
    )
    assert denied.status_code == 403


async def test_a_payment_right_after_intake_starts_the_waiting_workflow(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    customer = await desk.customer()
    starter = desk.app.state.starter
    # Another intake request still in flight (a burst): starts wait behind intake.
    async with starter.intake():
        created = await desk.ok("shop", "POST", "/orders", json=order_body(customer, sku))
        order_id = created["order_id"]
        assert (await desk.get(order_id))["status"] == "RECEIVED"
        paid = await pay(desk, order_id, f"early-{order_id}", "11.90")
        assert paid.status_code == 200, paid.text
    await desk.status_is(order_id, "SHIPPED")
