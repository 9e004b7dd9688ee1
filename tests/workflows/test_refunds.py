"""Payments count once per reference (another amount under it is 409); an overpayment opens a
reconciliation case finance resolves (refund, write off, keep as credit); finance's refunds go
through the gateway once per reference and never beyond what was paid and not refunded."""

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def pay(desk: Desk, order_id: str, reference: str, amount: str) -> Any:
    return await desk.call(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": reference, "amount": amount, "method": "card"},
    )


async def paid_order(desk: Desk, amount: str = "119.00") -> str:
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    assert (await pay(desk, order_id, f"p-{order_id}", amount)).status_code == 200
    return order_id


async def test_a_reference_pays_once_and_only_with_its_amount(desk: Desk) -> None:
    order_id = await paid_order(desk)
    again = await pay(desk, order_id, f"p-{order_id}", "119.00")
    assert again.status_code == 200 and Decimal(again.json()["paid_total"]) == Decimal("119.00")
    other = await pay(desk, order_id, f"p-{order_id}", "19.00")
    assert other.status_code == 409 and "119.00" in other.text
    order = await desk.status_is(order_id, "SHIPPED")
    assert [p["amount"] for p in order["payments"]] == ["119.00"]


async def test_an_overpayment_opens_a_case_finance_refunds(desk: Desk) -> None:
    order_id = await paid_order(desk, amount="150.00")
    await desk.status_is(order_id, "SHIPPED")
    cases = await desk.ok("finance", "GET", "/reconciliation/cases")
    [case] = [c for c in cases if c["order_id"] == order_id]
    assert (case["kind"], case["amount"], case["status"]) == ("overpayment", "31.00", "open")
    assert (await desk.call("sales1", "GET", "/reconciliation/cases")).status_code == 403
    resolved = await desk.ok(
        "finance",
        "POST",
        f"/reconciliation/cases/{case['id']}",
        json={"action": "refund", "comment": "paid twice by mistake"},
    )
    assert (resolved["status"], resolved["action"], resolved["resolved_by"]) == (
        "resolved",
        "refund",
        "finance",
    )
    order = await desk.get(order_id)
    assert Decimal(order["paid_total"]) == Decimal("119.00")
    assert [p["amount"] for p in order["payments"] if p["kind"] == "refund"] == ["-31.00"]
    twice = await desk.call(
        "finance", "POST", f"/reconciliation/cases/{case['id']}", json={"action": "write_off"}
    )
    assert twice.status_code == 409


async def test_an_overpayment_kept_as_credit_is_recorded_and_audited(desk: Desk) -> None:
    order_id = await paid_order(desk, amount="120.00")
    cases = await desk.ok("finance", "GET", "/reconciliation/cases")
    [case] = [c for c in cases if c["order_id"] == order_id]
    kept = await desk.ok(
        "finance",
        "POST",
        f"/reconciliation/cases/{case['id']}",
        json={"action": "keep_as_credit", "comment": "next order"},
    )
    assert (kept["action"], kept["comment"]) == ("keep_as_credit", "next order")
    order = await desk.get(order_id)
    assert Decimal(order["paid_total"]) == Decimal("120.00")  # nothing went back
    audit = await desk.ok("admin", "GET", f"/audit?order_id={order_id}")
    assert any(row["action"] == "reconciliation.resolve" for row in audit["items"])


async def test_refunds_are_limited_and_count_once_per_reference(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    early = await desk.call(
        "finance", "POST", f"/orders/{order_id}/refunds", json={"amount": "1.00", "reason": "x"}
    )
    assert early.status_code == 409 and "cancel" in early.text  # before the goods leave
    assert (await pay(desk, order_id, f"p-{order_id}", "119.00")).status_code == 200
    await desk.status_is(order_id, "SHIPPED")
    url = f"/orders/{order_id}/refunds"
    body = {"amount": "20.00", "reason": "goodwill: late", "reference": "gw-1"}
    first = await desk.ok("finance", "POST", url, json=body)
    assert (first["refunded"], first["paid_total"]) == ("20.00", "99.00")
    again = await desk.ok("finance", "POST", url, json=body)
    assert again["refunded"] == "20.00" and again["paid_total"] == "99.00"
    too_much = await desk.call(
        "finance", "POST", url, json={"amount": "99.01", "reason": "x", "reference": "gw-2"}
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["loc"] == ["body", "amount"]
    rest = await desk.ok(
        "finance", "POST", url, json={"amount": "99.00", "reason": "all", "reference": "gw-3"}
    )
    assert rest["paid_total"] == "0.00"
    assert (await desk.call("service", "POST", url, json=body)).status_code == 403
    # Money the invoice had asked, refunded: credit notes make it ask that much less, so the
    # customer does not owe what was given back.
    order = await desk.get(order_id)
    notes = [(n["reason"], n["total"]) for n in order["credit_notes"]]
    assert notes == [("refund", "20.00"), ("refund", "99.00")]
    [invoice] = order["invoices"]
    assert (invoice["status"], invoice["open_amount"]) == ("credited", "0.00")


def signed(desk: Desk, body: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    secret = desk.settings.auth.payment_webhook_secret.encode()
    digest = hmac.new(secret, raw, hashlib.sha256).hexdigest()
    return raw, {"X-Signature": f"sha256={digest}", "Content-Type": "application/json"}


async def test_a_signed_gateway_webhook_pays_once_and_a_forged_one_is_refused(
    desk: Desk,
) -> None:
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    body = {
        "order_id": order_id,
        "reference": f"gw-{order_id}",
        "amount": "119.00",
        "method": "card",
    }
    raw, headers = signed(desk, body)
    forged = {**headers, "X-Signature": "sha256=" + "0" * 64}
    refused = await desk.http.post("/payments/webhook", content=raw, headers=forged)
    assert refused.status_code == 401
    tampered = json.dumps({**body, "amount": "1.00"}).encode()
    answer = await desk.http.post("/payments/webhook", content=tampered, headers=headers)
    assert answer.status_code == 401
    assert (await desk.get(order_id))["payments"] == []
    for _ in range(2):
        answer = await desk.http.post("/payments/webhook", content=raw, headers=headers)
        assert answer.status_code == 200, answer.text
    order = await desk.status_is(order_id, "SHIPPED")
    recorded = [(p["reference"], p["amount"]) for p in order["payments"]]
    assert recorded == [(f"gw-{order_id}", "119.00")]
