"""Custom (made-to-order) orders end to end on the time-skipping server: the customer signs
the specification off through the confirmation link, the plant gets a production order
whose child workflow follows its events (material short, a quality failure and its rework,
then quality passed), the made goods go into stock held for the order, which is paid and
ships; past the reworks allowed the order is cancelled for customer service. Intake refuses
a product that does not fit the order's type, naming the line."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from domain.review import SIGN_OFF
from tests.harness import Desk, checked_desk, order_body
from tests.workflows.test_approval_desk import opened
from tests.workflows.test_confirmation_and_policy import link_of
from tests.workflows.test_presale import pay, refused_for, today

SPEC = {
    "attributes": {"material": "oak", "width_cm": "180", "finish": "oiled"},
    "attachments": [{"name": "drawing.pdf", "reference": "dms://drawings/4711"}],
}


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def made_to_order(desk: Desk, days: int = 10) -> str:
    sku = f"MTO-{uuid.uuid4().hex[:10]}"
    product = {"sku": sku, "name": "Oak table", "unit_price": "900.00", "weight_kg": "40"}
    out = await desk.ok("admin", "POST", "/products", json={**product, "production_days": days})
    assert out["production_days"] == days
    return sku


def custom_body(customer: str, sku: str) -> dict[str, Any]:
    return {**order_body(customer, sku, 1, "prepaid"), "type": "custom", "specification": SPEC}


async def signed_off(desk: Desk, sku: str) -> tuple[str, dict[str, Any]]:
    """A custom order the customer has signed off: in production, with its production order."""
    customer = await desk.customer()
    order_id = (await desk.ok("shop", "POST", "/orders", json=custom_body(customer, sku)))[
        "order_id"
    ]
    order = await opened(desk, order_id)
    assert order["status"] == "AWAITING_APPROVAL"
    assert [(a["level"], a["reasons"]) for a in order["approvals"]] == [("customer", [SIGN_OFF])]
    token = await link_of(desk, order_id)
    answer = await desk.http.post(f"/confirmations/{token}", json={"decision": "confirm"})
    assert answer.status_code == 200, answer.text
    order = await desk.status_is(order_id, "IN_PRODUCTION")
    return order_id, order


async def event(desk: Desk, po: str, kind: str, detail: str | None = None) -> Any:
    body = {"event": kind, **({"detail": detail} if detail else {})}
    return await desk.call("warehouse", "POST", f"/production-orders/{po}/events", json=body)


async def test_a_custom_order_is_signed_off_made_reworked_and_shipped(
    desk: Desk, sessions: SessionFactory
) -> None:
    day = await today(sessions)
    sku = await made_to_order(desk, days=10)
    customer = await desk.customer()
    standard = await desk.call("shop", "POST", "/orders", json=order_body(customer, sku))
    assert refused_for(standard, "lines", 0, "sku"), standard.text
    plain = await desk.product(price="10.00", stock=5)
    wrong = await desk.call("shop", "POST", "/orders", json=custom_body(customer, plain))
    assert refused_for(wrong, "lines", 0, "sku"), wrong.text
    bare = {**custom_body(customer, sku)}
    del bare["specification"]
    response = await desk.call("shop", "POST", "/orders", json=bare)
    assert response.status_code == 422 and "specification" in response.text, response.text

    order_id, order = await signed_off(desk, sku)
    assert order["type"] == "custom" and order["specification"] == SPEC
    assert order["estimated_ready"] >= (day + timedelta(days=10)).isoformat()
    po = order["production_order_id"]
    production = await desk.ok("service", "GET", f"/production-orders/{po}")
    assert production["status"] == "created" and production["plant_ref"].startswith("SIM-PLANT-")

    # Out of turn: refused, nothing changes.
    early = await event(desk, po, "quality_passed")
    assert early.status_code == 409, early.text
    # Made to its specification: no change; in production: no cancelling.
    change = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/changes",
        json={"lines": [{"sku": sku, "quantity": 2}], "reason": "two"},
    )
    assert change.status_code == 409 and "specification" in change.text, change.text
    cancel = await desk.call(
        "service", "POST", f"/orders/{order_id}/cancel", json={"reason_code": "customer_request"}
    )
    assert cancel.status_code == 409, cancel.text

    for kind, detail in [
        ("started", None),
        ("material_short", "oak boards late"),
        ("started", "boards in"),
        ("finished", None),
        ("quality_failed", "finish uneven"),
    ]:
        answer = await event(desk, po, kind, detail)
        assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["reworks"]) == ("rework", 1)
    for kind in ("started", "finished", "quality_passed"):
        answer = await event(desk, po, kind)
        assert answer.status_code == 200, answer.text

    # The made goods are in stock, held for this order only; its payment falls due.
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert [(r["sku"], r["quantity"], r["status"]) for r in order["reservations"]] == [
        (sku, 1, "reserved")
    ]
    assert await desk.available(sku) == 0
    production = await desk.ok("service", "GET", f"/production-orders/{po}")
    assert [e["event"] for e in production["events"]] == [
        "started",
        "material_short",
        "started",
        "finished",
        "quality_failed",
        "started",
        "finished",
        "quality_passed",
    ]
    assert production["events"][4]["detail"] == "finish uneven"
    assert production["status"] == "passed" and production["finished_at"]
    await pay(desk, order_id, order["totals"]["total"], "custom")
    await desk.status_is(order_id, "SHIPPED", timeout=60)


async def test_past_its_reworks_customer_service_decides_then_gives_it_up(desk: Desk) -> None:
    sku = await made_to_order(desk, days=5)
    order_id, order = await signed_off(desk, sku)
    po = order["production_order_id"]
    url = f"/production-orders/{po}/decision"
    early = await desk.call("service", "POST", url, json={"decision": "rework", "comment": "x"})
    assert early.status_code == 409, early.text  # nothing held yet

    async def fail_once() -> Any:
        for kind in ("started", "finished", "quality_failed"):
            answer = await event(desk, po, kind, "crack in the top")
            assert answer.status_code == 200, answer.text
        return answer.json()

    # The default policy allows two reworks: the third failure is held for customer service.
    for _ in range(3):
        state = await fail_once()
    assert (state["status"], state["reworks"]) == ("held", 3)
    assert (await event(desk, po, "started")).status_code == 409  # the plant waits
    assert (await desk.get(order_id))["status"] == "IN_PRODUCTION"
    body = {"decision": "rework", "comment": "customer accepts four more weeks"}
    assert (await desk.call("warehouse", "POST", url, json=body)).status_code == 403
    again = await desk.ok("service", "POST", url, json=body)
    assert again["status"] == "rework"
    state = await fail_once()
    assert (state["status"], state["reworks"]) == ("held", 4)
    given_up = {"decision": "cancel", "comment": "customer withdraws"}
    assert (await desk.ok("service", "POST", url, json=given_up))["status"] == "failed"
    cancelled = await desk.status_is(order_id, "CANCELLED")
    assert cancelled["reservations"] == []
    production = await desk.ok("service", "GET", f"/production-orders/{po}")
    decisions = [(e["event"], e["actor"]) for e in production["events"] if "service" in e["event"]]
    assert decisions == [("service_rework", "service"), ("service_cancel", "service")]
    assert (await event(desk, po, "started")).status_code == 409
