"""Price lists and promotions end to end: made by a sales supervisor (audited), applied by
intake to a customer's order (the best valid price, its source and the promotions recorded,
named in the review's reasons, no approval needed for them), shown by the quote alike."""

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import AuditEntry
from tests.harness import Desk, open_desk, order_body

D = Decimal


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def rules_for(desk: Desk, customer: str, sku: str, category: str) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    today = date.today()
    contract = await desk.ok(
        "supervisor",
        "POST",
        "/price-lists",
        json={
            "name": f"Contract {tag}",
            "customer_id": customer,
            "valid_from": (today - timedelta(days=1)).isoformat(),
            "valid_to": (today + timedelta(days=30)).isoformat(),
            "entries": [
                {"sku": sku, "min_quantity": 1, "unit_price": "90.00"},
                {"sku": sku, "min_quantity": 10, "unit_price": "80.00"},
            ],
        },
    )
    promotion = await desk.ok(
        "supervisor",
        "POST",
        "/promotions",
        json={
            "name": f"Category {tag}",
            "kind": "percent",
            "value": "10",
            "scope": "category",
            "target": category,
            "valid_from": today.isoformat(),
        },
    )
    return {"contract": contract, "promotion": promotion}


async def test_a_contract_customer_orders_at_the_best_valid_price(
    desk: Desk, sessions: SessionFactory
) -> None:
    category = f"cat-{uuid.uuid4().hex[:6]}"
    sku = f"PR-{uuid.uuid4().hex[:8]}"
    product = {"sku": sku, "name": "Priced", "unit_price": "100.00", "weight_kg": "1",
               "category": category}  # fmt: skip
    await desk.ok("admin", "POST", "/products", json=product)
    await desk.receive(sku, 50)
    customer = await desk.customer()
    made = await rules_for(desk, customer, sku, category)

    quote = await desk.ok(
        "shop", "POST", "/orders/quote",
        json={"customer": {"id": customer}, "lines": [{"sku": sku, "quantity": 12}],
              "shipping": {"method": "standard"}},
    )  # fmt: skip
    order_id = await desk.order(sku, 12, customer_id=customer)
    order = await desk.status_is(order_id, "AWAITING_PAYMENT")
    [line] = order["lines"]
    # The 10-unit break (80.00), then 10 % off the category: 72.00, 28 % below the catalogue.
    contract, promotion = made["contract"]["name"], made["promotion"]["name"]
    assert D(line["unit_price"]) == D("72.00") and D(line["list_price"]) == D("72.00")
    assert line["price_source"] == f"{contract} from 10"
    assert line["promotions"] == [promotion]
    assert D(line["net"]) == D("864.00")
    assert [quote["lines"][0][k] for k in ("unit_price", "price_source", "promotions")] == [
        line["unit_price"], line["price_source"], line["promotions"]
    ]  # fmt: skip
    # No approver was asked for the rules' prices; the review says how the line was priced.
    assert order["approvals"] == []
    assert any(contract in r and promotion in r for r in order["review_reasons"])

    # Another customer pays the catalogue price less the promotion only.
    other = await desk.order(sku, 1)
    other_line = (await desk.get(other))["lines"][0]
    assert (D(other_line["unit_price"]), other_line["price_source"]) == (D("90.00"), "catalogue")

    # A person's discount on top is still theirs, judged against the list price.
    sales = await desk.ok(
        "sales1", "POST", "/orders",
        json=order_body(customer, sku, 1, discount_pct="15"),
    )  # fmt: skip
    discounted = await desk.status_is(sales["order_id"], "AWAITING_APPROVAL")
    assert any("below its list price 81.00" in r for r in discounted["review_reasons"])

    async with sessions() as session:
        actions = set(
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.detail.contains(contract) | AuditEntry.detail.contains(promotion)
                )
            )
        )
    assert actions == {"price_list.create", "promotion.create"}


