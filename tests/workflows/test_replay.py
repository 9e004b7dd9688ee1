"""Recorded histories of released OrderWorkflow runs must replay on the current code, so a
change that would break running orders fails CI. New histories: `make record-histories`."""

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from db.engine import SessionFactory
from domain.messages import OrderState, OrderWorkflowInput
from tests.harness import Desk, open_desk
from tests.workflows.test_bulk import bulk_body, business, deliver_all
from tests.workflows.test_confirmation_and_policy import link_of
from tests.workflows.test_custom import event, made_to_order, signed_off
from tests.workflows.test_installments import installment_order
from tests.workflows.test_paths import deliver
from tests.workflows.test_presale import pay, presale_order, presale_product, today
from workflows.host import workflow_id
from workflows.notifier import NotifierWorkflow
from workflows.order import OrderWorkflow
from workflows.production_flow import ProductionWorkflow
from workflows.refund_flow import RefundWorkflow, refund_workflow_id
from workflows.return_flow import ReturnWorkflow, return_workflow_id

HISTORIES = Path(__file__).resolve().parent.parent / "histories"


def recorded() -> list[WorkflowHistory]:
    return [
        WorkflowHistory.from_json(path.stem, path.read_text())
        for path in sorted(HISTORIES.glob("*.json"))
    ]


async def test_recorded_histories_replay_on_current_code() -> None:
    histories = recorded()
    # Orders from before the approval desk (order-*), with it (desk-*), with pick and pack
    # (pick-pack-*), with closing as compensation steps (saga-*), with changes, withdrawals
    # and returns (changes-*, the return's own workflow among them), with installments, dunning
    # per document and write-offs (settlement-*), with nudges kept during a reservation
    # (proof-*), with order types (types-*: a pre-sale order).
    releases = {h.workflow_id.split("-")[0] for h in histories}
    assert releases == {
        "order",
        "desk",
        "pick",
        "saga",
        "changes",
        "settlement",
        "proof",
        "types",
    }
    assert len(histories) >= 67
    replayer = Replayer(
        workflows=[
            OrderWorkflow,
            ReturnWorkflow,
            RefundWorkflow,
            NotifierWorkflow,
            ProductionWorkflow,
        ],
        data_converter=pydantic_data_converter,
    )
    for history in histories:
        await replayer.replay_workflow(history)


@workflow.defn(name="OrderWorkflow", sandboxed=False)
class ReorderedOrderWorkflow:
    """A careless change: skips review. Replaying released histories must catch it."""

    @workflow.run
    async def run(self, order: OrderWorkflowInput) -> OrderState:
        await workflow.sleep(timedelta(seconds=1))
        raise AssertionError("unreachable in replay")


async def test_an_incompatible_change_fails_replay() -> None:
    replayer = Replayer(workflows=[ReorderedOrderWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(recorded()[0], raise_on_replay_failure=False)
    assert result.replay_failure is not None


async def _prepaid(desk: Desk) -> str:
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"rec-{order_id}", "amount": "119.00", "method": "card"},
    )
    await deliver(desk, order_id)
    return order_id


async def _rejected(desk: Desk) -> str:
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, payment="cod", discount_pct="20")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok(
        "supervisor",
        "POST",
        f"/orders/{order_id}/approvals",
        json={"decision": "reject", "comment": "no"},
    )
    return order_id


async def _backorder_cancelled(desk: Desk) -> str:
    sku = await desk.product(price="10.00", stock=0)
    order_id = await desk.order(sku, payment="cod", user="sales1")
    await desk.status_is(order_id, "AWAITING_STOCK")
    await asyncio.sleep(1.5)  # a few stock rechecks (every 0.3 s here) go by
    await desk.ok(
        "sales1",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "recorded"},
    )
    return order_id


async def _credit_overdue(desk: Desk) -> str:
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, payment="credit")
    await desk.status_is(order_id, "AWAITING_APPROVAL")  # a first order on credit terms
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await deliver(desk, order_id)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    await desk.env.sleep(timedelta(days=31))
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"rec-{order_id}", "amount": "119.00", "method": "transfer"},
    )
    return order_id


async def _escalated_then_dual_control(desk: Desk) -> str:
    sku = await desk.product(price="30000.00", stock=2)
    order_id = await desk.order(sku, quantity=2, payment="cod", discount_pct="11")
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.env.sleep(timedelta(days=1, hours=1))  # reminded, then escalated to a manager
    url = f"/orders/{order_id}/approvals"
    await desk.ok("manager", "POST", url, json={"decision": "approve"})
    await desk.ok("manager", "POST", url, json={"decision": "approve"})
    await desk.ok("manager2", "POST", url, json={"decision": "approve"})
    await deliver(desk, order_id)
    return order_id


