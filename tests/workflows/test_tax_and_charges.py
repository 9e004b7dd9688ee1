"""Tax from the policy's table and shipping charges from its bands, end to end: an order to
Austria is taxed at Austria's rates per tax class with its shipping charge on the first
invoice; a business customer in another member state is reverse-charged (the invoice and its
PDF say so); a destination the table lacks is refused naming the field; a change of address
re-prices."""

import io
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import Customer
from domain.policy import DEFAULT_POLICY
from domain.shipping_charges import EXAMPLE_SHIPPING_CHARGES
from tests.harness import Desk, checked_desk, new_customer

D = Decimal
VIENNA = {"line1": "Stephansplatz 1", "city": "Wien", "postal_code": "1010", "country": "AT"}


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        document = DEFAULT_POLICY.model_copy(update={"shipping_charges": EXAMPLE_SHIPPING_CHARGES})
        await desk.ok(
            "admin",
            "PUT",
            "/policies/approval",
            json={"document": document.model_dump(mode="json"), "comment": "shipping prices"},
        )
        yield desk


def viennese(vat_id: str | None = None) -> dict[str, Any]:
    customer = new_customer()
    customer["address"] = VIENNA
    customer["phone"] = "+43 1 5134567"
    if vat_id:
        customer["vat_id"] = vat_id
    return customer


def body(customer: dict[str, Any], lines: dict[str, int], method: str = "standard") -> Any:
    return {
        "channel": "web",
        "customer": customer,
        "lines": [{"sku": sku, "quantity": q} for sku, q in lines.items()],
        "shipping": {"method": method},
        "payment": {"method": "cod"},
    }


async def test_an_order_abroad_is_taxed_per_class_with_its_shipping_charge(desk: Desk) -> None:
    book = await desk.product(price="20.00", weight="0.8", tax_class="reduced")
    lamp = await desk.product(price="39.90", weight="1.5")
    order_id = (
        await desk.ok("sales1", "POST", "/orders", json=body(viennese(), {book: 2, lamp: 1}))
    )["order_id"]
    order = await desk.status_is(order_id, "SHIPPED")
    assert [D(x["tax_rate"]) for x in order["lines"]] == [D("10"), D("20")]
    totals = order["totals"]
    # 3.1 kg of goods worth 79.90: the 10 kg band, 6.90, taxed at Austria's standard 20 %.
    assert (D(totals["shipping"]), D(totals["shipping_tax_rate"])) == (D("6.90"), D("20"))
    assert D(totals["tax"]) == D("4.00") + D("7.98") + D("1.38")
    assert D(totals["total"]) == D("79.90") + D("6.90") + D("13.36")
    assert totals["reverse_charge"] is False
    [invoice] = order["invoices"]
    doc = await desk.ok("finance", "GET", f"/invoices/{invoice['number']}")
    assert D(doc["total"]) == D(totals["total"])
    charges = [x for x in doc["lines"] if x["kind"] == "charge"]
    assert [(x["sku"], x["net"], x["tax"]) for x in charges] == [
        ("shipping:standard", "6.90", "1.38")
    ]
    rates = {D(x["rate"]): (D(x["net"]), D(x["tax"])) for x in doc["tax_by_rate"]}
    assert rates == {D("10"): (D("40.00"), D("4.00")), D("20"): (D("46.80"), D("9.36"))}
    assert doc["tax_note"] is None


async def test_free_shipping_from_the_threshold_and_charged_once_per_order(desk: Desk) -> None:
    sku = await desk.product(price="100.00", weight="2.0")
    await desk.receive(sku, 1, "WH2")
    # 200.00 of goods: standard shipping is free.
    free = await desk.ok("sales1", "POST", "/orders", json=body(viennese(), {sku: 2}))
    assert D((await desk.get(free["order_id"]))["totals"]["shipping"]) == D("0")
    # Express is charged whatever the value; an order split over two warehouses bills the
    # charge with its first invoice only.
    split = await desk.product(price="100.00", weight="2.0", stock=1)
    await desk.receive(split, 1, "WH2")
    order_id = (
        await desk.ok("sales1", "POST", "/orders", json=body(viennese(), {split: 2}, "express"))
    )["order_id"]
    order = await desk.status_is(order_id, "SHIPPED")
    assert D(order["totals"]["shipping"]) == D("16.90")  # 4 kg: the 10 kg express band
    docs = [await desk.ok("finance", "GET", f"/invoices/{i['number']}") for i in order["invoices"]]
    assert len(docs) == 2
    assert sum(x["kind"] == "charge" for d in docs for x in d["lines"]) == 1
    assert sum(D(d["total"]) for d in docs) == D(order["totals"]["total"])


async def test_a_business_customer_in_another_member_state_is_reverse_charged(
    desk: Desk,
) -> None:
    sku = await desk.product(price="50.00", weight="1.0")
    answer = await desk.call(
        "sales1", "POST", "/orders", json=body(viennese("ATU13585628"), {sku: 1})
    )
    assert answer.status_code == 422 and "vat_id" in answer.text  # a wrong check digit
    order_id = (
        await desk.ok("sales1", "POST", "/orders", json=body(viennese("ATU13585627"), {sku: 1}))
    )["order_id"]
    order = await desk.status_is(order_id, "SHIPPED")
    totals = order["totals"]
    assert totals["reverse_charge"] is True and D(totals["tax"]) == D("0")
    assert D(totals["total"]) == D("54.90")  # goods and the 4.90 charge, no tax
    number = order["invoices"][0]["number"]
    doc = await desk.ok("finance", "GET", f"/invoices/{number}")
    assert doc["reverse_charge"] is True and "Reverse charge" in doc["tax_note"]
    assert doc["buyer"]["vat_id"] == "ATU13585627"
    pdf = await desk.call(
        "finance", "GET", f"/invoices/{number}", headers={"Accept": "application/pdf"}
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Reverse charge" in text and "ATU13585627" in text and "shipping:standard" in text


async def test_a_destination_without_a_tax_rate_is_refused_and_nothing_written(
    desk: Desk,
) -> None:
    sku = await desk.product(price="10.00")
    customer = new_customer()
    customer["address"] = {
        "line1": "Av. Paulista 1",
        "city": "Sao Paulo",
        "postal_code": "01310-100",
        "country": "BR",
    }
    customer["phone"] = "+55 11 3003 3030"
    customer["name"] = name = f"Cliente {uuid.uuid4().hex}"
    answer = await desk.call("sales1", "POST", "/orders", json=body(customer, {sku: 1}))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "ship_to", "country"]
    async with desk.sessions() as session:
        assert await session.scalar(select(Customer).where(Customer.name == name)) is None


async def test_a_change_of_address_reprices_tax_and_shipping(desk: Desk) -> None:
    sku = await desk.product(price="50.00", weight="1.0", stock=0)
    customer = await desk.customer()
    order_id = await desk.order(sku, 1, customer_id=customer)  # Berlin: 19 %, waits for stock
    order = await desk.status_is(order_id, "AWAITING_STOCK")
    assert D(order["totals"]["tax"]) == D("9.50") + D("0.93")
    impact = await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/changes",
        json={"ship_to": VIENNA, "reason": "moved", "dry_run": True},
    )
    after = impact["totals_after"]
    assert (D(after["tax"]), D(after["shipping"])) == (D("10.00") + D("0.98"), D("4.90"))
    assert any(d["field"] == "tax" for d in impact["diff"])
