"""Customer confirmation through a signed link, the policy as data, and the auto-approval KPI,
on the time-skipping server with real activities and PostgreSQL."""

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import Notification
from tests.harness import Desk, eventually, open_desk
from tests.workflows.test_approval_desk import opened, reasons


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def typo_order(desk: Desk, user: str = "shop") -> tuple[str, str]:
    """A customer who always buys one, then an order for ten: the classic 1 typed as 10."""
    sku = await desk.product(price="20.00", stock=20)
    customer = await desk.customer()
    for _ in range(3):
        await desk.order(sku, quantity=1, payment="cod", customer_id=customer)
    order_id = await desk.order(sku, quantity=10, payment="cod", customer_id=customer, user=user)
    order = await opened(desk, order_id)
    assert [a["level"] for a in order["approvals"]] == ["customer"]
    assert "10 is more than 5 times this customer's median line of 1" in str(
        order["review_reasons"]
    )
    return order_id, sku


async def link_of(desk: Desk, order_id: str) -> str:
    """The link as the customer receives it: from the outbox table, which the mail sender
    reads (the outbox API masks it)."""

    async def sent() -> Any:
        async with desk.sessions() as session:
            return list(
                await session.scalars(
                    select(Notification.body).where(
                        Notification.order_id == order_id,
                        Notification.recipient == "buyer@kunde.example",
                        Notification.body.contains("/confirmations/"),
                    )
                )
            )

    (body, *_) = await eventually(sent)
    match = re.search(r"/confirmations/([\w.\-]+)", body)
    assert match, body
    return match.group(1)


async def test_staff_never_see_a_live_link_and_the_creator_relays_nothing(desk: Desk) -> None:
    order_id, _ = await typo_order(desk, user="service")
    token = await link_of(desk, order_id)
    shown = await desk.ok("service", "GET", "/notifications", params={"order_id": order_id})
    to_customer = [n for n in shown if n["recipient"] == "buyer@kunde.example"]
    assert to_customer
    assert all(token not in n["body"] for n in shown)
    assert "/confirmations/[link withheld]" in to_customer[0]["body"]
    await desk.env.sleep(timedelta(days=2, hours=1))

    async def held() -> Any:
        return (await desk.get(order_id))["approvals"][0]["current_level"] == "customer_service"

    await eventually(held)
    # The order's creator works in customer service: relaying "the customer's" answer on their
    # own order is a self-approval.
    own = await desk.call(
        "service",
        "POST",
        f"/orders/{order_id}/customer-confirmation",
        json={"decision": "confirm", "comment": "by phone"},
    )
    assert own.status_code == 403, own.text
    assert (await desk.get(order_id))["status"] == "AWAITING_APPROVAL"


async def test_the_customer_confirms_through_the_link(desk: Desk) -> None:
    order_id, _ = await typo_order(desk)
    token = await link_of(desk, order_id)
    # No login: the signed link is the credential.
    answer = await desk.http.post(f"/confirmations/{token}", json={"decision": "confirm"})
    assert answer.status_code == 200, answer.text
    await desk.status_is(order_id, "SHIPPED")
    again = await desk.http.post(f"/confirmations/{token}", json={"decision": "decline"})
    assert (again.status_code, again.json()["decision"]) == (200, "confirm")  # one answer
    history = await desk.history(order_id)
    assert any(h["actor"].startswith("customer:") for h in history if h["kind"] == "audit")


async def test_the_customer_declines_and_the_stock_returns(desk: Desk) -> None:
    order_id, sku = await typo_order(desk)
    before = await desk.available(sku)
    token = await link_of(desk, order_id)
    answer = await desk.http.post(
        f"/confirmations/{token}", json={"decision": "decline", "comment": "meant one"}
    )
    assert answer.status_code == 200
    await desk.status_is(order_id, "REJECTED")
    assert await desk.available(sku) == before + 10
    assert "customer rejected: meant one" in reasons(await desk.history(order_id))[-1]


async def test_a_forged_or_altered_link_is_refused(desk: Desk) -> None:
    order_id, _ = await typo_order(desk)
    token = await link_of(desk, order_id)
    altered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = await desk.http.post(f"/confirmations/{altered}", json={"decision": "confirm"})
    assert refused.status_code == 403
    junk = await desk.http.post("/confirmations/not-a-token", json={"decision": "confirm"})
    assert junk.status_code == 403
    assert (await desk.get(order_id))["status"] == "AWAITING_APPROVAL"


