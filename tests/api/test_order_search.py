"""Finding orders with GET /orders: each filter narrows, sorts page without gaps or repeats,
bad filters are 422 naming the field, the warehouse cannot learn amounts by sorting."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, new_customer, open_desk, order_body


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def ids(desk: Desk, user: str = "admin", **params: Any) -> list[str]:
    page = await desk.ok(user, "GET", "/orders", params={"limit": 200, **params})
    return [o["order_id"] for o in page["items"]]


async def test_each_filter_narrows_the_list(desk: Desk) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Search {tag} AG"
    customer = await desk.ok("sales1", "POST", "/customers", json={**new_customer(), "name": name})
    cheap_sku, dear_sku = await desk.product(price="5.00"), await desk.product(price="700.00")
    made = {}
    for key, sku, channel in (("cheap", cheap_sku, "web"), ("dear", dear_sku, "phone")):
        body = {
            **order_body(customer["id"], sku),
            "channel": channel,
            "external_ref": f"{key}-{tag}",
        }
        made[key] = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    cheap, dear = made["cheap"], made["dear"]
    assert set(await ids(desk, customer=f"search {tag}")) == {cheap, dear}
    assert await ids(desk, q=f"dear-{tag}") == [dear]
    assert await ids(desk, q=cheap[:13]) == [cheap]
    assert await ids(desk, customer=tag, channel="phone") == [dear]
    assert await ids(desk, customer=tag, sku=cheap_sku) == [cheap]
    assert await ids(desk, customer=tag, min_total="100") == [dear]
    assert await ids(desk, customer=tag, max_total="100") == [cheap]
    assert await ids(desk, customer=tag, payment_method="prepaid", priority="normal") != []
    assert await ids(desk, customer=tag, to="2000-01-01T00:00:00Z") == []
    assert set(await ids(desk, customer=tag, **{"from": "2000-01-01T00:00:00Z"})) == {cheap, dear}
    # Nobody's order has been in its status for a year yet.
    assert await ids(desk, customer=tag, in_status_hours=24 * 365) == []
    assert set(await ids(desk, customer=tag, in_status_hours=0)) == {cheap, dear}
    # The same filters, in a sales rep's scope: not sales2's customer, so nothing.
    assert await ids(desk, "sales2", customer=tag) == []


async def test_sorted_pages_cover_every_order_once(desk: Desk) -> None:
    tag = uuid.uuid4().hex[:8]
    customer = await desk.ok("sales1", "POST", "/customers", json={**new_customer(), "name": tag})
    for price in ("30.00", "10.00", "20.00", "10.00"):
        sku = await desk.product(price=price)
        await desk.ok("sales1", "POST", "/orders", json=order_body(customer["id"], sku))
    for sort in ("total_asc", "total_desc", "oldest", "newest"):
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {
                "customer": tag,
                "sort": sort,
                "limit": 1,
                **({"cursor": cursor} if cursor else {}),
            }
            page = await desk.ok("admin", "GET", "/orders", params=params)
            seen += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len({o["order_id"] for o in seen}) == len(seen) == 4, sort
        totals = [float(o["total"]) for o in seen]
        if sort == "total_asc":
            assert totals == sorted(totals)
        if sort == "total_desc":
            assert totals == sorted(totals, reverse=True)
        created = [o["created_at"] for o in seen]
        if sort == "oldest":
            assert created == sorted(created)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_total": "50", "max_total": "10"}, "min_total"),
        ({"from": "2026-01-01T00:00:00"}, "from"),
        ({"sort": "cheapest"}, "sort"),
        ({"in_status_hours": "-1"}, "in_status_hours"),
        ({"q": "x" * 101}, "q"),
        ({"sort": "total_asc", "cursor": "bm90LWEtbnVtYmVyfGlk"}, "cursor"),
    ],
)
async def test_bad_filters_are_422_naming_the_field(
    desk: Desk, params: dict[str, str], field: str
) -> None:
    answer = await desk.call("admin", "GET", "/orders", params=params)
    assert answer.status_code == 422, answer.text
    assert field in answer.text


async def test_the_warehouse_cannot_sort_or_filter_by_amount(desk: Desk) -> None:
    for params in ({"sort": "total_desc"}, {"min_total": "1"}):
        answer = await desk.call("warehouse", "GET", "/orders", params=params)
        assert answer.status_code == 403
    assert (await desk.call("warehouse", "GET", "/orders", params={"sort": "oldest"})).is_success
