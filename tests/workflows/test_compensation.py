"""A cancellation at every status an order can be cancelled in puts everything back: the stock
it held (or had booked with the carrier) is available again, an issued invoice is void, every
payment is refunded; and each undoing is a step in the order's history. Once the carrier has
picked the parcel up, cancelling is refused (a return is the way)."""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk

STOCK = 5


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def pay(desk: Desk, order_id: str, amount: str) -> None:
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"pay-{order_id}", "amount": amount, "method": "card"},
    )


async def reach(desk: Desk, status: str) -> tuple[str, str]:
    """An order of 2 x 100.00 (238.00 with tax) in the status, paid where it can be."""
    if status == "AWAITING_STOCK":
        sku = await desk.product(price="100.00", stock=1)
        order_id = await desk.order(sku, quantity=2, payment="prepaid")
    elif status == "AWAITING_APPROVAL":
        sku = await desk.product(price="100.00", stock=STOCK)
        order_id = await desk.order(sku, quantity=2, payment="prepaid", discount_pct="15")
    else:
        sku = await desk.product(price="100.00", stock=STOCK)
        order_id = await desk.order(sku, quantity=2, payment="prepaid")
        await desk.status_is(order_id, "AWAITING_PAYMENT")
        if status == "AWAITING_PAYMENT":
            await pay(desk, order_id, "100.00")  # half: the order still waits
        else:
            await pay(desk, order_id, "238.00")
    await desk.status_is(order_id, status)
    return order_id, sku


@pytest.mark.parametrize(
    "status", ["AWAITING_STOCK", "AWAITING_APPROVAL", "AWAITING_PAYMENT", "SHIPPED"]
)
async def test_a_cancellation_puts_stock_invoice_and_payments_back(desk: Desk, status: str) -> None:
    order_id, sku = await reach(desk, status)
    before = await desk.get(order_id)
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request"},
    )
    order = await desk.status_is(order_id, "CANCELLED")
    assert await desk.available(sku) == (1 if status == "AWAITING_STOCK" else STOCK)
    assert all(r["status"] != "reserved" for r in order["reservations"])
    assert Decimal(order["paid_total"]) == Decimal("0.00")
    refunds = sum(Decimal(p["amount"]) for p in order["payments"] if p["kind"] == "refund")
    paid = sum(Decimal(p["amount"]) for p in before["payments"] if p["kind"] == "payment")
    assert -refunds == paid
    steps = [h["reason"] for h in await desk.history(order_id) if "compensation" in h["reason"]]
    if status == "SHIPPED":
        # Booked, not yet picked up: withdrawn from the carrier, the goods back on hand.
        assert before["invoice"]["status"] == "paid"  # prepaid
        # Never voided: credited in full by a credit note that names it.
        assert order["invoice"]["status"] == "credited"
        [note] = order["credit_notes"]
        assert (note["invoice_number"], note["reason"]) == (
            order["invoice"]["number"],
            "cancellation",
        )
        assert note["total"] == order["invoice"]["total"] == "238.00"
        assert [s["status"] for s in order["shipments"]] == ["withdrawn"]
        assert any("withdrawn from" in s for s in steps)
        assert any("credit note(s) CN-" in s for s in steps)
    if paid:
        assert any(f"refunded {paid:.2f}" in s for s in steps)


async def test_once_the_carrier_has_the_parcel_cancelling_is_refused(desk: Desk) -> None:
    order_id, sku = await reach(desk, "SHIPPED")
    tracking = (await desk.get(order_id))["shipments"][0]["tracking_number"]
    await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "picked_up", "tracking_number": tracking},
    )
    refused = await desk.call(
        "service", "POST", f"/orders/{order_id}/cancel", json={"reason_code": "other"}
    )
    assert refused.status_code == 409
    order: Any = await desk.get(order_id)
    assert order["status"] == "SHIPPED" and order["invoice"]["status"] == "paid"
    assert await desk.available(sku) == STOCK - 2