async def test_unanswered_the_order_is_held_for_customer_service(desk: Desk) -> None:
    order_id, _ = await typo_order(desk)
    token = await link_of(desk, order_id)
    await desk.env.sleep(timedelta(days=2, hours=1))

    async def held() -> Any:
        return (await desk.get(order_id))["approvals"][0]["current_level"] == "customer_service"

    await eventually(held)
    assert "customer did not confirm in time: held for customer service" in reasons(
        await desk.history(order_id)
    )
    late = await desk.http.post(f"/confirmations/{token}", json={"decision": "confirm"})
    assert late.status_code == 409
    early_order, _ = await typo_order(desk)  # not held yet: the customer answers first
    not_held = await desk.call(
        "service",
        "POST",
        f"/orders/{early_order}/customer-confirmation",
        json={"decision": "confirm", "comment": "x"},
    )
    assert not_held.status_code == 409
    items = (await desk.ok("service", "GET", "/approvals"))["items"]
    assert order_id in [i["order_id"] for i in items]
    # Customer service approves nothing itself: it relays the customer's own answer.
    no_approval = await desk.call(
        "service", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    assert no_approval.status_code == 403
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/customer-confirmation",
        json={"decision": "confirm", "comment": "confirmed by phone"},
    )
    await desk.status_is(order_id, "SHIPPED")
    assert "customer approval: approved (customer's answer relayed: confirmed by phone)" in (
        reasons(await desk.history(order_id))
    )


HAZARD_RULE = {
    "id": "hazardous-goods",
    "description": "Hazardous goods need a manager",
    "when": {"categories": ["hazardous"]},
    "level": "manager",
}


async def test_an_admin_changes_the_policy_and_new_orders_follow_it(desk: Desk) -> None:
    current = await desk.ok("manager", "GET", "/policies/approval")
    document = current["document"]
    document["rules"].append(HAZARD_RULE)
    refused = await desk.call("manager", "PUT", "/policies/approval", json={"document": document})
    assert refused.status_code == 403
    broken = {**document, "rules": [*document["rules"], {**HAZARD_RULE, "level": "director"}]}
    invalid = await desk.call("admin", "PUT", "/policies/approval", json={"document": broken})
    assert invalid.status_code == 422 and "level" in invalid.text
    assert (await desk.ok("admin", "GET", "/policies/approval"))["version"] == current["version"]

    saved = await desk.ok(
        "admin", "PUT", "/policies/approval", json={"document": document, "comment": "hazmat"}
    )
    try:
        await _hazmat_orders_follow(desk, saved, current)
    finally:
        # Put the default back for the other tests sharing this database.
        restore = {"document": current["document"]}
        await desk.ok("admin", "PUT", "/policies/approval", json=restore)


async def _hazmat_orders_follow(desk: Desk, saved: dict[str, Any], current: dict[str, Any]) -> None:
    assert saved["version"] == current["version"] + 1
    await desk.ok(
        "admin",
        "POST",
        "/products",
        json={
            "sku": "ACID-1",
            "name": "Battery acid",
            "unit_price": "10.00",
            "weight_kg": "1",
            "category": "hazardous",
        },
    )
    await desk.receive("ACID-1", 5)
    order_id = await desk.order("ACID-1", payment="cod")
    order = await opened(desk, order_id)
    assert order["policy_version"] == saved["version"]
    assert [(a["level"], a["rule_ids"]) for a in order["approvals"]] == [
        ("manager", ["hazardous-goods"])
    ]
    assert order["review_reasons"] == ["Hazardous goods need a manager (category hazardous)"]
    audit = await desk.ok("admin", "GET", "/audit", params={"action": "policy.update"})
    assert f"approval policy v{saved['version']}: hazmat" in [a["detail"] for a in audit["items"]]
    earlier = await desk.ok(
        "admin", "GET", "/policies/approval", params={"version": current["version"]}
    )
    assert HAZARD_RULE["id"] not in [r["id"] for r in earlier["document"]["rules"]]


async def test_the_auto_approved_share_counts_orders_no_rule_caught(desk: Desk) -> None:
    before = await desk.ok("manager", "GET", "/kpis/approvals")
    sku = await desk.product(price="10.00", stock=5)
    passing = await desk.order(sku, payment="cod")
    caught = await desk.order(sku, payment="cod", discount_pct="50")
    await desk.status_is(passing, "SHIPPED")
    await opened(desk, caught)
    after = await desk.ok("manager", "GET", "/kpis/approvals")
    assert after["reviewed"] == before["reviewed"] + 2
    assert after["auto_approved"] == before["auto_approved"] + 1
    assert after["needed_approval"] == before["needed_approval"] + 1
    share = after["auto_approved"] / after["reviewed"]
    assert float(after["auto_approved_share"]) == pytest.approx(share, abs=1e-4)
    assert after["pending_by_level"]["sales_supervisor"] >= 1
    assert (await desk.call("warehouse", "GET", "/kpis/approvals")).status_code == 403
