"""Orders sent at the same moment see each other in the credit checks: none ships without
finance because its siblings were not reviewed yet."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, open_desk, order_body


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def test_six_concurrent_credit_orders_all_go_to_finance(desk: Desk) -> None:
    sku = await desk.product(price="578.00", stock=20)  # 578.00 + 19 % tax = 687.82
    customer = await desk.customer(credit_limit="1000")
    answers = await asyncio.gather(
        *[
            desk.call("shop", "POST", "/orders", json=order_body(customer, sku, 1, "credit"))
            for _ in range(6)
        ]
    )
    assert [a.status_code for a in answers] == [201] * 6
    for answer in answers:
        order = await desk.status_is(answer.json()["order_id"], "AWAITING_APPROVAL")
        assert order["totals"]["total"] == "687.82"
        levels = {a["level"] for a in order["approvals"] if a["status"] == "pending"}
        assert "finance" in levels, order["review_reasons"]
    # None of them is past approval: nothing reserved for shipping without finance's word.
    shipped = [
        o
        for o in (await desk.ok("admin", "GET", f"/orders?customer_id={customer}"))["items"]
        if o["status"] not in ("AWAITING_APPROVAL",)
    ]
    assert shipped == []