async def _customer_confirmed(desk: Desk) -> str:
    sku = await desk.product(price="20.00", stock=20)
    customer = await desk.customer()
    for _ in range(3):
        await desk.order(sku, quantity=1, payment="cod", customer_id=customer)
    order_id = await desk.order(sku, quantity=10, payment="cod", customer_id=customer)
    token = await link_of(desk, order_id)
    await desk.http.post(f"/confirmations/{token}", json={"decision": "confirm"})
    await deliver(desk, order_id)
    return order_id


async def _changed(desk: Desk) -> str:
    """Changed after approval: a discount that needs a supervisor, then paid and delivered."""
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.ok(
        "sales1",
        "POST",
        f"/orders/{order_id}/changes",
        json={"lines": [{"sku": sku, "quantity": 2, "discount_pct": "15"}], "reason": "rec"},
    )
    await desk.ok(
        "supervisor", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"}
    )
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"rec-{order_id}", "amount": "202.30", "method": "card"},
    )
    await deliver(desk, order_id)
    return order_id


async def _withdrawn(desk: Desk) -> str:
    """Cancelled once booked, before the carrier picked it up: the booking withdrawn."""
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, payment="cod")
    await desk.status_is(order_id, "SHIPPED")
    await desk.ok(
        "service", "POST", f"/orders/{order_id}/cancel", json={"reason_code": "duplicate"}
    )
    return order_id


async def _return_refunded(desk: Desk) -> str:
    """A return's own workflow: authorized, received, refunded."""
    order_id = await _prepaid(desk)
    await desk.status_is(order_id, "COMPLETED")
    sku = (await desk.get(order_id))["lines"][0]["sku"]
    ret = await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/returns",
        json={
            "lines": [{"sku": sku, "quantity": 1}],
            "reason_code": "no_longer_needed",
            "resolution": "refund",
        },
    )
    await desk.ok(
        "warehouse",
        "POST",
        f"/returns/{ret['rma']}/receive",
        json={"warehouse": "WH1", "lines": [{"sku": sku, "quantity": 1, "condition": "sellable"}]},
    )
    return return_workflow_id(ret["rma"])


async def _refund(desk: Desk) -> str:
    """Finance's refund, its own short workflow."""
    order_id = await _prepaid(desk)
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/refunds",
        json={"amount": "10.00", "reason": "goodwill", "reference": "rec-goodwill"},
    )
    return refund_workflow_id(order_id, "rec-goodwill")


async def _cod_written_off(desk: Desk) -> str:
    """Cash on delivery collected short: an underpayment case finance writes off."""
    sku = await desk.product(price="100.00", stock=3)
    order_id = await desk.order(sku, payment="cod")
    order = await desk.status_is(order_id, "SHIPPED")
    tracking = order["shipments"][0]["tracking_number"]
    for scan in (
        {"event": "picked_up", "tracking_number": tracking},
        {"event": "delivered", "tracking_number": tracking, "cod_amount": "100.00"},
    ):
        await desk.ok("warehouse", "POST", f"/orders/{order_id}/shipment-events", json=scan)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    cases = await desk.ok("finance", "GET", "/reconciliation/cases?status=open")
    [case] = [c for c in cases if c["order_id"] == order_id]
    await desk.ok(
        "finance", "POST", f"/reconciliation/cases/{case['id']}", json={"action": "write_off"}
    )
    return order_id


async def _installments(desk: Desk) -> str:
    """Three installments a month apart, the second paid late after its reminders."""
    order_id = await installment_order(desk)
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    url = f"/orders/{order_id}/payments"
    await deliver(desk, order_id)
    await desk.status_is(order_id, "AWAITING_SETTLEMENT")
    for no, wait in ((1, 1), (2, 38), (3, 20)):
        await desk.env.sleep(timedelta(days=wait))
        payment = {"reference": f"rec-{order_id}-{no}", "amount": "119.00", "method": "transfer"}
        await desk.ok("finance", "POST", url, json=payment)
    return order_id


async def _presale(desk: Desk) -> str:
    """A pre-sale order: its deposit, its place held until the release three days on, then
    its stock, its balance and its delivery."""
    release = await today(desk.sessions) + timedelta(days=3)
    sku = await presale_product(desk, release, cap=5, deposit_pct="25")
    response = await presale_order(desk, sku)
    assert response.status_code == 201, response.text
    order_id: str = response.json()["order_id"]
    order = await desk.status_is(order_id, "AWAITING_DEPOSIT")
    await pay(desk, order_id, order["deposit"], "deposit")
    await desk.status_is(order_id, "QUEUED")
    await desk.receive(sku, 1)
    await desk.env.sleep(timedelta(days=4))
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    balance = Decimal(order["totals"]["total"]) - Decimal(order["deposit"])
    await pay(desk, order_id, str(balance), "balance")
    await deliver(desk, order_id)
    return order_id


