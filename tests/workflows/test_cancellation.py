"""Cancellation reasons are a closed list: each code is recorded on the order and in its
history; the process's own cancellations carry theirs (out of stock, payment failed)."""

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from domain.cancellation import CancelReason
from tests.harness import Desk, checked_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


@pytest.mark.parametrize("code", list(CancelReason))
async def test_each_reason_code_is_recorded(desk: Desk, code: CancelReason) -> None:
    sku = await desk.product(price="10.00", stock=2)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": code.value, "comment": "by phone"},
    )
    order = await desk.status_is(order_id, "CANCELLED")
    assert order["cancel_reason_code"] == code.value
    last = (await desk.history(order_id))[-1]
    assert last["reason"].startswith(f"{code.value}: by phone")
    assert await desk.available(sku) == 2


async def test_a_reason_code_is_required_and_known(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    for body in ({"comment": "no code"}, {"reason_code": "bored"}, {"reason": "free text"}):
        refused = await desk.call("service", "POST", f"/orders/{order_id}/cancel", json=body)
        assert refused.status_code == 422, body
        assert "reason_code" in refused.text or "reason" in refused.text
    assert (await desk.get(order_id))["status"] == "AWAITING_PAYMENT"


async def test_an_unpaid_prepayment_is_cancelled_as_payment_failed(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.env.sleep(timedelta(days=8))  # past the 7 days a prepayment is waited for
    order = await desk.status_is(order_id, "CANCELLED")
    assert order["cancel_reason_code"] == "payment_failed"


@pytest.fixture
async def manual(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions, warehouse_confirmation="manual") as desk:
        yield desk


async def costly_order_waiting_to_be_packed(desk: Desk) -> tuple[str, str]:
    """An approved order above the policy's 5,000 threshold, its stock held, not shipped."""
    sku = await desk.product(price="2600.00", stock=3)
    order_id = await desk.order(sku, quantity=2, payment="cod")
    order = await desk.status_is(order_id, "PICKING")
    assert Decimal(order["totals"]["total"]) > Decimal("5000")
    return order_id, sku


async def test_a_costly_cancellation_waits_for_a_supervisor_who_confirms_it(
    manual: Desk,
) -> None:
    desk = manual
    order_id, sku = await costly_order_waiting_to_be_packed(desk)
    asked = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "found it cheaper"},
    )
    assert (asked.status_code, asked.json()["status"]) == (202, "cancellation_requested")
    again = await desk.call(
        "service", "POST", f"/orders/{order_id}/cancel", json={"reason_code": "duplicate"}
    )
    assert again.status_code == 409
    # Meanwhile the order does not ship, even once packed.
    shipment = (await desk.get(order_id))["shipments"][0]["id"]
    package = {"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}
    await desk.ok(
        "warehouse", "POST", f"/shipments/{shipment}/packed", json={"packages": [package]}
    )
    await desk.env.sleep(timedelta(hours=1))
    held = await desk.get(order_id)
    assert held["status"] == "PICKING" and held["shipments"][0]["tracking_number"] is None
    # On the supervisor's desk, as any approval.
    inbox = await desk.ok("supervisor", "GET", "/approvals")
    mine = [i for i in inbox["items"] if i["order_id"] == order_id]
    assert [i["level"] for i in mine] == ["cancellation"]
    assert "found it cheaper" in mine[0]["reasons"][0]
    confirmed = await desk.ok(
        "supervisor",
        "POST",
        f"/orders/{order_id}/approvals",
        json={"decision": "approve", "comment": "ok"},
    )
    assert confirmed["level"] == "cancellation"
    order = await desk.status_is(order_id, "CANCELLED")
    assert order["cancel_reason_code"] == "customer_request"
    assert await desk.available(sku) == 3
    assert {a["level"]: a["status"] for a in order["approvals"]}["cancellation"] == "approved"


async def test_a_refused_cancellation_lets_the_order_ship(manual: Desk) -> None:
    desk = manual
    order_id, _ = await costly_order_waiting_to_be_packed(desk)
    asked = await desk.call(
        "service", "POST", f"/orders/{order_id}/cancel", json={"reason_code": "other"}
    )
    assert asked.status_code == 202
    # Only the cancellation level decides: not customer service, not the customer's rep.
    for user in ("service", "sales1"):
        refused = await desk.call(
            user, "POST", f"/orders/{order_id}/approvals", json={"decision": "reject"}
        )
        assert refused.status_code == 403, user
    await desk.ok(
        "supervisor",
        "POST",
        f"/orders/{order_id}/approvals",
        json={"decision": "reject", "comment": "the goods are already picked"},
    )
    shipment = (await desk.get(order_id))["shipments"][0]["id"]
    package = {"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}
    await desk.ok(
        "warehouse", "POST", f"/shipments/{shipment}/packed", json={"packages": [package]}
    )
    order = await desk.status_is(order_id, "SHIPPED")
    assert {a["level"]: a["status"] for a in order["approvals"]}["cancellation"] == "rejected"
    history = [h["reason"] for h in await desk.history(order_id)]
    assert any("cancellation refused" in (r or "") for r in history)


async def test_cancelling_undoes_each_effect_once_as_recorded_steps(manual: Desk) -> None:
    desk = manual
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, quantity=2, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"psp-{order_id}", "amount": "238.00", "method": "card"},
    )
    await desk.status_is(order_id, "PICKING")
    assert await desk.available(sku) == 1
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "moved house"},
    )
    order = await desk.status_is(order_id, "CANCELLED")
    steps = [
        h["reason"]
        for h in await desk.history(order_id)
        if (h.get("reason") or "").startswith("compensation:")
    ]
    assert steps == [
        "compensation: 1 pick list(s) withdrawn",
        f"compensation: stock released: {sku}",
        "compensation: refunded 238.00",
    ]
    assert await desk.available(sku) == 3
    assert sorted(Decimal(p["amount"]) for p in order["payments"]) == [
        Decimal("-238.00"),
        Decimal("238.00"),
    ]
    assert order["shipments"][0]["status"] == "cancelled"
