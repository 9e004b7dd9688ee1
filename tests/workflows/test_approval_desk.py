"""The approval desk on the time-skipping server: levels in sequence and in parallel, dual
control, four-eyes, authority limits, duplicate decisions, delegation, and reminders,
escalation and timeout over days of simulated time. Real activities, real PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select, text
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from bench.open_orders import clone_open_orders
from db.engine import SessionFactory
from db.models import ApprovalDecision, AuditEntry
from domain.messages import ApprovalDecisionInput
from tests.harness import Desk, eventually, open_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


def approve(**extra: Any) -> dict[str, Any]:
    return {"decision": "approve", **extra}


async def waiting_order(desk: Desk, discount: str = "30", **kwargs: Any) -> tuple[str, str]:
    """An order that needs a supervisor (discount above 10 %), with its level opened."""
    sku = await desk.product(price="100.00", stock=kwargs.pop("stock", 2))
    order_id = await desk.order(sku, payment="cod", discount_pct=discount, **kwargs)
    await opened(desk, order_id)
    return order_id, sku


async def opened(desk: Desk, order_id: str) -> dict[str, Any]:
    async def check() -> Any:
        order = await desk.get(order_id)
        return order if any(a["deadline"] for a in order["approvals"]) else None

    result: dict[str, Any] = await eventually(check)
    return result


async def _lists(desk: Desk, user: str, order_id: str) -> bool:
    return order_id in [i["order_id"] for i in await inbox(desk, user)]


async def inbox(desk: Desk, user: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await desk.ok(user, "GET", "/approvals"))["items"]
    return items


async def notes(desk: Desk, order_id: str, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await desk.ok(
        "admin", "GET", "/notifications", params={"order_id": order_id}
    )
    return [n for n in found if n["kind"] == kind]


def reasons(history: list[dict[str, Any]]) -> list[str]:
    return [h["reason"] for h in history if h["kind"] == "history"]


async def test_reminder_escalation_and_timeout_over_days(desk: Desk) -> None:
    order_id, sku = await waiting_order(desk)
    order = await desk.get(order_id)
    (approval,) = order["approvals"]
    opened_at = datetime.fromisoformat(approval["opened_at"])
    assert datetime.fromisoformat(approval["deadline"]) - opened_at == timedelta(days=3)
    told = {n["recipient"] for n in await notes(desk, order_id, "approval_needed")}
    assert {"supervisor", "manager", "manager2"} <= told  # everyone who decides the level
    assert [i["order_id"] for i in await inbox(desk, "supervisor")].count(order_id) == 1

    await desk.env.sleep(timedelta(hours=9))
    await eventually(lambda: notes(desk, order_id, "remind"))
    assert "reminder: sales_supervisor approval still pending" in reasons(
        await desk.history(order_id)
    )

    await desk.env.sleep(timedelta(hours=16))  # past one day: escalation to the manager

    async def escalated() -> Any:
        return (await desk.get(order_id))["approvals"][0]["current_level"] == "manager"

    await eventually(escalated)
    live = await desk.handle(order_id).query("state")  # what the Temporal UI's query shows
    assert (live["pending_levels"], live["open_levels"]) == (["sales_supervisor"], ["manager"])
    assert order_id not in [i["order_id"] for i in await inbox(desk, "supervisor")]
    (item,) = [i for i in await inbox(desk, "manager") if i["order_id"] == order_id]
    assert item["escalated"] and item["current_level"] == "manager"
    late = await desk.call("supervisor", "POST", f"/orders/{order_id}/approvals", json=approve())
    assert late.status_code == 403

    await desk.env.sleep(timedelta(days=2))  # past the three-day deadline
    order = await desk.status_is(order_id, "REJECTED")
    assert order["approvals"][0]["status"] == "expired"
    history = await desk.history(order_id)
    assert reasons(history)[-1].startswith("timeout: manager approval not given in time")
    assert {"approval.remind", "approval.escalate"} <= {h["action"] for h in history}
    assert await desk.available(sku) == 2


async def test_an_escalated_approval_is_decided_at_the_next_level(desk: Desk) -> None:
    order_id, _ = await waiting_order(desk)
    await desk.env.sleep(timedelta(days=1, hours=1))

    async def escalated() -> Any:
        return (await desk.get(order_id))["approvals"][0]["current_level"] == "manager"

    await eventually(escalated)
    await desk.ok("manager", "POST", f"/orders/{order_id}/approvals", json=approve())
    await desk.status_is(order_id, "SHIPPED")


async def test_parallel_level_is_open_beside_the_sequential_one(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=2)
    customer = await desk.customer(credit_limit="50")
    order_id = await desk.order(sku, payment="credit", customer_id=customer, discount_pct="15")
    order = await opened(desk, order_id)
    modes = {a["level"]: a["mode"] for a in order["approvals"]}
    assert modes == {"sales_supervisor": "sequential", "finance": "parallel"}
    (finance,) = [a for a in order["approvals"] if a["level"] == "finance"]
    assert set(finance["rule_ids"]) == {"credit-risk", "first-credit-order"}
    # Both open at once, each by its own step a moment apart.
    for user in ("finance", "supervisor"):
        assert await eventually(partial(_lists, desk, user, order_id)), user
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json=approve())
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok("supervisor", "POST", f"/orders/{order_id}/approvals", json=approve())
    await desk.status_is(order_id, "SHIPPED")


async def test_dual_control_needs_two_different_managers(desk: Desk) -> None:
    sku = await desk.product(price="30000.00", stock=2)
    order_id = await desk.order(sku, quantity=2, payment="cod")
    order = await opened(desk, order_id)
    (manager_level,) = order["approvals"]
    assert (manager_level["level"], manager_level["approvers_needed"]) == ("manager", 2)
    url = f"/orders/{order_id}/approvals"
    await desk.ok("manager", "POST", url, json=approve())
    order = await desk.status_is(order_id, "AWAITING_APPROVAL")
    assert order["approvals"][0]["approvers_given"] == 1
    twice = await desk.call("manager", "POST", url, json=approve())
    assert twice.status_code == 403
    assert "different person" in twice.json()["detail"]
    await desk.ok("manager2", "POST", url, json=approve())
    await desk.status_is(order_id, "SHIPPED")
    history = await desk.history(order_id)
    assert "manager approval: approved (1 of 2)" in reasons(history)
    decided = [h["actor"] for h in history if h["action"] == "approval.decide"]
    denied = [h["actor"] for h in history if h["action"] == "access.denied"]
    assert (decided, denied) == (["manager", "manager2"], ["manager"])


async def test_the_same_decision_sent_twice_counts_once(desk: Desk) -> None:
    order_id, _ = await waiting_order(desk)
    url = f"/orders/{order_id}/approvals"
    first = await desk.ok("supervisor", "POST", url, json=approve(decision_id="dup-1"))
    again = await desk.ok("supervisor", "POST", url, json=approve(decision_id="dup-1"))
    assert first["decision_id"] == again["decision_id"] == "dup-1"
    await desk.status_is(order_id, "SHIPPED")
    late_retry = await desk.ok("supervisor", "POST", url, json=approve(decision_id="dup-1"))
    assert late_retry["decision_id"] == "dup-1"
    assert [r for r in reasons(await desk.history(order_id)) if "approval:" in r] == [
        "sales_supervisor approval: approved"
    ]
    async with desk.sessions() as session:
        rows = await session.scalar(
            select(func.count()).where(ApprovalDecision.order_id == order_id)
        )
        audited = await session.scalar(
            select(func.count()).where(
                AuditEntry.order_id == order_id, AuditEntry.action == "approval.decide"
            )
        )
    assert (rows, audited) == (1, 1)
    stolen = await desk.call("manager", "POST", url, json=approve(decision_id="dup-1"))
    assert stolen.status_code == 409


async def test_raw_updates_cannot_get_around_four_eyes(desk: Desk) -> None:
    # desk.customer() is created by sales1, who therefore owns it; admin places the order.
    customer = await desk.customer()
    order_id, _ = await waiting_order(desk, user="admin", customer_id=customer)
    for person, why in (("admin", "created"), ("sales1", "customer they own")):
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await desk.handle(order_id).execute_update(
                "decide",
                ApprovalDecisionInput(
                    level="sales_supervisor",
                    decision="approve",
                    decided_by=person,
                    role="sales_supervisor",
                    decision_id=f"raw-{person}",
                ),
            )
        assert why in str(info.value.cause)
    # A raw decision by a real supervisor beyond their authority: refused by the records.
    sku = await desk.product(price="1000.00", stock=30)
    big = await desk.order(sku, quantity=25, payment="cod", discount_pct="15")
    await opened(desk, big)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await desk.handle(big).execute_update(
            "decide",
            ApprovalDecisionInput(
                level="sales_supervisor",
                decision="approve",
                decided_by="supervisor",
                role="sales_supervisor",
                decision_id="raw-limit",
            ),
        )
    assert "approval limit 20000.00 is below the order total" in str(info.value.cause)
    via_api = await desk.call("supervisor", "POST", f"/orders/{big}/approvals", json=approve())
    assert via_api.status_code == 403
    async with desk.sessions() as session:
        written = await session.scalar(
            select(func.count()).where(ApprovalDecision.order_id.in_([order_id, big]))
        )
        denied = await session.scalar(
            select(func.count()).where(
                AuditEntry.order_id == big, AuditEntry.action == "access.denied"
            )
        )
    assert (written, denied) == (0, 1)
    # The manager may decide the supervisor's level, then their own.
    await desk.ok("manager", "POST", f"/orders/{big}/approvals", json=approve())
    await desk.ok("manager", "POST", f"/orders/{big}/approvals", json=approve())
    await desk.status_is(big, "SHIPPED")


async def test_a_stand_in_decides_in_the_approvers_name(desk: Desk) -> None:
    now = datetime.now(UTC)
    period = {
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    bad = await desk.call(
        "supervisor", "POST", "/delegations", json={"stand_in": "warehouse", **period}
    )
    assert bad.status_code == 422 and "stand_in" in bad.text
    delegation = await desk.ok(
        "supervisor", "POST", "/delegations", json={"stand_in": "finance", **period}
    )
    order_id, _ = await waiting_order(desk)
    (item,) = [i for i in await inbox(desk, "finance") if i["order_id"] == order_id]
    assert item["on_behalf_of"] == "supervisor"
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json=approve())
    await desk.status_is(order_id, "SHIPPED")
    assert "sales_supervisor approval: approved" in reasons(await desk.history(order_id))
    actors = [h["actor"] for h in await desk.history(order_id) if "approval:" in h["reason"]]
    assert actors == ["finance for supervisor"]
    audited = [h for h in await desk.history(order_id) if h["action"] == "approval.decide"]
    assert [(a["actor"], a["reason"]) for a in audited] == [
        ("finance", "level sales_supervisor for supervisor")
    ]
    async with desk.sessions() as session:
        row = await session.scalar(
            select(ApprovalDecision).where(ApprovalDecision.order_id == order_id)
        )
    assert row is not None and (row.decided_by, row.on_behalf_of) == ("finance", "supervisor")

    await desk.ok("supervisor", "DELETE", f"/delegations/{delegation['id']}")
    second, _ = await waiting_order(desk)
    refused = await desk.call("finance", "POST", f"/orders/{second}/approvals", json=approve())
    assert refused.status_code == 403
    as_stand_in = await desk.call(
        "supervisor", "POST", "/delegations", json={"stand_in": "service", **period}
    )
    assert as_stand_in.status_code == 422  # customer service approves nothing


async def test_the_inbox_pages_through_a_full_desk(desk: Desk) -> None:
    """A desk with 1,200 orders waiting for a supervisor, more than the inbox reads at once:
    its pages list every order the supervisor may decide once, soonest deadline first, and
    never one the supervisor created (four-eyes)."""
    order_id, _ = await waiting_order(desk)
    clones = await clone_open_orders(desk.sessions, [order_id], 1200)
    own = clones[0]
    async with desk.sessions.begin() as session:
        # Deadlines spread over the next days, so the order of the pages is the deadline's.
        await session.execute(
            text(
                "UPDATE approvals SET deadline = deadline + (abs(hashtext(order_id)) % 100000) "
                "* interval '1 second' WHERE order_id = ANY(:ids)"
            ),
            {"ids": clones},
        )
        await session.execute(
            text("UPDATE orders SET created_by = 'supervisor' WHERE id = :id"), {"id": own}
        )
    try:
        seen: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            page = await desk.ok(
                "supervisor", "GET", "/approvals", params={"limit": 200, "offset": offset}
            )
            seen += page["items"]
            offset = page["next_offset"]
        ours = [i for i in seen if i["order_id"] in {order_id, *clones}]
        ids = [i["order_id"] for i in ours]
        assert len(ids) == len(set(ids)) == len(clones)  # the original and the clones, less own
        assert own not in ids
        deadlines = [datetime.fromisoformat(i["deadline"]) for i in seen]
        assert deadlines == sorted(deadlines)
        assert ours[0]["customer"]["orders_placed"] == len(clones) + 1
    finally:
        async with desk.sessions.begin() as session:
            for table in ("order_history", "approvals", "order_lines"):
                await session.execute(
                    text(f"DELETE FROM {table} WHERE order_id = ANY(:ids)"), {"ids": clones}
                )
            await session.execute(text("DELETE FROM orders WHERE id = ANY(:ids)"), {"ids": clones})