async def _bulk(desk: Desk) -> str:
    """A bulk order in two deliveries four days apart: finance approves it, each batch is
    reserved on its day, shipped on its date and invoiced; delivered and paid."""
    day = await today(desk.sessions)
    sku = await desk.product(price="10.00", stock=5)
    customer = await business(desk)
    plan = [(day + timedelta(days=4), 2), (day + timedelta(days=8), 3)]
    order_id: str = (
        await desk.ok("sales1", "POST", "/orders", json=bulk_body(customer, sku, plan))
    )["order_id"]
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    await desk.ok("finance", "POST", f"/orders/{order_id}/approvals", json={"decision": "approve"})
    await desk.status_is(order_id, "SCHEDULED")
    await desk.env.sleep(timedelta(days=9))
    order = await desk.status_is(order_id, "SHIPPED", timeout=60)
    await deliver_all(desk, order_id)
    for invoice in order["invoices"]:
        payment = {"reference": invoice["number"], "amount": invoice["total"], "method": "transfer"}
        await desk.ok("finance", "POST", f"/orders/{order_id}/payments", json=payment)
    await desk.status_is(order_id, "COMPLETED")
    return order_id


async def _custom_made(desk: Desk) -> str:
    """A custom order signed off, made with one rework, paid and shipped; its order id."""
    sku = await made_to_order(desk, days=3)
    order_id, order = await signed_off(desk, sku)
    po = order["production_order_id"]
    for kind in ("started", "finished", "quality_failed", "started", "finished", "quality_passed"):
        answer = await event(desk, po, kind, "seen")
        assert answer.status_code == 200, answer.text
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    await pay(desk, order_id, order["totals"]["total"], "custom")
    await deliver(desk, order_id)
    return order_id


async def _custom(desk: Desk) -> str:
    return await _custom_made(desk)


async def _production(desk: Desk) -> str:
    """The production child workflow of a custom order, through a rework."""
    return f"production-{await _custom_made(desk)}"


async def _notifier(desk: Desk) -> str:
    """The notifier's rounds: an order's messages delivered (to the outbox sink), then idle
    polls; it runs for ever, so it is terminated."""
    handle = await desk.env.client.start_workflow(
        NotifierWorkflow.run,
        0.2,
        id=f"notifier-{uuid.uuid4().hex[:8]}",
        task_queue=desk.settings.temporal.task_queue,
    )
    sku = await desk.product(price="10.00", stock=2)
    order_id = await desk.order(sku, 1, payment="cod")
    await desk.status_is(order_id, "SHIPPED")
    await asyncio.sleep(1)
    await handle.terminate("recorded")
    return handle.id


# Recorded on the dev server (as in production), but for those that need days to pass.
ON_DEV_SERVER: dict[str, Callable[[Desk], Awaitable[str]]] = {
    "prepaid": _prepaid,
    "rejected": _rejected,
    "backorder-cancelled": _backorder_cancelled,
    "customer-confirmed": _customer_confirmed,
    "changed": _changed,
    "withdrawn": _withdrawn,
    "return-refunded": _return_refunded,
    "refund": _refund,
    "cod-written-off": _cod_written_off,
    "notifier": _notifier,
}
OVER_DAYS: dict[str, Callable[[Desk], Awaitable[str]]] = {
    "credit-overdue": _credit_overdue,
    "escalated-dual-control": _escalated_then_dual_control,
    "installments": _installments,
    "presale": _presale,
    "bulk": _bulk,
    "custom": _custom,
    "production": _production,
}
# Histories of earlier releases keep their names; each release records under its own prefix.
# Histories recorded with this release keep their name; earlier ones stay and must replay too.
RELEASE = "types"
recording = pytest.mark.skipif(
    not os.environ.get("RECORD_HISTORIES"), reason="records on demand only"
)


async def _record(
    env: WorkflowEnvironment,
    sessions: SessionFactory,
    name: str,
    scenario: Callable[[Desk], Awaitable[str]],
) -> None:
    async with open_desk(env, sessions, stock_recheck=timedelta(seconds=0.3)) as desk:
        recorded_id = await scenario(desk)
        # An order's id, or a return's, a refund's or the notifier's workflow id.
        if not recorded_id.startswith(("return-", "refund-", "notifier-", "production-")):
            recorded_id = workflow_id(recorded_id)
        handle = env.client.get_workflow_handle(recorded_id)
        with contextlib.suppress(WorkflowFailureError):  # the notifier ends terminated
            await handle.result()
        history = await handle.fetch_history()
        (HISTORIES / f"{RELEASE}-{name}.json").write_text(history.to_json())


@recording
@pytest.mark.parametrize("name", list(ON_DEV_SERVER))
async def test_record_history(
    dev_env: WorkflowEnvironment, sessions: SessionFactory, name: str
) -> None:
    await _record(dev_env, sessions, name, ON_DEV_SERVER[name])


@recording
@pytest.mark.parametrize("name", list(OVER_DAYS))
async def test_record_history_over_days(
    time_env: WorkflowEnvironment, sessions: SessionFactory, name: str
) -> None:
    await _record(time_env, sessions, name, OVER_DAYS[name])
