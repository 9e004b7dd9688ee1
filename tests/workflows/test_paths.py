"""Each path of the order workflow on the time-skipping server, with real activities and
PostgreSQL, driven through the API as the people who use it would."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, eventually, open_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


def status_path(history: list[dict[str, str]]) -> list[str]:
    return [h["to_status"] for h in history if h["from_status"] != h["to_status"]]


async def deliver(desk: Desk, order_id: str) -> dict[str, str]:
    order = await desk.status_is(order_id, "SHIPPED")
    tracking = order["shipments"][0]["tracking_number"]
    await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "picked_up", "tracking_number": tracking},
    )
    delivered: dict[str, str] = await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "delivered", "tracking_number": tracking},
    )
    return delivered


async def test_prepaid_order_waits_for_payment_then_ships_and_completes(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, quantity=2, payment="prepaid")
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert order["totals"] == {
        "subtotal": "200.00",
        "discount": "0.00",
        "tax": "38.00",
        "total": "238.00",
        "currency": "EUR",
        "shipping": "0.00",  # the built-in policy charges no shipping
        "shipping_tax_rate": "19.00",
        "reverse_charge": False,
    }
    assert await desk.available(sku) == 3
    part = await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": "pay-1", "amount": "200.00", "method": "card"},
    )
    assert part["status"] == "AWAITING_PAYMENT"
    again = await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": "pay-1", "amount": "200.00", "method": "card"},
    )
    assert again["paid_total"] == "200.00"  # the same reference counts once
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": "pay-2", "amount": "38.00", "method": "card"},
    )
    order = await desk.status_is(order_id, "SHIPPED")
    assert order["invoice"]["number"].startswith("INV-")
    assert order["invoice"]["total"] == "238.00"
    await deliver(desk, order_id)
    order = await desk.status_is(order_id, "COMPLETED")
    await desk.handle(order_id).result()
    # Retries after the end (a gateway's or carrier's webhook) are answered, not refused.
    replay = await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": "pay-2", "amount": "38.00", "method": "card"},
    )
    assert (replay["status"], replay["paid_total"]) == ("COMPLETED", "238.00")
    tracking = order["shipments"][0]["tracking_number"]
    scan = await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "delivered", "tracking_number": tracking},
    )
    assert scan["status"] == "COMPLETED"
    late = await desk.call(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": "pay-3", "amount": "1.00", "method": "card"},
    )
    assert late.status_code == 409
    inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
    assert (inventory["on_hand"], inventory["reserved"]) == (3, 0)
    assert status_path(await desk.history(order_id)) == [
        "RECEIVED",
        "UNDER_REVIEW",
        "AWAITING_PAYMENT",
        "READY_TO_SHIP",
        "PICKING",
        "SHIPPED",
        "DELIVERED",
        "COMPLETED",
    ]


async def test_cod_order_passes_review_and_is_settled_by_delivery(desk: Desk) -> None:
    sku = await desk.product(price="50.00", stock=3)
    order_id = await desk.order(sku, quantity=1, payment="cod")
    await deliver(desk, order_id)
    order = await desk.status_is(order_id, "COMPLETED")
    assert [(p["amount"], p["method"]) for p in order["payments"]] == [("59.50", "cod")]
    assert order["review_reasons"] == ["no approval rule applies"]
    history = [h for h in await desk.history(order_id) if h["kind"] == "history"]
    assert re.fullmatch(
        r"review pass \(policy v\d+\): no approval rule applies", history[1]["reason"]
    )
    assert status_path(await desk.history(order_id)) == [
        "RECEIVED",
        "UNDER_REVIEW",
        "READY_TO_SHIP",
        "PICKING",
        "SHIPPED",
        "DELIVERED",
        "COMPLETED",
    ]


async def test_credit_order_waits_for_payment_past_its_due_date(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, quantity=1, payment="credit")
    order = await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert order["review_reasons"] == [
        "First order on credit terms (first order of this customer on credit terms)"
    ]
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await deliver(desk, order_id)
    order = await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    assert order["invoice"]["status"] == "issued"
    await desk.env.sleep(timedelta(days=31))
    order = await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    assert order["invoice"]["status"] == "overdue"
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": "bank-77", "amount": "119.00", "method": "transfer"},
    )
    order = await desk.status_is(order_id, "COMPLETED")
    assert order["invoice"]["status"] == "paid"


async def test_discount_over_ten_percent_waits_for_a_supervisor(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, quantity=1, payment="cod", discount_pct="15")
    order = await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert [(a["level"], a["status"]) for a in order["approvals"]] == [
        ("sales_supervisor", "pending")
    ]
    assert await desk.available(sku) == 2  # stock is held while the order waits

    # The level opens a moment after the status changes (the workflow's next activity).
    async def in_inbox() -> bool:
        inbox = await desk.ok("supervisor", "GET", "/approvals")
        return order_id in [item["order_id"] for item in inbox["items"]]

    assert await eventually(in_inbox)
    decided = await desk.ok(
        "supervisor",
        "POST",
        f"/orders/{order_id}/approvals",
        json={"decision": "approve", "comment": "long-standing customer"},
    )
    assert decided["pending_levels"] == []
    order = await desk.status_is(order_id, "SHIPPED")
    assert order["approvals"][0]["decided_by"] == "supervisor"
    second = await desk.call(
        "supervisor",
        "POST",
        f"/orders/{order_id}/approvals",
        json={"decision": "approve", "comment": ""},
    )
    assert second.status_code == 409


async def test_rejection_releases_the_stock(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, quantity=2, payment="cod", unit_price="80.00")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert await desk.available(sku) == 1
    await desk.ok(
        "supervisor",
        "POST",
        f"/orders/{order_id}/approvals",
        json={"decision": "reject", "comment": "price too low"},
    )
    await desk.status_is(order_id, "REJECTED")
    assert await desk.available(sku) == 3
    assert "price too low" in (await desk.history(order_id))[-1]["reason"]


async def test_large_discounted_order_needs_supervisor_and_manager(desk: Desk) -> None:
    sku = await desk.product(price="1000.00", stock=20)
    order_id = await desk.order(sku, quantity=12, payment="cod", discount_pct="12")
    order = await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert sorted(a["level"] for a in order["approvals"]) == ["manager", "sales_supervisor"]
    wrong = await desk.call(
        "finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    assert wrong.status_code == 403
    # Sequential: the supervisor's level first, then the manager's.
    await desk.ok(
        "supervisor", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    order = await desk.status_is(order_id, "AWAITING_APPROVAL")
    again = await desk.call(
        "supervisor", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    assert again.status_code == 409  # their level is decided; the manager level is not theirs
    await desk.ok("manager", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "SHIPPED")


async def test_creator_may_not_approve_their_own_order(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, payment="cod", user="supervisor", discount_pct="20")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    own = await desk.call(
        "supervisor", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    assert own.status_code == 403
    inbox = await desk.ok("supervisor", "GET", "/approvals")
    assert order_id not in [i["order_id"] for i in inbox["items"]]
    # A raw update that bypasses the API is refused by the workflow itself.
    from temporalio.client import WorkflowUpdateFailedError

    from domain.messages import ApprovalDecisionInput

    with pytest.raises(WorkflowUpdateFailedError):
        await desk.handle(order_id).execute_update(
            "decide",
            ApprovalDecisionInput(
                level="sales_supervisor",
                decision="approve",
                decided_by="supervisor",
                role="sales_supervisor",
            ),
        )
    sales = await desk.call(
        "sales2", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    assert sales.status_code == 403
    await desk.ok("manager", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "SHIPPED")


async def test_credit_over_limit_needs_finance(desk: Desk) -> None:
    sku = await desk.product(price="500.00", stock=3)
    customer = await desk.customer(credit_limit="300")
    order_id = await desk.order(sku, payment="credit", customer_id=customer)
    order = await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert [a["level"] for a in order["approvals"]] == ["finance"]
    assert any("credit limit" in r for r in order["review_reasons"])
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "SHIPPED")


async def test_approval_timeout_rejects_and_releases(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=2)
    order_id = await desk.order(sku, payment="cod", discount_pct="30")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.env.sleep(timedelta(days=3, hours=1))
    order = await desk.status_is(order_id, "REJECTED")
    assert order["approvals"][0]["status"] == "expired"
    assert "timeout" in (await desk.history(order_id))[-1]["reason"]
    assert await desk.available(sku) == 2


async def test_backorder_is_served_by_a_receipt_in_order_of_arrival(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=0)
    first = await desk.order(sku, quantity=2, payment="cod")
    await desk.status_is(first, "AWAITING_STOCK")
    second = await desk.order(sku, quantity=1, payment="cod")
    await desk.status_is(second, "AWAITING_STOCK")
    await desk.receive(sku, 2, warehouse="WH2")
    await desk.status_is(first, "SHIPPED")
    order = await desk.status_is(second, "AWAITING_STOCK")
    assert order["reservations"] == []
    await desk.receive(sku, 1)
    await desk.status_is(second, "SHIPPED")


async def test_backorder_wait_ends_in_cancellation(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    order_id = await desk.order(sku, quantity=3, payment="cod")
    await desk.status_is(order_id, "AWAITING_STOCK")
    await desk.env.sleep(timedelta(days=15))
    await desk.status_is(order_id, "CANCELLED")
    assert "backorder" in (await desk.history(order_id))[-1]["reason"]
    await desk.receive(sku, 5)
    assert await desk.available(sku) == 6  # the cancelled order took nothing


async def test_review_rejects_credit_terms_for_a_customer_on_hold(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    customer = await desk.customer()
    from sqlalchemy import update

    from db.models import Customer

    async with desk.sessions.begin() as session:
        await session.execute(
            update(Customer).where(Customer.id == customer).values(on_credit_hold=True)
        )
    order_id = await desk.order(sku, payment="credit", customer_id=customer)
    order = await desk.status_is(order_id, "REJECTED")
    assert "credit hold" in order["review_reasons"][0]
    assert await desk.available(sku) == 1


@pytest.mark.parametrize("stage", ["AWAITING_STOCK", "AWAITING_APPROVAL", "AWAITING_PAYMENT"])
async def test_cancel_at_each_waiting_stage_compensates(desk: Desk, stage: str) -> None:
    sku = await desk.product(price="100.00", stock=0 if stage == "AWAITING_STOCK" else 4)
    line = {"discount_pct": "25"} if stage == "AWAITING_APPROVAL" else {}
    order_id = await desk.order(sku, quantity=2, payment="prepaid", user="sales1", **line)
    await desk.status_is(order_id, stage)
    if stage == "AWAITING_PAYMENT":
        await desk.ok(
            "finance",
            "POST",
            f"/orders/{order_id}/payments",
            json={"reference": f"dep-{order_id}", "amount": "50.00", "method": "card"},
        )
    other_sales = await desk.call(
        "sales2",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "x"},
    )
    assert other_sales.status_code == 404  # another rep's order is out of sales2's scope
    result = await desk.ok(
        "sales1",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "customer changed their mind"},
    )
    assert result["status"] == "CANCELLED"
    audited = [h for h in await desk.history(order_id) if h["action"] == "order.cancel"]
    assert [(a["actor"], a["result"]) for a in audited] == [("sales1", "CANCELLED")]
    assert (await desk.get(order_id))["cancel_reason_code"] == "customer_request"
    order = await desk.get(order_id)
    assert all(r["status"] == "released" for r in order["reservations"])
    assert await desk.available(sku) == (0 if stage == "AWAITING_STOCK" else 4)
    if stage == "AWAITING_PAYMENT":
        assert sorted(p["amount"] for p in order["payments"]) == ["-50.00", "50.00"]
    again = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "again"},
    )
    assert again.status_code == 409


async def test_cancel_once_the_parcel_is_in_transit_is_refused(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    order_id = await desk.order(sku, payment="cod")
    order = await desk.status_is(order_id, "SHIPPED")
    await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "in_transit", "tracking_number": order["shipments"][0]["tracking_number"]},
    )
    refused = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "late"},
    )
    assert refused.status_code == 409
    assert (await desk.get(order_id))["status"] == "SHIPPED"


async def test_racing_approve_and_reject_have_one_winner(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=2)
    order_id = await desk.order(sku, payment="cod", discount_pct="20")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    url = f"/orders/{order_id}/approvals"
    approve, reject = await asyncio.gather(
        desk.call("supervisor", "POST", url, json={"decision": "approve"}),
        desk.call("manager", "POST", url, json={"decision": "reject"}),
    )
    assert sorted([approve.status_code, reject.status_code]) == [200, 409]
    won = "approved" if approve.status_code == 200 else "rejected"
    order = await desk.status_is(order_id, "SHIPPED" if won == "approved" else "REJECTED")
    assert [a["status"] for a in order["approvals"]] == [won]
    history = await desk.history(order_id)
    decisions = [h for h in history if h["kind"] == "history" and " approval: " in h["reason"]]
    assert [d["reason"] for d in decisions] == [f"sales_supervisor approval: {won}"]
    audited = sorted(h["result"] for h in history if h["action"] == "approval.decide")
    assert audited == sorted(["conflict", "approve" if won == "approved" else "reject"])