async def test_price_rules_are_managed_by_supervisors_and_checked_by_field(desk: Desk) -> None:
    sku = await desk.product()
    body = {"name": f"L {uuid.uuid4().hex[:6]}", "valid_from": "2027-01-01",
            "entries": [{"sku": sku, "unit_price": "1.00"}]}  # fmt: skip
    assert (await desk.call("sales1", "POST", "/price-lists", json=body)).status_code == 403
    assert (await desk.call("sales1", "GET", "/promotions")).status_code == 403
    await desk.ok("admin", "POST", "/price-lists", json=body)
    again = await desk.call("supervisor", "POST", "/price-lists", json=body)
    assert again.status_code == 409
    unknown = {**body, "name": f"U {uuid.uuid4().hex[:6]}",
               "entries": [{"sku": "NO-SUCH-SKU", "unit_price": "1.00"}]}  # fmt: skip
    answer = await desk.call("supervisor", "POST", "/price-lists", json=unknown)
    assert answer.status_code == 422 and "entries" in answer.text and "NO-SUCH-SKU" in answer.text
    both = {**body, "name": "B", "customer_id": "x", "customer_group": "vip"}
    answer = await desk.call("supervisor", "POST", "/price-lists", json=both)
    assert answer.status_code == 422 and "customer_group" in answer.text
    backwards = {**body, "name": "W", "valid_to": "2026-01-01"}
    answer = await desk.call("supervisor", "POST", "/price-lists", json=backwards)
    assert answer.status_code == 422 and "valid_to" in answer.text
    promo = {"name": f"P {uuid.uuid4().hex[:6]}", "kind": "percent", "value": "120",
             "scope": "order", "valid_from": "2027-01-01"}  # fmt: skip
    answer = await desk.call("supervisor", "POST", "/promotions", json=promo)
    assert answer.status_code == 422 and "value" in answer.text
    answer = await desk.call(
        "supervisor", "POST", "/promotions", json={**promo, "value": "5", "target": sku}
    )
    assert answer.status_code == 422 and "target" in answer.text
    made = await desk.ok("supervisor", "POST", "/promotions", json={**promo, "value": "5"})
    listed = await desk.ok("supervisor", "GET", "/promotions", params={"valid_on": "2027-02-01"})
    assert made["name"] in [p["name"] for p in listed]
    before = await desk.ok("supervisor", "GET", "/promotions", params={"valid_on": "2026-12-31"})
    assert made["name"] not in [p["name"] for p in before]


async def test_a_change_keeps_agreed_prices_and_prices_a_new_sku_by_the_rules(desk: Desk) -> None:
    category = f"cat-{uuid.uuid4().hex[:6]}"
    skus = []
    for price in ("100.00", "40.00"):
        sku = f"PR-{uuid.uuid4().hex[:8]}"
        product = {"sku": sku, "name": "Priced", "unit_price": price, "weight_kg": "1",
                   "category": category}  # fmt: skip
        await desk.ok("admin", "POST", "/products", json=product)
        await desk.receive(sku, 20)
        skus.append(sku)
    first, added = skus
    customer = await desk.customer()
    made = await rules_for(desk, customer, first, category)
    order_id = await desk.order(first, 1, customer_id=customer)
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    answer = await desk.call(
        "service", "POST", f"/orders/{order_id}/changes",
        json={"lines": [{"sku": first, "quantity": 1}, {"sku": added, "quantity": 2}],
              "reason": "one more product", "dry_run": True},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    impact = answer.json()
    # The kept line at its agreed 81.00 (contract 90 less 10 %), the new one at 36.00 (the
    # category's promotion on 40.00): no person's reduction, so no approval asked.
    assert impact["approvals_needed"] == []
    assert D(impact["totals_after"]["subtotal"]) == D("81.00") + 2 * D("36.00")
    assert made["promotion"]["name"] in " ".join(impact["review_reasons"])
