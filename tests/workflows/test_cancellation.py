"""Cancellation reasons are a closed list: each code is recorded on the order and in its
history; the process's own cancellations carry theirs (out of stock, payment failed)."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from domain.cancellation import CancelReason
from tests.harness import Desk, open_desk
from tests.invariants import assert_stock_invariants, database_now


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    since = await database_now(sessions)
    async with open_desk(time_env, sessions) as desk:
        yield desk
        await assert_stock_invariants(sessions, since)


@pytest.mark.parametrize("code", list(CancelReason))
async def test_each_reason_code_is_recorded(desk: Desk, code: CancelReason) -> None:
    sku = await desk.product(price="10.00", stock=2)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": code.value, "comment": "by phone"},
    )
    order = await desk.status_is(order_id, "CANCELLED")
    assert order["cancel_reason_code"] == code.value
    last = (await desk.history(order_id))[-1]
    assert last["reason"].startswith(f"{code.value}: by phone")
    assert await desk.available(sku) == 2


async def test_a_reason_code_is_required_and_known(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    for body in ({"comment": "no code"}, {"reason_code": "bored"}, {"reason": "free text"}):
        refused = await desk.call("service", "POST", f"/orders/{order_id}/cancel", json=body)
        assert refused.status_code == 422, body
        assert "reason_code" in refused.text or "reason" in refused.text
    assert (await desk.get(order_id))["status"] == "AWAITING_PAYMENT"


async def test_an_unpaid_prepayment_is_cancelled_as_payment_failed(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=1)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.env.sleep(timedelta(days=8))  # past the 7 days a prepayment is waited for
    order = await desk.status_is(order_id, "CANCELLED")
    assert order["cancel_reason_code"] == "payment_failed"
