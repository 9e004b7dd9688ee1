"""Pre-sale orders end to end on the time-skipping server: a product released a month from
now, a cap on its pre-sale units, places taken by paying deposits, stock received before the
release serving nobody, places served in order once released, the balance due then, and a
customer's cancellation before the release refunded as the policy says."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from domain.policy import DEFAULT_POLICY
from tests.harness import Desk, checked_desk, order_body

D = Decimal
CENT = D("0.01")


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def today(sessions: SessionFactory) -> date:
    async with sessions() as session:
        day = await session.scalar(select(func.current_date()))
    assert isinstance(day, date)
    return day


async def presale_product(desk: Desk, release: date, cap: int | None, **deposit: str) -> str:
    sku = f"PRE-{uuid.uuid4().hex[:10]}"
    presale: dict[str, Any] = {"release_date": release.isoformat(), **deposit}
    if cap is not None:
        presale["cap"] = cap
    product = {"sku": sku, "name": "Console X", "unit_price": "100.00", "weight_kg": "1.0"}
    out = await desk.ok("admin", "POST", "/products", json={**product, "presale": presale})
    assert out["presale"]["release_date"] == release.isoformat()
    return sku


async def presale_order(desk: Desk, sku: str, quantity: int = 1) -> Any:
    customer_id = await desk.customer()
    body = {**order_body(customer_id, sku, quantity, "prepaid"), "type": "presale"}
    return await desk.call("shop", "POST", "/orders", json=body)


def refused_for(response: Any, *field: str | int) -> bool:
    """A 422 naming this field of the body."""
    return response.status_code == 422 and any(
        tuple(d["loc"][1:]) == field for d in response.json()["detail"]
    )


async def pay(desk: Desk, order_id: str, amount: str, what: str) -> None:
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"{what}-{order_id}", "amount": amount, "method": "card"},
    )


async def test_presale_places_are_served_in_deposit_order_after_the_release(
    desk: Desk, sessions: SessionFactory
) -> None:
    release = await today(sessions) + timedelta(days=30)
    sku = await presale_product(desk, release, cap=3, deposit_pct="20")

    # Before the release the product is sold as pre-sale only, and pre-sale is prepaid.
    customer_id = await desk.customer()
    standard = await desk.call("shop", "POST", "/orders", json=order_body(customer_id, sku))
    assert refused_for(standard, "lines", 0, "sku"), standard.text
    cod = {**order_body(customer_id, sku, 1, "cod"), "type": "presale"}
    refused = await desk.call("shop", "POST", "/orders", json=cod)
    assert refused_for(refused, "payment", "method"), refused.text

    ids = []
    for _ in range(3):
        response = await presale_order(desk, sku)
        assert response.status_code == 201, response.text
        ids.append(response.json()["order_id"])
    first, second, third = ids
    over = await presale_order(desk, sku)
    assert over.status_code == 409 and "capped at 3" in over.text, over.text

    orders = {i: await desk.status_is(i, "AWAITING_DEPOSIT") for i in ids}
    for order in orders.values():
        assert order["type"] == "presale"
        assert order["presale"] == {"release_date": release.isoformat(), "queue_place": None}
        total = D(order["totals"]["total"])
        assert D(order["deposit"]) == (total * D("0.20")).quantize(CENT)

    # The second order pays first: it takes place 1; the first takes place 2.
    await pay(desk, second, orders[second]["deposit"], "deposit")
    assert (await desk.status_is(second, "QUEUED"))["presale"]["queue_place"] == 1
    await pay(desk, first, orders[first]["deposit"], "deposit")
    assert (await desk.status_is(first, "QUEUED"))["presale"]["queue_place"] == 2
    await pay(desk, third, orders[third]["deposit"], "deposit")
    assert (await desk.status_is(third, "QUEUED"))["presale"]["queue_place"] == 3

    # The third customer gives up before the release; this desk's policy gives back half.
    half_back = DEFAULT_POLICY.cancellation.model_copy(
        update={"presale_deposit_refund_pct": D("50")}
    )
    document = DEFAULT_POLICY.model_copy(update={"cancellation": half_back})
    await desk.ok(
        "admin",
        "PUT",
        "/policies/approval",
        json={"document": document.model_dump(mode="json"), "comment": "half back"},
    )
    await desk.ok(
        "service",
        "POST",
        f"/orders/{third}/cancel",
        json={"reason_code": "customer_request", "comment": "changed my mind"},
    )
    cancelled = await desk.status_is(third, "CANCELLED")
    refunds = [p for p in cancelled["payments"] if p["kind"] == "refund"]
    half = (D(orders[third]["deposit"]) / 2).quantize(CENT)
    assert [D(p["amount"]) for p in refunds] == [-half]
    assert cancelled["presale"]["queue_place"] is None  # its place is given up
    assert (await desk.get(first))["presale"]["queue_place"] == 2
    # Its units are free again under the cap.
    again = await presale_order(desk, sku)
    assert again.status_code == 201, again.text

    # Stock received before the release serves no place.
    await desk.receive(sku, 1)
    assert (await desk.get(second))["status"] == "QUEUED"
    assert await desk.available(sku) == 1

    await desk.env.sleep(timedelta(days=31))
    # Released: the first place gets the one unit; its balance falls due.
    served = await desk.status_is(second, "AWAITING_PAYMENT")
    waiting = await desk.status_is(first, "AWAITING_STOCK")
    assert waiting["presale"]["queue_place"] == 1
    assert served["presale"]["queue_place"] is None
    await desk.receive(sku, 1)
    await desk.status_is(first, "AWAITING_PAYMENT")

    for order_id in (second, first):
        order = orders[order_id]
        total, deposit = D(order["totals"]["total"]), D(order["deposit"])
        await pay(desk, order_id, str(total - deposit), "balance")
        shipped = await desk.status_is(order_id, "SHIPPED", timeout=60)
        paid = [D(p["amount"]) for p in shipped["payments"] if p["kind"] == "payment"]
        assert paid == [deposit, total - deposit] and sum(paid) == total
    # The order placed after the cancellation never paid its deposit: cancelled in time.
    late = await desk.status_is(again.json()["order_id"], "CANCELLED")
    assert late["cancel_reason_code"] == "payment_failed"


async def test_concurrent_presale_orders_never_pass_the_cap(
    desk: Desk, sessions: SessionFactory
) -> None:
    release = await today(sessions) + timedelta(days=30)
    sku = await presale_product(desk, release, cap=5, deposit_pct="10")
    responses = await asyncio.gather(*(presale_order(desk, sku) for _ in range(8)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 5 + [409] * 3, [r.text for r in responses]


async def test_a_presale_order_is_approved_before_its_deposit_and_not_changed(
    desk: Desk, sessions: SessionFactory
) -> None:
    release = await today(sessions) + timedelta(days=10)
    sku = await presale_product(desk, release, cap=None, deposit_amount="15.00")
    customer_id = await desk.customer()
    # A 15 % discount asks a sales supervisor first.
    body = {**order_body(customer_id, sku, 2, "prepaid", discount_pct="15"), "type": "presale"}
    order_id = (await desk.ok("shop", "POST", "/orders", json=body))["order_id"]
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok(
        "supervisor", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    order = await desk.status_is(order_id, "AWAITING_DEPOSIT")
    assert D(order["deposit"]) == D("30.00")  # 15 per unit
    change = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/changes",
        json={"lines": [{"sku": sku, "quantity": 3}], "reason": "one more"},
    )
    assert change.status_code == 409 and "pre-sale" in change.text, change.text
    # A customer who cancels before paying anything gets nothing back (nothing was paid).
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request"},
    )
    cancelled = await desk.status_is(order_id, "CANCELLED")
    assert cancelled["payments"] == []
