"""Each shortage choice end to end, on the time-skipping server with real activities: cancel at
once, ship what there is and the rest later, a substitute the customer accepts, declines or
lets lapse, backorder with the expected date, and customer service changing the choice while
the order waits. After each story, the stock invariants hold."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import Notification
from tests.harness import Desk, checked_desk, eventually, new_customer
from tests.workflows.test_paths import status_path


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def product(desk: Desk, price: str, wh2: int, substitutes: list[str] | None = None) -> str:
    sku = await desk.product(price=price, stock=0)
    if substitutes:
        await desk.ok(
            "admin",
            "POST",
            "/products",
            json={
                "sku": sku,
                "name": "Test item",
                "unit_price": price,
                "weight_kg": "1.0",
                "substitutes": substitutes,
            },
        )
    if wh2:
        await desk.receive(sku, wh2, "WH2")
    return sku


async def order(desk: Desk, sku: str, quantity: int, on_shortage: str) -> str:
    body = {
        "channel": "web",
        "customer": new_customer(),
        "lines": [{"sku": sku, "quantity": quantity}],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
        "on_shortage": on_shortage,
    }
    return str((await desk.ok("sales1", "POST", "/orders", json=body))["order_id"])


async def deliver_all(desk: Desk, order_id: str) -> Any:
    for shipment in (await desk.get(order_id))["shipments"]:
        await desk.ok(
            "warehouse",
            "POST",
            f"/orders/{order_id}/shipment-events",
            json={"event": "delivered", "tracking_number": shipment["tracking_number"]},
        )
    return await desk.status_is(order_id, "COMPLETED")


async def test_cancel_ends_the_order_at_once_holding_nothing(desk: Desk) -> None:
    sku = await product(desk, "10.00", wh2=1)
    order_id = await order(desk, sku, 2, "cancel")
    cancelled = await desk.status_is(order_id, "CANCELLED")
    assert cancelled["cancel_reason_code"] == "out_of_stock"
    history = await desk.history(order_id)
    assert history[-1]["reason"].startswith("out_of_stock")
    assert await desk.available(sku) == 1


async def test_partial_ships_what_there_is_and_the_rest_when_it_arrives(desk: Desk) -> None:
    sku = await product(desk, "10.00", wh2=2)
    order_id = await order(desk, sku, 5, "partial")
    first = await desk.status_is(order_id, "PARTIALLY_SHIPPED")
    assert [(r["quantity"], r["status"]) for r in first["reservations"]] == [(2, "shipped")]
    assert len(first["shipments"]) == 1 and first["shipments"][0]["tracking_number"]
    # The first parcel may arrive before the rest leaves.
    await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "delivered", "tracking_number": first["shipments"][0]["tracking_number"]},
    )
    assert (await desk.get(order_id))["status"] == "PARTIALLY_SHIPPED"
    await desk.receive(sku, 3, "WH1")
    shipped = await desk.status_is(order_id, "SHIPPED")
    assert sorted(r["quantity"] for r in shipped["reservations"]) == [2, 3]
    assert {s["warehouse"] for s in shipped["shipments"]} == {"WH1", "WH2"}
    done = await deliver_all(desk, order_id)
    assert Decimal(done["paid_total"]) == Decimal(done["totals"]["total"])
    assert status_path(await desk.history(order_id)) == [
        "RECEIVED",
        "UNDER_REVIEW",
        "READY_TO_SHIP",
        "PICKING",
        "PARTIALLY_SHIPPED",
        "SHIPPED",
        "DELIVERED",
        "COMPLETED",
    ]


async def substitution_link(desk: Desk, order_id: str) -> str:
    """The link as the customer receives it, from the outbox table the mail sender reads."""

    async def sent() -> Any:
        async with desk.sessions() as session:
            return await session.scalar(
                select(Notification.body).where(
                    Notification.order_id == order_id, Notification.kind == "substitution"
                )
            )

    body = await eventually(sent)
    found = re.search(r"/substitutions/[\w.\-]+", body)
    assert found
    return found.group(0)


async def test_an_accepted_substitute_is_reserved_and_re_priced(desk: Desk) -> None:
    cheaper = await product(desk, "40.00", wh2=5)
    dearer = await product(desk, "60.00", wh2=5)
    wanted = await product(desk, "50.00", wh2=0, substitutes=[dearer, cheaper])
    order_id = await order(desk, wanted, 2, "substitute")
    waiting = await desk.status_is(order_id, "AWAITING_CUSTOMER")
    # Never dearer than the line: the 60.00 one is passed over.
    assert waiting["substitution"] == {
        "lines": [{"sku": wanted, "substitute": cheaper, "quantity": 2}],
        "status": "proposed",
    }
    link = await substitution_link(desk, order_id)
    # A confirmation link is not a substitution link, nor the other way round.
    assert (
        await desk.http.post(
            link.replace("substitutions", "confirmations"), json={"decision": "confirm"}
        )
    ).status_code == 403
    answered = await desk.http.post(link, json={"decision": "accept"})
    assert answered.status_code == 200, answered.text
    done = await desk.status_is(order_id, "SHIPPED")
    assert [line["sku"] for line in done["lines"]] == [cheaper]
    assert Decimal(done["totals"]["subtotal"]) == Decimal("80.00")
    assert done["substitution"]["status"] == "accepted"
    assert [r["sku"] for r in done["reservations"]] == [cheaper]
    again = await desk.http.post(link, json={"decision": "accept"})
    assert again.status_code == 409


async def test_a_declined_or_lapsed_substitute_falls_back_to_backorder(desk: Desk) -> None:
    spare = await product(desk, "10.00", wh2=5)
    wanted = await product(desk, "10.00", wh2=0, substitutes=[spare])
    declined = await order(desk, wanted, 1, "substitute")
    await desk.status_is(declined, "AWAITING_CUSTOMER")
    await desk.ok(
        "service", "POST", f"/orders/{declined}/substitution", json={"decision": "decline"}
    )
    await desk.status_is(declined, "AWAITING_STOCK")
    assert (await desk.get(declined))["substitution"]["status"] == "declined"

    lapsed = await order(desk, wanted, 1, "substitute")
    await desk.status_is(lapsed, "AWAITING_CUSTOMER")
    await desk.env.sleep(timedelta(days=3))  # past the two days the proposal waits
    await desk.status_is(lapsed, "AWAITING_STOCK")
    assert (await desk.get(lapsed))["substitution"]["status"] == "expired"
    # Backordered: a receipt serves them.
    await desk.receive(wanted, 2, "WH2")
    await desk.status_is(declined, "SHIPPED")
    await desk.status_is(lapsed, "SHIPPED")


async def test_backorder_shows_when_stock_is_expected_and_service_may_change_the_choice(
    desk: Desk,
) -> None:
    sku = await product(desk, "10.00", wh2=0)
    await desk.receive(sku, 4, "WH1")
    due = (date.today() + timedelta(days=5)).isoformat()
    await desk.ok(
        "warehouse",
        "POST",
        "/inventory/transfers",
        json={
            "sku": sku,
            "from_warehouse": "WH1",
            "to_warehouse": "WH2",
            "quantity": 4,
            "expected_on": due,
        },
    )
    order_id = await order(desk, sku, 3, "backorder")
    waiting = await desk.status_is(order_id, "AWAITING_STOCK")
    assert waiting["expected_stock_date"] == due
    assert any(due in (h["reason"] or "") for h in await desk.history(order_id))
    # The warehouse may not change it; customer service may.
    refused = await desk.call(
        "warehouse", "PUT", f"/orders/{order_id}/shortage", json={"on_shortage": "cancel"}
    )
    assert refused.status_code == 403
    await desk.ok("service", "PUT", f"/orders/{order_id}/shortage", json={"on_shortage": "cancel"})
    cancelled = await desk.status_is(order_id, "CANCELLED")
    assert cancelled["on_shortage"] == "cancel"
    late = await desk.call(
        "service", "PUT", f"/orders/{order_id}/shortage", json={"on_shortage": "partial"}
    )
    assert late.status_code == 409


async def test_an_accepted_substitute_is_reviewed_again(desk: Desk) -> None:
    """A substitute may change what the order needs: here a hazardous product, which the
    policy sends to a manager."""
    policy = (await desk.ok("admin", "GET", "/policies/approval"))["document"]
    policy["rules"].append(
        {
            "id": "hazmat",
            "description": "hazardous goods need a manager",
            "when": {"categories": ["hazardous"]},
            "level": "manager",
        }
    )
    await desk.ok("admin", "PUT", "/policies/approval", json={"document": policy, "comment": "t"})
    hazardous = f"SKU-{uuid.uuid4().hex[:10]}"
    await desk.ok(
        "admin",
        "POST",
        "/products",
        json={
            "sku": hazardous,
            "name": "Solvent",
            "unit_price": "10.00",
            "weight_kg": "1",
            "category": "hazardous",
        },
    )
    await desk.receive(hazardous, 3, "WH2")
    wanted = await product(desk, "10.00", wh2=0, substitutes=[hazardous])
    order_id = await order(desk, wanted, 1, "substitute")
    await desk.status_is(order_id, "AWAITING_CUSTOMER")
    assert (await desk.get(order_id))["approvals"] == []
    await desk.ok(
        "service", "POST", f"/orders/{order_id}/substitution", json={"decision": "accept"}
    )
    waiting = await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert [a["level"] for a in waiting["approvals"]] == ["manager"]
    assert any("category hazardous" in r for r in waiting["review_reasons"])
    await desk.ok("manager", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "SHIPPED")


async def test_an_announced_receipt_dates_the_backorder_and_booking_it_serves_the_order(
    desk: Desk,
) -> None:
    sku = await product(desk, "10.00", wh2=0)
    due = (date.today() + timedelta(days=3)).isoformat()
    announced = await desk.ok(
        "warehouse",
        "POST",
        "/inventory/expected-receipts",
        json={"sku": sku, "warehouse": "WH2", "quantity": 5, "expected_on": due},
    )
    assert announced["status"] == "open"
    past = await desk.call(
        "warehouse",
        "POST",
        "/inventory/expected-receipts",
        json={"sku": sku, "warehouse": "WH2", "quantity": 5, "expected_on": "2020-01-01"},
    )
    assert past.status_code == 422 and "expected_on" in past.text
    order_id = await order(desk, sku, 2, "backorder")
    waiting = await desk.status_is(order_id, "AWAITING_STOCK")
    assert waiting["expected_stock_date"] == due
    inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
    assert [(e["quantity"], e["expected_on"]) for e in inventory["expected"]] == [(5, due)]
    booked = await desk.ok(
        "warehouse",
        "POST",
        "/inventory/receipts",
        json={
            "sku": sku,
            "warehouse": "WH2",
            "quantity": 5,
            "expected_receipt_id": announced["expected_receipt_id"],
        },
    )
    assert booked["expected"] == []
    served = await desk.status_is(order_id, "SHIPPED")
    assert served["expected_stock_date"] is None
    twice = await desk.call(
        "warehouse",
        "POST",
        "/inventory/receipts",
        json={
            "sku": sku,
            "warehouse": "WH2",
            "quantity": 5,
            "expected_receipt_id": announced["expected_receipt_id"],
        },
    )
    assert twice.status_code == 422 and "expected_receipt_id" in twice.text
