"""`POST /orders/quote`: the price an order would be taken at, priced by intake's own rules
(line tax by class and destination, shipping by weight band), with nothing written."""

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from domain.policy import DEFAULT_POLICY
from domain.shipping_charges import EXAMPLE_SHIPPING_CHARGES
from tests.harness import Desk, open_desk, order_body


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        # Shipping priced by weight band, as `make run` seeds it (tests/workflows does too).
        document = DEFAULT_POLICY.model_copy(update={"shipping_charges": EXAMPLE_SHIPPING_CHARGES})
        await desk.ok(
            "admin",
            "PUT",
            "/policies/approval",
            json={"document": document.model_dump(mode="json"), "comment": "shipping prices"},
        )
        yield desk


def numbers(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The row's amounts and rates as numbers (19 and 19.00 are one rate)."""

    def number(v: Any) -> Any:
        try:
            return Decimal(v)
        except (ArithmeticError, TypeError, ValueError):
            return v

    return {k: number(v) for k, v in row.items() if not keys or k in keys}


def cart(customer_id: str, standard: str, reduced: str) -> dict[str, Any]:
    body = order_body(customer_id, standard, 3, discount_pct="12.5")
    body["lines"].append({"sku": reduced, "quantity": 2})
    body["shipping"] = {"method": "express"}
    return body


async def test_the_quote_is_the_price_the_order_is_taken_at(desk: Desk) -> None:
    standard = await desk.product(price="19.99", weight="2.5")
    reduced = await desk.product(price="7.10", tax_class="reduced")
    customer = await desk.customer()
    body = cart(customer, standard, reduced)
    quote_body = {k: body[k] for k in ("customer", "lines", "shipping")}
    quote = await desk.ok("sales1", "POST", "/orders/quote", json=quote_body)
    # Nothing was written: the customer has no order yet.
    mine = await desk.ok("admin", "GET", "/orders", params={"customer_id": customer})
    assert mine["items"] == []

    first, second = quote["lines"]
    assert (first["sku"], first["gross"], first["discount"], first["net"]) == (
        standard, "59.97", "7.50", "52.47"
    )  # fmt: skip
    assert Decimal(first["tax_rate"]) > Decimal(second["tax_rate"])  # reduced rate on food
    totals = quote["totals"]
    assert Decimal(totals["shipping"]) > 0  # express, by weight band
    lines_tax = sum(Decimal(x["tax"]) for x in quote["lines"])
    shipping_tax = (
        Decimal(totals["shipping"]) * Decimal(totals["shipping_tax_rate"]) / 100
    ).quantize(Decimal("0.01"))
    assert Decimal(totals["tax"]) == lines_tax + shipping_tax
    assert Decimal(totals["total"]) == (
        Decimal(totals["subtotal"]) - Decimal(totals["discount"]) + Decimal(totals["shipping"])
        + Decimal(totals["tax"])
    )  # fmt: skip

    made = await desk.ok("sales1", "POST", "/orders", json=body)
    order = await desk.get(made["order_id"])
    assert numbers(order["totals"]) == numbers(totals)
    assert [numbers(x, "sku", "net", "tax_rate") for x in order["lines"]] == [
        numbers(x, "sku", "net", "tax_rate") for x in quote["lines"]
    ]


async def test_a_quote_to_an_address_prices_tax_by_the_destination(desk: Desk) -> None:
    sku = await desk.product(price="100.00")
    lines = [{"sku": sku, "quantity": 1}]
    home = {"line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    abroad = {"line1": "Ring 1", "city": "Wien", "postal_code": "1010", "country": "AT"}
    quotes = [
        await desk.ok(
            "service",
            "POST",
            "/orders/quote",
            json={"ship_to": place, "lines": lines, "shipping": {"method": "standard"}},
        )
        for place in (home, abroad)
    ]
    rates = [q["lines"][0]["tax_rate"] for q in quotes]
    assert [Decimal(r) for r in rates] == [Decimal("19"), Decimal("20")]


async def test_a_quote_is_refused_by_field_like_the_order(desk: Desk) -> None:
    sku = await desk.product()
    customer = await desk.customer()
    shipping = {"method": "standard"}

    async def refused(user: str, body: dict[str, Any]) -> tuple[int, Any]:
        answer = await desk.call(user, "POST", "/orders/quote", json=body)
        return answer.status_code, answer.json()

    unknown = f"NOPE-{uuid.uuid4().hex[:6]}"
    status, body = await refused(
        "sales1", {"customer": {"id": customer}, "lines": [{"sku": unknown, "quantity": 1}],
                   "shipping": shipping},
    )  # fmt: skip
    assert status == 422 and unknown in str(body) and "sku" in str(body)
    status, body = await refused(
        "sales1", {"lines": [{"sku": sku, "quantity": 1}], "shipping": shipping}
    )
    assert status == 422 and "ship_to" in str(body)
    # Another rep's customer reads as unknown; discounts are for roles that set prices.
    status, body = await refused(
        "sales2", {"customer": {"id": customer}, "lines": [{"sku": sku, "quantity": 1}],
                   "shipping": shipping},
    )  # fmt: skip
    assert status == 422 and "customer" in str(body)
    discounted = [{"sku": sku, "quantity": 1, "discount_pct": "5"}]
    status, _ = await refused(
        "service", {"customer": {"id": customer}, "lines": discounted, "shipping": shipping}
    )
    assert status == 403
    status, _ = await refused(
        "warehouse", {"customer": {"id": customer}, "lines": discounted, "shipping": shipping}
    )
    assert status == 403
