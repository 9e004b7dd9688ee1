"""Invoices follow shipments and credit notes their cancellations and returns: an order
shipped from two warehouses gets two invoices that add up to its total; a return is credited
against the invoice that billed it; an invoice reads as JSON and as a printable PDF."""

import io
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from pypdf import PdfReader
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk, new_customer
from tests.workflows.test_fulfilment import order_of, stocked
from tests.workflows.test_returns import authorize, delivered_order, receive, return_is


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def test_an_order_shipped_in_two_parcels_gets_an_invoice_per_parcel(desk: Desk) -> None:
    sku = await stocked(desk, wh1=2, wh2=1)
    order_id = await order_of(desk, {sku: 3})  # 3 x 100.00: no warehouse has all three
    order = await desk.status_is(order_id, "SHIPPED")
    shipments = {s["id"] for s in order["shipments"]}
    invoices = order["invoices"]
    assert len(invoices) == 2 and {i["shipment_id"] for i in invoices} == shipments
    numbers = sorted(int(i["number"][-6:]) for i in invoices)
    assert numbers[1] == numbers[0] + 1  # gapless
    assert sum(Decimal(i["total"]) for i in invoices) == Decimal(order["totals"]["total"])
    docs = [await desk.ok("finance", "GET", f"/invoices/{i['number']}") for i in invoices]
    assert sorted(line["quantity"] for d in docs for line in d["lines"]) == [1, 2]
    for d in docs:
        assert d["seller"]["vat_id"] and d["buyer"]["name"] == "Test Kunde GmbH"
        [rate] = d["tax_by_rate"]
        assert Decimal(rate["rate"]) == Decimal("19") and rate["tax"] == d["tax"]
        lines = sum(Decimal(x["net"]) + Decimal(x["tax"]) for x in d["lines"])
        assert lines == Decimal(d["total"]) and d["status"] == "issued"


async def test_an_invoice_prints_as_pdf(desk: Desk) -> None:
    sku = await desk.product(price="42.50", stock=3)
    customer = new_customer()
    customer["vat_id"] = "DE811907980"
    body = {
        "channel": "web",
        "customer": customer,
        "lines": [{"sku": sku, "quantity": 2}],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
    }
    order_id = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    number = (await desk.status_is(order_id, "SHIPPED"))["invoices"][0]["number"]
    answer = await desk.call(
        "finance", "GET", f"/invoices/{number}", headers={"Accept": "application/pdf"}
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    for expected in (
        f"Invoice {number}",
        "Orderflow Demo GmbH",
        "Test Kunde GmbH",
        "Buyer VAT id: DE811907980",
        sku,
        "Tax 19.00 % on 85.00 EUR: 16.15 EUR",
        "Total: 101.15 EUR",
    ):
        assert expected in text, expected
    refused = await desk.call("warehouse", "GET", f"/invoices/{number}")
    assert refused.status_code == 403


async def test_a_return_is_credited_against_its_invoice(desk: Desk) -> None:
    sku = await desk.product(price="50.00", stock=5)
    order = await delivered_order(desk, {sku: 2})
    order_id = order["order_id"]
    rma = (await authorize(desk, order_id, {sku: 1})).json()["rma"]
    assert (await receive(desk, rma, [(sku, 1, "sellable")])).status_code == 200
    done = await return_is(desk, rma, "refunded")
    order = await desk.get(order_id)
    [note] = order["credit_notes"]
    [invoice] = order["invoices"]
    assert (note["reason"], note["reference"], note["invoice_number"]) == (
        "return",
        rma,
        invoice["number"],
    )
    assert note["total"] == done["refunded"] == "59.50"
    doc = await desk.ok("service", "GET", f"/credit-notes/{note['number']}")
    assert [(x["sku"], x["quantity"], x["net"], x["tax"]) for x in doc["lines"]] == [
        (sku, 1, "50.00", "9.50")
    ]
    billed = await desk.ok("finance", "GET", f"/invoices/{invoice['number']}")
    # Paid, and the returned half refunded: nothing left to ask.
    assert (billed["credited"], billed["open_amount"], billed["status"]) == (
        "59.50",
        "0.00",
        "paid",
    )
    assert billed["credit_notes"] == [note["number"]] and billed["status"] == "paid"


async def test_a_price_correction_credits_and_the_excess_goes_to_finance(desk: Desk) -> None:
    sku = await desk.product(price="50.00", stock=5)
    order = await delivered_order(desk, {sku: 2})  # paid 119.00
    order_id = order["order_id"]
    [invoice] = order["invoices"]
    url = f"/invoices/{invoice['number']}/corrections"
    body = {
        "lines": [{"sku": sku, "amount": "10.00"}],
        "reason": "agreed rebate",
        "reference": "rb-1",
    }
    note = await desk.ok("finance", "POST", url, json=body)
    assert (note["reason"], note["net"], note["tax"], note["total"]) == (
        "correction",
        "10.00",
        "1.90",
        "11.90",
    )
    assert (await desk.ok("finance", "POST", url, json=body))["number"] == note["number"]
    too_much = await desk.call(
        "finance",
        "POST",
        url,
        json={"lines": [{"sku": sku, "amount": "90.01"}], "reason": "x", "reference": "rb-2"},
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["loc"] == ["body", "lines", 0, "amount"]
    billed = await desk.ok("finance", "GET", f"/invoices/{invoice['number']}")
    # Never changed; paid already, it asks nothing more (the excess is a case for finance).
    assert (billed["total"], billed["credited"], billed["open_amount"]) == (
        "119.00",
        "11.90",
        "0.00",
    )
    cases = await desk.ok("finance", "GET", "/reconciliation/cases")
    [case] = [c for c in cases if c["order_id"] == order_id]
    assert (case["kind"], case["amount"]) == ("overpayment", "11.90")
    await desk.ok(
        "finance",
        "POST",
        f"/reconciliation/cases/{case['id']}",
        json={"action": "refund", "comment": "rebate paid back"},
    )
    assert (await desk.get(order_id))["paid_total"] == "107.10"
    assert (await desk.call("service", "POST", url, json=body)).status_code == 403
