"""Returns: authorized within the window for what was delivered, run by their own workflow;
received goods restocked or written off; refunded (never beyond what was paid) or exchanged;
a full return makes the order RETURNED; goods that never come expire the return."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import ShipmentEvent
from tests.harness import Desk, checked_desk, eventually, order_body


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def delivered_order(desk: Desk, quantities: dict[str, int]) -> Any:
    """A prepaid order, paid, shipped and delivered: COMPLETED."""
    customer = await desk.customer()
    body = order_body(customer, "unused")
    body["lines"] = [{"sku": sku, "quantity": q} for sku, q in quantities.items()]
    order_id = (await desk.ok("shop", "POST", "/orders", json=body))["order_id"]
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"pay-{order_id}", "amount": order["totals"]["total"], "method": "card"},
    )
    order = await desk.status_is(order_id, "SHIPPED")
    for shipment in order["shipments"]:
        await desk.ok(
            "warehouse",
            "POST",
            f"/orders/{order_id}/shipment-events",
            json={"event": "delivered", "tracking_number": shipment["tracking_number"]},
        )
    return await desk.status_is(order_id, "COMPLETED")


async def authorize(desk: Desk, order_id: str, lines: dict[str, int], **body: Any) -> Any:
    return await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/returns",
        json={
            "lines": [{"sku": s, "quantity": q} for s, q in lines.items()],
            "reason_code": body.pop("reason_code", "damaged"),
            "resolution": body.pop("resolution", "refund"),
            **body,
        },
    )


async def receive(desk: Desk, rma: str, lines: list[tuple[str, int, str]]) -> Any:
    return await desk.call(
        "warehouse",
        "POST",
        f"/returns/{rma}/receive",
        json={
            "warehouse": "WH1",
            "lines": [{"sku": s, "quantity": q, "condition": c} for s, q, c in lines],
        },
    )


async def return_is(desk: Desk, rma: str, status: str) -> Any:
    async def check() -> Any:
        ret = await desk.ok("admin", "GET", f"/returns/{rma}")
        return ret if ret["status"] == status else None

    return await eventually(check)


async def test_a_partial_return_is_refunded_and_the_order_stays_completed(desk: Desk) -> None:
    sku = await desk.product(price="50.00", stock=5)
    order = await delivered_order(desk, {sku: 2})
    order_id = order["order_id"]
    answer = await authorize(desk, order_id, {sku: 1}, comment="scratched")
    assert answer.status_code == 201, answer.text
    ret = answer.json()
    assert ret["status"] == "authorized" and ret["workflow_id"] == f"return-{ret['rma']}"
    listed = (await desk.get(order_id))["returns"]
    assert [(r["rma"], r["status"]) for r in listed] == [(ret["rma"], "authorized")]
    before = await desk.available(sku)
    received = await receive(desk, ret["rma"], [(sku, 1, "sellable")])
    assert received.status_code == 200, received.text
    done = await return_is(desk, ret["rma"], "refunded")
    # 50.00 plus 19 % tax: what one unit was sold for.
    assert Decimal(done["refunded"]) == Decimal("59.50")
    assert done["lines"] == [{"sku": sku, "quantity": 1, "sellable": 1, "damaged": 0}]
    assert await desk.available(sku) == before + 1
    # The same receipt again (a client that lost the answer retries): the return as it is,
    # nothing booked twice; a different one is 409.
    again = await receive(desk, ret["rma"], [(sku, 1, "sellable")])
    assert again.status_code == 200 and again.json()["status"] == "refunded", again.text
    assert await desk.available(sku) == before + 1
    other = await receive(desk, ret["rma"], [(sku, 1, "damaged")])
    assert other.status_code == 409
    order = await desk.get(order_id)
    assert order["status"] == "COMPLETED"
    refunds = [p for p in order["payments"] if p["kind"] == "refund"]
    assert [Decimal(p["amount"]) for p in refunds] == [Decimal("-59.50")]
    assert Decimal(order["paid_total"]) == Decimal("59.50")


async def test_a_full_return_makes_the_order_returned_and_writes_off_the_damaged(
    desk: Desk,
) -> None:
    sku = await desk.product(price="50.00", stock=5)
    order = await delivered_order(desk, {sku: 2})
    order_id = order["order_id"]
    rma = (await authorize(desk, order_id, {sku: 2})).json()["rma"]
    before = await desk.available(sku)
    received = await receive(desk, rma, [(sku, 1, "sellable"), (sku, 1, "damaged")])
    assert received.status_code == 200, received.text
    done = await return_is(desk, rma, "refunded")
    assert Decimal(done["refunded"]) == Decimal("119.00")
    assert done["lines"][0] == {"sku": sku, "quantity": 2, "sellable": 1, "damaged": 1}
    assert await desk.available(sku) == before + 1  # the damaged one is written off
    order = await desk.status_is(order_id, "RETURNED")
    assert Decimal(order["paid_total"]) == Decimal("0.00")
    again = await receive(desk, rma, [(sku, 1, "sellable")])
    assert again.status_code == 409


async def test_a_retry_overtaking_the_first_receipt_books_it_once(desk: Desk) -> None:
    sku = await desk.product(price="20.00", stock=5)
    order = await delivered_order(desk, {sku: 2})
    ret = (await authorize(desk, order["order_id"], {sku: 2})).json()
    before = await desk.available(sku)
    # The receipt and a client's retry of it at the same moment: both find the return
    # authorized and both reach its workflow; one books the goods, both answer with it.
    first, second = await asyncio.gather(
        receive(desk, ret["rma"], [(sku, 2, "sellable")]),
        receive(desk, ret["rma"], [(sku, 2, "sellable")]),
    )
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    await return_is(desk, ret["rma"], "refunded")
    assert await desk.available(sku) == before + 2
    # A different receipt racing in stays refused.
    late = await receive(desk, ret["rma"], [(sku, 1, "damaged")])
    assert late.status_code == 409


async def test_an_exchange_sends_the_same_goods_again(desk: Desk) -> None:
    sku = await desk.product(price="50.00", stock=5)
    order = await delivered_order(desk, {sku: 1})
    order_id = order["order_id"]
    rma = (
        await authorize(desk, order_id, {sku: 1}, resolution="exchange", reason_code="wrong_item")
    ).json()["rma"]
    before = await desk.available(sku)
    assert (await receive(desk, rma, [(sku, 1, "damaged")])).status_code == 200
    done = await return_is(desk, rma, "exchanged")
    assert done["refunded"] is None
    order = await desk.get(order_id)
    exchange = [s for s in order["shipments"] if s["id"] == done["exchange_shipment_id"]]
    assert exchange and exchange[0]["tracking_number"] is not None
    assert await desk.available(sku) == before - 1  # a new one went out, the broken one not back
    assert order["status"] == "COMPLETED"
    assert [p["kind"] for p in order["payments"]] == ["payment"]


async def test_more_than_was_delivered_is_refused_naming_the_line(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    other = await desk.product(price="10.00", stock=5)
    order = await delivered_order(desk, {sku: 2})
    order_id = order["order_id"]
    assert (await authorize(desk, order_id, {sku: 1})).status_code == 201
    over = await authorize(desk, order_id, {sku: 2})
    assert over.status_code == 422
    assert over.json()["detail"][0]["loc"] == ["body", "lines", 0, "quantity"]
    never = await authorize(desk, order_id, {other: 1})
    assert never.status_code == 422
    twice = await authorize(desk, order_id, {sku: 1}, reason_code="nope")
    assert twice.status_code == 422
    assert len((await desk.get(order_id))["returns"]) == 1


async def test_received_goods_are_checked_against_the_return(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    order = await delivered_order(desk, {sku: 2})
    rma = (await authorize(desk, order["order_id"], {sku: 1})).json()["rma"]
    too_many = await receive(desk, rma, [(sku, 1, "sellable"), (sku, 1, "damaged")])
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "lines", 1, "quantity"]
    nowhere = await desk.call(
        "warehouse",
        "POST",
        f"/returns/{rma}/receive",
        json={"warehouse": "XX9", "lines": [{"sku": sku, "quantity": 1, "condition": "sellable"}]},
    )
    assert nowhere.status_code == 422 and "warehouse" in nowhere.text
    assert (await desk.ok("admin", "GET", f"/returns/{rma}"))["status"] == "authorized"


async def test_returns_are_taken_after_delivery_and_within_the_window(
    desk: Desk, sessions: SessionFactory
) -> None:
    sku = await desk.product(price="10.00", stock=5)
    order_id = await desk.order(sku, quantity=1, payment="cod")
    await desk.status_is(order_id, "SHIPPED")
    early = await authorize(desk, order_id, {sku: 1})
    assert early.status_code == 409 and "delivered" in early.text
    order = await delivered_order(desk, {sku: 1})
    async with sessions.begin() as session:
        tracking = order["shipments"][0]["tracking_number"]
        await session.execute(
            update(ShipmentEvent)
            .where(ShipmentEvent.tracking_number == tracking)
            .values(occurred_at=ShipmentEvent.occurred_at - timedelta(days=31))
        )
    late = await authorize(desk, order["order_id"], {sku: 1})
    assert late.status_code == 409 and "30 days" in late.text
    assert (await desk.get(order["order_id"]))["returns"] == []


async def test_goods_that_never_arrive_expire_the_return(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    order = await delivered_order(desk, {sku: 1})
    rma = (await authorize(desk, order["order_id"], {sku: 1})).json()["rma"]
    await desk.env.sleep(timedelta(days=31))
    await return_is(desk, rma, "expired")
    assert (await receive(desk, rma, [(sku, 1, "sellable")])).status_code == 409
    # An expired return claims nothing: the goods may be returned again.
    assert (await authorize(desk, order["order_id"], {sku: 1})).status_code == 201


async def test_returned_stock_serves_an_order_waiting_for_it(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    order = await delivered_order(desk, {sku: 1})
    waiting = await desk.order(sku, quantity=1, payment="cod")
    await desk.status_is(waiting, "AWAITING_STOCK")
    rma = (await authorize(desk, order["order_id"], {sku: 1})).json()["rma"]
    assert (await receive(desk, rma, [(sku, 1, "sellable")])).status_code == 200
    await desk.status_is(waiting, "SHIPPED")
