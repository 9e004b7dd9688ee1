"""Finding products (by code, name, category, barcode) and customers (by name or email), as
the console's order entry does through the API."""

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, new_customer, open_desk


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


def product(sku: str, **more: str) -> dict[str, str]:
    return {"sku": sku, "name": f"Lamp {sku}", "unit_price": "12.00", "weight_kg": "1", **more}


async def test_a_product_is_found_by_its_barcode_in_any_of_its_lengths(desk: Desk) -> None:
    sku = f"GT-{uuid.uuid4().hex[:8]}"
    # A UPC-A; the same code as EAN-13 and GTIN-14 carries leading zeros.
    upc = "036000291452"
    other = await desk.ok("admin", "GET", "/products", params={"gtin": upc})
    for p in other:  # an earlier run's product with this code gives it up
        await desk.ok("admin", "POST", "/products", json={**product(p["sku"]), "gtin": None})
    made = await desk.ok("admin", "POST", "/products", json=product(sku, gtin=upc))
    assert made["gtin"] == "00036000291452"
    for code in (upc, "0" + upc, "00" + upc):
        found = await desk.ok("sales1", "GET", "/products", params={"gtin": code})
        assert [p["sku"] for p in found] == [sku]
    # Another product with the same barcode: 409, and the first keeps it.
    clash = await desk.call("admin", "POST", "/products", json=product(f"{sku}-2", gtin=upc))
    assert clash.status_code == 409 and "gtin" in clash.text


@pytest.mark.parametrize("code", ["036000291453", "12345", "4006381333931x"])
async def test_a_wrong_barcode_is_422_naming_gtin(desk: Desk, code: str) -> None:
    made = await desk.call("admin", "POST", "/products", json=product("GT-BAD", gtin=code))
    assert made.status_code == 422 and "gtin" in made.text
    found = await desk.call("sales1", "GET", "/products", params={"gtin": code})
    assert found.status_code == 422 and "gtin" in found.text


async def test_products_and_customers_are_found_by_part_of_their_name(desk: Desk) -> None:
    tag = uuid.uuid4().hex[:8]
    await desk.ok(
        "admin", "POST", "/products", json={**product(f"N-{tag}"), "category": "lighting"}
    )
    found = await desk.ok("sales1", "GET", "/products", params={"q": f"lamp n-{tag}"})
    assert [p["sku"] for p in found] == [f"N-{tag}"]
    in_category = await desk.ok("sales1", "GET", "/products", params={"q": "lighting"})
    assert f"N-{tag}" in [p["sku"] for p in in_category]
    by_sku = await desk.ok(
        "sales1", "GET", "/products", params={"q": f"n-{tag}", "category": "lighting"}
    )
    assert [p["sku"] for p in by_sku] == [f"N-{tag}"]
    body = {**new_customer(), "name": f"Kunde {tag} GmbH", "email": f"{tag}@kunde.example"}
    made = await desk.ok("sales1", "POST", "/customers", json=body)
    for q in (tag.upper(), f"{tag}@kunde"):
        found = await desk.ok("sales1", "GET", "/customers", params={"q": q})
        assert [c["id"] for c in found] == [made["id"]]
    # A sales rep finds only their own customers.
    assert await desk.ok("sales2", "GET", "/customers", params={"q": tag}) == []
