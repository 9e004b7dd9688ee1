"""GET /reports/kpis: its numbers for today's orders, checked against the same numbers
worked out here in Python from the raw rows (not from the report's own SQL)."""

import itertools
import statistics
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, eventually, open_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


def p(values: list[float], q: float) -> float:
    """percentile_cont: linear between the two nearest of the sorted values."""
    ordered = sorted(values)
    at = (len(ordered) - 1) * q
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


async def by_hand(sessions: SessionFactory, start: datetime, end: datetime) -> dict[str, Any]:
    async with sessions() as session:
        orders = (
            await session.execute(
                text(
                    "SELECT id, channel, status, review_decision, total, cancel_reason_code, late,"
                    " shipped_on_time"
                    " FROM orders WHERE created_at >= :s AND created_at < :e"
                ),
                {"s": start, "e": end},
            )
        ).all()
        ids = [o.id for o in orders]
        history = (
            await session.execute(
                text(
                    "SELECT order_id, id, at, from_status, to_status FROM order_history"
                    " WHERE order_id = ANY(:ids) ORDER BY order_id, id"
                ),
                {"ids": ids},
            )
        ).all()
    stays: dict[str, list[float]] = {}
    delivered = set()
    # A stay runs from one status change to the order's next; events recorded within a
    # status (a decision, a payment, a scan) are rows too, but no change.
    changes = [h for h in history if h.from_status != h.to_status]
    for before, after in itertools.pairwise(changes):
        if before.order_id == after.order_id:
            stays.setdefault(before.to_status, []).append((after.at - before.at).total_seconds())
    for row in history:
        if row.to_status == "DELIVERED":
            delivered.add(row.order_id)
    reviewed = [o for o in orders if o.review_decision]
    cancelled = [o for o in orders if o.status == "CANCELLED"]
    return {
        "events": len(history) - len(changes),
        "orders": len(orders),
        "per_channel": Counter(o.channel for o in orders),
        "stays": {s: (len(v), statistics.median(v), p(v, 0.9)) for s, v in stays.items()},
        "reviewed": len(reviewed),
        "auto_approved": sum(o.review_decision == "pass" for o in reviewed),
        "cancelled": len(cancelled),
        "reasons": Counter(o.cancel_reason_code for o in cancelled if o.cancel_reason_code),
        "delivered": len(delivered),
        "on_time": sum(1 for o in orders if o.id in delivered and not o.late),
        "shipped": sum(1 for o in orders if o.shipped_on_time is not None),
        "shipped_on_time": sum(1 for o in orders if o.shipped_on_time),
        "booked": sum(
            (o.total for o in orders if o.status not in ("CANCELLED", "REJECTED")), Decimal(0)
        ),
    }


async def test_the_kpis_of_today_match_the_rows(desk: Desk, sessions: SessionFactory) -> None:
    sku = await desk.product(price="10.00", stock=20)
    delivered = await desk.order(sku, payment="cod")
    discounted = await desk.order(sku, discount_pct="15")
    cancelled = await desk.order(sku)
    await desk.status_is(discounted, "AWAITING_APPROVAL")
    await desk.ok(
        "supervisor", "POST", f"/orders/{discounted}/approvals", json={"decision": "approve"}
    )
    # Its workflow is running (the API answers before it starts one): then it can be cancelled.
    await desk.status_is(cancelled, "AWAITING_PAYMENT")
    await desk.ok(
        "service", "POST", f"/orders/{cancelled}/cancel", json={"reason_code": "customer_request"}
    )
    await desk.status_is(cancelled, "CANCELLED")
    order = await desk.status_is(delivered, "SHIPPED", timeout=60)
    tracking = order["shipments"][0]["tracking_number"]
    for event in ("picked_up", "delivered"):
        scan = {"event": event, "tracking_number": tracking}
        await desk.ok("warehouse", "POST", f"/orders/{delivered}/shipment-events", json=scan)

    async def was_delivered() -> bool:
        return any(h.get("to_status") == "DELIVERED" for h in await desk.history(delivered))

    await eventually(was_delivered, timeout=30)
    today = datetime.now(UTC).date()
    report = await desk.ok("manager", "GET", "/reports/kpis", params={"from": today, "to": today})
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    hand = await by_hand(sessions, start, start + timedelta(days=1))

    assert report["from"] == report["to"] == today.isoformat()
    assert report["orders"] == hand["orders"] >= 3
    per_channel: Counter[str] = Counter()
    for row in report["orders_per_day"]:
        assert row["day"] == today.isoformat()
        per_channel[row["channel"]] += row["orders"]
    assert per_channel == hand["per_channel"]
    assert hand["events"] > 0  # the review's summary, the decision: rows that end no stay
    for row in report["time_in_status"]:
        stays, median, p90 = hand["stays"][row["status"]]
        assert row["stays"] == stays
        assert row["median_seconds"] == pytest.approx(median, abs=0.1)
        assert row["p90_seconds"] == pytest.approx(p90, abs=0.1)
    assert {r["status"] for r in report["time_in_status"]} == set(hand["stays"])
    assert (report["reviewed"], report["auto_approved"]) == (
        hand["reviewed"],
        hand["auto_approved"],
    )
    assert Decimal(report["auto_approval_rate"]) == pytest.approx(
        Decimal(hand["auto_approved"]) / hand["reviewed"], abs=Decimal("0.0001")
    )
    assert report["approvals_decided"] >= 1
    assert report["cancelled"] == hand["cancelled"] >= 1
    assert report["top_cancel_reasons"]["customer_request"] == hand["reasons"]["customer_request"]
    assert (report["delivered"], report["delivered_on_time"]) == (
        hand["delivered"],
        hand["on_time"],
    )
    assert hand["delivered"] >= 1
    assert (report["shipped"], report["shipped_on_time"]) == (
        hand["shipped"],
        hand["shipped_on_time"],
    )
    assert hand["shipped_on_time"] >= 1  # the delivered order left the day it was confirmed
    assert Decimal(report["revenue_booked"]) == hand["booked"]


@pytest.mark.parametrize(
    "params",
    [{"from": "2026-02-01", "to": "2026-01-01"}, {"from": "2020-01-01", "to": "2026-01-01"}],
)
async def test_a_bad_period_is_422_naming_from(desk: Desk, params: dict[str, str]) -> None:
    answer = await desk.call("manager", "GET", "/reports/kpis", params=params)
    assert answer.status_code == 422 and "from" in answer.text


async def test_kpis_are_for_those_who_read_kpis(desk: Desk) -> None:
    assert (await desk.call("warehouse", "GET", "/reports/kpis")).status_code == 403
