"""Orders sent at the same moment see each other in the credit checks: none ships without
finance because its siblings were not reviewed yet."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, eventually, open_desk, order_body


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


async def test_two_orders_racing_for_the_last_of_a_credit_line_cannot_both_use_it(
    desk: Desk,
) -> None:
    sku = await desk.product(price="100.00", stock=20)  # 119.00 a piece with tax
    customer = await desk.customer(credit_limit="200")
    # A track record: a first credit order approved by finance and paid.
    first = (await desk.ok("shop", "POST", "/orders", json=order_body(customer, sku, 1, "credit")))[
        "order_id"
    ]
    await desk.status_is(first, "AWAITING_APPROVAL")
    await desk.ok("finance", "POST", f"/orders/{first}/approvals", json={"decision": "approve"})
    payment = {"reference": f"tr-{first}", "amount": "119.00", "method": "transfer"}
    await desk.ok("finance", "POST", f"/orders/{first}/payments", json=payment)
    # 81.00 of the line would be left after one more order of 119.00: not after two.
    answers = await asyncio.gather(
        *[
            desk.call("shop", "POST", "/orders", json=order_body(customer, sku, 1, "credit"))
            for _ in range(2)
        ]
    )
    assert [a.status_code for a in answers] == [201, 201]
    passed = []
    for answer in answers:
        order_id = answer.json()["order_id"]

        async def reviewed(order_id: str = order_id) -> Any:
            o = await desk.get(order_id)
            return o if o["status"] not in ("RECEIVED", "UNDER_REVIEW") else None

        order = await eventually(reviewed)
        pending = {a["level"] for a in order["approvals"] if a["status"] == "pending"}
        if "finance" not in pending:
            passed.append(order_id)
        else:
            assert any("credit" in r for r in order["review_reasons"]), order["review_reasons"]
    assert len(passed) <= 1, "both orders used the last of the credit line"
    # What the account shows finance: the paid order asks nothing, the live ones are exposure.
    account = await desk.ok("finance", "GET", f"/customers/{customer}/account")
    assert account["open_balance"] == "0.00"
