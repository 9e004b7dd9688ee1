"""Changing a running order: a dry run's impact, a new version in each stage (re-priced,
reviewed again, stock adjusted by the difference), the address only once picking started and
with a supervisor's approval, nothing once shipped; versions with their diff."""

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk

PACKAGE = {"weight_kg": "2", "length_cm": 30, "width_cm": 20, "height_cm": 10}
ELSEWHERE = {
    "line1": "Jungfernstieg 7",
    "city": "Hamburg",
    "postal_code": "20354",
    "country": "DE",
}


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


@pytest.fixture
async def manual(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions, warehouse_confirmation="manual") as desk:
        yield desk


async def change(desk: Desk, user: str, order_id: str, **body: Any) -> Any:
    return await desk.call(user, "POST", f"/orders/{order_id}/changes", json=body)


def held(order: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in order["reservations"]:
        if r["status"] == "reserved":
            out[r["sku"]] = out.get(r["sku"], 0) + r["quantity"]
    return out


async def test_a_dry_run_answers_the_impact_and_changes_nothing(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=10)
    order_id = await desk.order(sku, quantity=1, payment="prepaid")
    before = await desk.status_is(order_id, "AWAITING_PAYMENT")
    answer = await change(
        desk,
        "sales1",
        order_id,
        lines=[{"sku": sku, "quantity": 3, "discount_pct": "15"}],
        reason="customer wants three, at the agreed discount",
        dry_run=True,
    )
    assert answer.status_code == 200, answer.text
    impact = answer.json()
    fields = {d["field"]: (d["before"], d["after"]) for d in impact["diff"]}
    assert fields[f"lines[{sku}].quantity"] == ("1", "3")
    assert fields[f"lines[{sku}].discount_pct"] == ("0.00", "15")
    assert Decimal(impact["totals_before"]["total"]) == Decimal("119.00")
    # 3 x 100 less 15 %, plus 19 % tax.
    assert Decimal(impact["totals_after"]["total"]) == Decimal("303.45")
    assert impact["approvals_needed"] == ["sales_supervisor"]
    assert impact["stock"] == [{"sku": sku, "reserve": 2, "release": 0}]
    assert impact["expected_ship_date"] is not None
    after = await desk.get(order_id)
    assert (after["version"], after["lines"], after["totals"]) == (
        1,
        before["lines"],
        before["totals"],
    )
    assert await desk.available(sku) == 9
    assert [
        v["version"] for v in await desk.ok("admin", "GET", f"/orders/{order_id}/versions")
    ] == [1]


async def test_a_change_after_approval_reprices_and_moves_stock_by_the_difference(
    desk: Desk,
) -> None:
    sku = await desk.product(price="50.00", stock=10)
    other = await desk.product(price="20.00", stock=5)
    order_id = await desk.order(sku, quantity=4, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert await desk.available(sku) == 6
    answer = await change(
        desk,
        "service",
        order_id,
        lines=[{"sku": sku, "quantity": 1}, {"sku": other, "quantity": 2}],
        reason="one less, two of the other",
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert held(order) == {sku: 1, other: 2}
    assert await desk.available(sku) == 9 and await desk.available(other) == 3
    # (50 + 40) plus 19 % tax.
    assert Decimal(order["totals"]["total"]) == Decimal("107.10")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"pay-{order_id}", "amount": "107.10", "method": "card"},
    )
    shipped = await desk.status_is(order_id, "SHIPPED")
    assert held(shipped) == {}
    assert await desk.available(sku) == 9 and await desk.available(other) == 3


async def test_a_change_before_the_review_finishes_is_reviewed_with_the_order(
    desk: Desk,
) -> None:
    sku = await desk.product(price="10.00", stock=10)
    order_id = await desk.order(sku, quantity=1, payment="prepaid")
    answer = await change(
        desk, "service", order_id, lines=[{"sku": sku, "quantity": 5}], reason="five, sorry"
    )
    assert answer.status_code == 200, answer.text
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert order["version"] == 2 and held(order) == {sku: 5}
    assert Decimal(order["totals"]["total"]) == Decimal("59.50")


async def test_a_change_that_needs_approval_opens_the_desk_and_its_maker_may_not_approve(
    desk: Desk,
) -> None:
    sku = await desk.product(price="100.00", stock=10)
    order_id = await desk.order(sku, quantity=2, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    answer = await change(
        desk,
        "supervisor",
        order_id,
        lines=[{"sku": sku, "quantity": 2, "discount_pct": "20"}],
        reason="loyalty discount",
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "AWAITING_APPROVAL"
    order = await desk.get(order_id)
    assert {a["level"]: a["status"] for a in order["approvals"]} == {"sales_supervisor": "pending"}
    refused = await desk.call(
        "supervisor",
        "POST",
        f"/orders/{order_id}/approvals",
        json={"decision": "approve"},
    )
    assert refused.status_code == 403 and "changed" in refused.text
    await desk.ok("manager", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "AWAITING_PAYMENT")


async def test_a_change_while_awaiting_approval_asks_the_approvals_again(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=10)
    order_id = await desk.order(sku, quantity=1, payment="prepaid", discount_pct="15")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    answer = await change(
        desk, "service", order_id, lines=[{"sku": sku, "quantity": 3}], reason="three"
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "AWAITING_APPROVAL"
    order = await desk.get(order_id)
    assert held(order) == {sku: 3} and order["lines"][0]["discount_pct"] == "15.00"
    await desk.ok(
        "supervisor", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    # Without the discount, the same change needs no approval: the order moves on.
    answer = await change(
        desk,
        "sales1",
        order_id,
        lines=[{"sku": sku, "quantity": 3, "discount_pct": "0"}],
        reason="no discount after all",
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "AWAITING_PAYMENT"


async def test_customer_service_may_not_change_prices(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=10)
    order_id = await desk.order(sku, quantity=1, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    for line in ({"discount_pct": "5"}, {"unit_price": "90.00"}):
        refused = await change(
            desk, "service", order_id, lines=[{"sku": sku, "quantity": 1, **line}], reason="x"
        )
        assert refused.status_code == 403, refused.text
    unknown = await change(
        desk, "service", order_id, lines=[{"sku": "NOPE-1", "quantity": 1}], reason="x"
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "lines", 0, "sku"]
    empty = await change(desk, "service", order_id, reason="nothing")
    assert empty.status_code == 422
    assert (await desk.get(order_id))["version"] == 1


async def test_after_picking_only_the_address_and_only_with_a_supervisor(manual: Desk) -> None:
    desk = manual
    sku = await desk.product(price="30.00", stock=5)
    order_id = await desk.order(sku, quantity=2, payment="cod")
    await desk.status_is(order_id, "PICKING")
    lines = await change(
        desk, "service", order_id, lines=[{"sku": sku, "quantity": 1}], reason="one"
    )
    assert lines.status_code == 409 and "only the ship-to address" in lines.text
    dry = await change(
        desk, "service", order_id, ship_to=ELSEWHERE, reason="moved office", dry_run=True
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["approvals_needed"] == ["address_change"]
    assert dry.json()["diff"][0] == {
        "field": "ship_to.city",
        "before": "Berlin",
        "after": "Hamburg",
    }
    asked = await change(desk, "service", order_id, ship_to=ELSEWHERE, reason="moved office")
    assert (asked.status_code, asked.json()["status"]) == (202, "change_requested")
    # Packed meanwhile, it is not booked to the old address.
    shipment = (await desk.get(order_id))["shipments"][0]["id"]
    await desk.ok(
        "warehouse", "POST", f"/shipments/{shipment}/packed", json={"packages": [PACKAGE]}
    )
    await desk.env.sleep(timedelta(hours=1))
    order = await desk.get(order_id)
    assert order["status"] == "PICKING" and order["shipments"][0]["tracking_number"] is None
    inbox = await desk.ok("supervisor", "GET", "/approvals")
    assert [i["level"] for i in inbox["items"] if i["order_id"] == order_id] == ["address_change"]
    await desk.ok(
        "supervisor", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    order = await desk.status_is(order_id, "SHIPPED")
    assert order["version"] == 2 and order["ship_to"]["city"] == "Hamburg"
    assert held(order) == {}


async def test_after_shipping_a_change_is_refused(desk: Desk) -> None:
    sku = await desk.product(price="30.00", stock=5)
    order_id = await desk.order(sku, quantity=1, payment="cod")
    await desk.status_is(order_id, "SHIPPED")
    for body in ({"ship_to": ELSEWHERE}, {"lines": [{"sku": sku, "quantity": 2}]}):
        refused = await change(desk, "service", order_id, reason="late", **body)
        assert refused.status_code == 409 and "return" in refused.text
        dry = await change(desk, "service", order_id, reason="late", dry_run=True, **body)
        assert dry.status_code == 409


async def test_versions_keep_every_diff_and_show_the_order_as_it_was(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=10)
    order_id = await desk.order(sku, quantity=1, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    for quantity in (2, 4):
        answer = await change(
            desk,
            "service",
            order_id,
            lines=[{"sku": sku, "quantity": quantity}],
            reason=f"now {quantity}",
        )
        assert answer.status_code == 200, answer.text
    versions = await desk.ok("admin", "GET", f"/orders/{order_id}/versions")
    assert [(v["version"], v["created_by"], v["reason"]) for v in versions] == [
        (1, "shop", "received"),
        (2, "service", "now 2"),
        (3, "service", "now 4"),
    ]
    first_entry = {v["version"]: v["diff"][0] for v in versions[1:]}
    assert first_entry[2] == {"field": f"lines[{sku}].quantity", "before": "1", "after": "2"}
    assert first_entry[3] == {"field": f"lines[{sku}].quantity", "before": "2", "after": "4"}
    first = await desk.ok("admin", "GET", f"/orders/{order_id}?version=1")
    assert (first["version"], first["lines"][0]["quantity"]) == (1, 1)
    assert Decimal(first["totals"]["total"]) == Decimal("11.90")
    now = await desk.get(order_id)
    assert (now["version"], now["lines"][0]["quantity"]) == (3, 4)
    # The warehouse sees what changed in the goods, not in the money.
    seen = await desk.ok("warehouse", "GET", f"/orders/{order_id}/versions")
    assert [d["field"] for d in seen[1]["diff"]] == [f"lines[{sku}].quantity"]
    missing = await desk.call("admin", "GET", f"/orders/{order_id}?version=9")
    assert missing.status_code == 404
    history = " ".join(h["reason"] for h in await desk.history(order_id))
    assert "version 3 by service: now 4" in history
