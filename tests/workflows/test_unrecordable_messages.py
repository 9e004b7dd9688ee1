"""A message the order cannot record (NUL in its text, a value the database refuses) is
refused or fails once; the order keeps moving and later messages are not held behind it."""

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from domain.messages import CancelInput, PaymentInput
from tests.harness import Desk, open_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def test_nul_messages_are_refused_and_the_order_still_moves(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, quantity=1, payment="prepaid")
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    url = f"/orders/{order_id}"
    for user, path, body in [
        ("admin", "/payments", {"reference": "p\u00001", "amount": "1.00", "method": "card"}),
        ("admin", "/cancel", {"reason_code": "customer_request", "comment": "changed\u0000mind"}),
        ("manager", "/approvals", {"decision": "approve", "comment": "ok\u0000"}),
    ]:
        response = await desk.call(user, "POST", url + path, json=body)
        assert response.status_code == 422, (path, response.text)
    # Bypassing the API: the workflow's own validators refuse the same text.
    handle = desk.handle(order_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            "record_payment", PaymentInput(reference="p\u00001", amount=Decimal(1), method="card")
        )
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "InvalidInput"
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("cancel", CancelInput(reason="x\u0000", actor="admin"))
    # A value only the database refuses (a method longer than its column) fails the activity
    # once, not for ever: the caller hears at once and the order is unchanged.
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(
            "record_payment",
            PaymentInput(reference="p-long", amount=Decimal(1), method="m" * 40),
        )
    assert isinstance(failed.value.cause, ActivityError)
    assert isinstance(failed.value.cause.cause, ApplicationError)
    assert failed.value.cause.cause.type == "InvalidData"
    assert (await desk.get(order_id))["payments"] == []
    # Later valid messages go through: paid in full, the order ships.
    paid = await desk.ok(
        "finance",
        "POST",
        url + "/payments",
        json={"reference": "p-ok", "amount": order["totals"]["total"], "method": "card"},
    )
    assert Decimal(paid["paid_total"]) == Decimal(order["totals"]["total"])
    await desk.status_is(order_id, "SHIPPED")


async def test_a_cancel_after_a_refused_one_still_releases_the_stock(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=2)
    order_id = await desk.order(sku, quantity=2, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert await desk.available(sku) == 0
    bad = await desk.call(
        "admin",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "\u0000"},
    )
    assert bad.status_code == 422
    await desk.ok(
        "admin",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "customer called"},
    )
    await desk.status_is(order_id, "CANCELLED")
    assert await desk.available(sku) == 2
