"""Fulfilment as the warehouse runs it: allocation to the nearest warehouse that can serve the
whole order, else a split with one shipment per warehouse; pick lists; packing confirmed by
the warehouse (manual) or the demo's simulated packer (auto); the carrier booked from the
packages; DELIVERED once every parcel is. After each story, the stock invariants hold."""

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.harness import Desk, checked_desk, eventually, new_customer
from tests.workflows.test_paths import status_path

MUNICH = {"line1": "Marienplatz 8", "city": "München", "postal_code": "80331", "country": "DE"}


@pytest.fixture
async def manual(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions, warehouse_confirmation="manual") as desk:
        yield desk


@pytest.fixture
async def auto(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def stocked(desk: Desk, wh1: int, wh2: int, weight: str = "2.5") -> str:
    sku = await desk.product(stock=0, weight=weight)
    for warehouse, quantity in (("WH1", wh1), ("WH2", wh2)):
        if quantity:
            await desk.receive(sku, quantity, warehouse)
    return sku


async def order_of(desk: Desk, lines: dict[str, int], address: dict[str, str] | None = None) -> str:
    customer = new_customer()
    if address is not None:
        customer["address"] = address
    body = {
        "channel": "web",
        "customer": customer,
        "lines": [{"sku": sku, "quantity": q} for sku, q in lines.items()],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
    }
    created = await desk.ok("sales1", "POST", "/orders", json=body)
    return str(created["order_id"])


async def pack(desk: Desk, shipment_id: str, kg: str = "5.0") -> Any:
    package = {"weight_kg": kg, "length_cm": "40", "width_cm": "30", "height_cm": "20"}
    return await desk.ok(
        "warehouse",
        "POST",
        f"/shipments/{shipment_id}/packed",
        json={"packages": [package], "packaging": "fragile"},
    )


async def deliver_parcel(desk: Desk, order_id: str, tracking: str) -> Any:
    return await desk.ok(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "delivered", "tracking_number": tracking},
    )


async def test_the_nearest_warehouse_that_has_everything_serves_the_order(auto: Desk) -> None:
    sku = await stocked(auto, wh1=5, wh2=5)
    berlin = await order_of(auto, {sku: 2})  # Berlin 10178: WH2 (Hamburg) is zone 1
    munich = await order_of(auto, {sku: 2}, MUNICH)  # 80331: WH1 (Munich) is zone 1
    for order_id, warehouse in ((berlin, "WH2"), (munich, "WH1")):
        order = await auto.status_is(order_id, "SHIPPED")
        assert [r["warehouse"] for r in order["reservations"]] == [warehouse]
        assert [s["warehouse"] for s in order["shipments"]] == [warehouse]
    # A nearer warehouse short of one line loses to one that can send everything at once.
    other = await stocked(auto, wh1=3, wh2=0)
    whole = await order_of(auto, {sku: 1, other: 1})  # Berlin, but only WH1 has both
    order = await auto.status_is(whole, "SHIPPED")
    assert {r["warehouse"] for r in order["reservations"]} == {"WH1"}
    assert len(order["shipments"]) == 1


async def test_a_split_order_ships_one_packed_parcel_per_warehouse(manual: Desk) -> None:
    desk = manual
    only_wh1 = await stocked(desk, wh1=4, wh2=0, weight="2.5")
    only_wh2 = await stocked(desk, wh1=0, wh2=4, weight="1.0")
    order_id = await order_of(desk, {only_wh1: 2, only_wh2: 3})
    order = await desk.status_is(order_id, "PICKING")
    shipments = {s["warehouse"]: s for s in order["shipments"]}
    assert set(shipments) == {"WH1", "WH2"}
    assert all(
        s["status"] == "picking" and s["tracking_number"] is None for s in shipments.values()
    )

    # Each warehouse sees its own pick list, with the lines it holds.
    for warehouse, sku, quantity in (("WH1", only_wh1, 2), ("WH2", only_wh2, 3)):
        lists = await desk.ok("warehouse", "GET", f"/warehouse/{warehouse}/pick-lists")
        mine = [p for p in lists if p["order_id"] == order_id]
        assert len(mine) == 1
        assert [(x["sku"], x["quantity"]) for x in mine[0]["lines"]] == [(sku, quantity)]

    # Nothing is booked before packing; packing one books that one parcel only.
    first = await pack(desk, shipments["WH2"]["id"], kg="3.2")
    assert (first["status"], first["order_status"]) == ("packed", "PICKING")

    async def wh2_booked() -> Any:
        order = await desk.get(order_id)
        wh2 = next(s for s in order["shipments"] if s["warehouse"] == "WH2")
        return (order, wh2) if wh2["status"] == "booked" else None

    order, wh2 = await eventually(wh2_booked)
    assert wh2["tracking_number"]
    assert Decimal(wh2["packages"][0]["weight_kg"]) == Decimal("3.2")
    assert wh2["packaging"] == "fragile"
    assert order["status"] == "PICKING"
    # A retried confirmation answers from the record.
    again = await pack(desk, shipments["WH2"]["id"])
    assert again["shipment_id"] == shipments["WH2"]["id"]
    assert await desk.ok("warehouse", "GET", "/warehouse/WH2/pick-lists") == [
        p
        for p in await desk.ok("warehouse", "GET", "/warehouse/WH2/pick-lists")
        if p["order_id"] != order_id
    ]

    await pack(desk, shipments["WH1"]["id"])
    order = await desk.status_is(order_id, "SHIPPED")
    trackings = [s["tracking_number"] for s in order["shipments"]]
    assert len(set(trackings)) == 2 and all(trackings)
    assert order["invoice"]["number"].startswith("INV-")

    # Delivered only when every parcel is; cash on delivery settles it then.
    await deliver_parcel(desk, order_id, trackings[0])
    assert (await desk.get(order_id))["status"] == "SHIPPED"
    await deliver_parcel(desk, order_id, trackings[1])
    order = await desk.status_is(order_id, "COMPLETED")
    assert {s["status"] for s in order["shipments"]} == {"delivered"}
    for sku, warehouse, left in ((only_wh1, "WH1", 2), (only_wh2, "WH2", 1)):
        inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
        per = {w["warehouse"]: w for w in inventory["warehouses"]}
        assert (per[warehouse]["on_hand"], per[warehouse]["reserved"]) == (left, 0)
    assert status_path(await desk.history(order_id)) == [
        "RECEIVED",
        "UNDER_REVIEW",
        "READY_TO_SHIP",
        "PICKING",
        "SHIPPED",
        "DELIVERED",
        "COMPLETED",
    ]


async def test_the_simulated_packer_packs_by_the_products_weights(auto: Desk) -> None:
    sku = await stocked(auto, wh1=0, wh2=5, weight="1.250")
    order_id = await order_of(auto, {sku: 2})
    order = await auto.status_is(order_id, "SHIPPED")
    (shipment,) = order["shipments"]
    assert shipment["status"] == "booked"
    assert [Decimal(p["weight_kg"]) for p in shipment["packages"]] == [Decimal("2.5")]
    packed = [h for h in await auto.history(order_id) if "packed" in (h.get("reason") or "")]
    assert packed and packed[0]["actor"] == "simulated-packer"


async def test_packing_is_refused_when_it_cannot_be_taken(manual: Desk) -> None:
    desk = manual
    sku = await stocked(desk, wh1=2, wh2=0)
    order_id = await order_of(desk, {sku: 1})
    order = await desk.status_is(order_id, "PICKING")
    shipment_id = order["shipments"][0]["id"]
    empty = await desk.call(
        "warehouse", "POST", f"/shipments/{shipment_id}/packed", json={"packages": []}
    )
    assert empty.status_code == 422 and "packages" in empty.text
    negative = await desk.call(
        "warehouse",
        "POST",
        f"/shipments/{shipment_id}/packed",
        json={"packages": [{"weight_kg": "-1", "length_cm": 1, "width_cm": 1, "height_cm": 1}]},
    )
    assert negative.status_code == 422 and "weight_kg" in negative.text
    unknown = await desk.call(
        "warehouse",
        "POST",
        "/shipments/no-such-shipment/packed",
        json={"packages": [{"weight_kg": "1", "length_cm": 1, "width_cm": 1, "height_cm": 1}]},
    )
    assert unknown.status_code == 404
    assert (await desk.get(order_id))["shipments"][0]["status"] == "picking"


async def test_cancelling_while_picking_withdraws_the_pick_list_and_frees_the_stock(
    manual: Desk,
) -> None:
    desk = manual
    sku = await stocked(desk, wh1=3, wh2=0)
    order_id = await order_of(desk, {sku: 2})
    await desk.status_is(order_id, "PICKING")
    assert await desk.available(sku) == 1
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "changed mind"},
    )
    order = await desk.status_is(order_id, "CANCELLED")
    assert order["shipments"][0]["status"] == "cancelled"
    assert await desk.available(sku) == 3
    lists = await desk.ok("warehouse", "GET", "/warehouse/WH1/pick-lists")
    assert order_id not in {p["order_id"] for p in lists}
    late = await desk.call(
        "warehouse",
        "POST",
        f"/shipments/{order['shipments'][0]['id']}/packed",
        json={"packages": [{"weight_kg": "1", "length_cm": 1, "width_cm": 1, "height_cm": 1}]},
    )
    assert late.status_code in (200, 409)
    assert (await desk.get(order_id))["shipments"][0]["status"] == "cancelled"


async def test_a_transfer_in_transit_then_received_serves_a_waiting_order(auto: Desk) -> None:
    desk = auto
    sku = await stocked(desk, wh1=4, wh2=0)
    too_many = await desk.call(
        "warehouse",
        "POST",
        "/inventory/transfers",
        json={"sku": sku, "from_warehouse": "WH1", "to_warehouse": "WH2", "quantity": 5},
    )
    assert too_many.status_code == 409
    same = await desk.call(
        "warehouse",
        "POST",
        "/inventory/transfers",
        json={"sku": sku, "from_warehouse": "WH1", "to_warehouse": "WH1", "quantity": 1},
    )
    assert same.status_code == 422 and "to_warehouse" in same.text
    sent = await desk.ok(
        "warehouse",
        "POST",
        "/inventory/transfers",
        json={"sku": sku, "from_warehouse": "WH1", "to_warehouse": "WH2", "quantity": 4},
    )
    assert sent["status"] == "in_transit"
    inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
    per = {w["warehouse"]: w for w in inventory["warehouses"]}
    assert (inventory["available"], inventory["in_transit"]) == (0, 4)
    assert (per["WH1"]["on_hand"], per["WH2"]["incoming"]) == (0, 4)

    waiting = await order_of(desk, {sku: 3})
    await desk.status_is(waiting, "AWAITING_STOCK")
    received = await desk.ok(
        "warehouse", "POST", f"/inventory/transfers/{sent['transfer_id']}/receive"
    )
    assert received["status"] == "received" and received["received_at"]
    order = await desk.status_is(waiting, "SHIPPED")
    assert [r["warehouse"] for r in order["reservations"]] == ["WH2"]
    inventory = await desk.ok("admin", "GET", f"/inventory/{sku}")
    assert (inventory["on_hand"], inventory["in_transit"], inventory["available"]) == (1, 0, 1)
    # Received once: a retry changes nothing.
    again = await desk.ok(
        "warehouse", "POST", f"/inventory/transfers/{sent['transfer_id']}/receive"
    )
    assert again["received_at"] == received["received_at"]
    assert (await desk.ok("admin", "GET", f"/inventory/{sku}"))["on_hand"] == 1


async def test_falling_below_the_reorder_point_tells_the_warehouse_once_per_crossing(
    auto: Desk,
) -> None:
    desk = auto
    sku = f"SKU-{uuid.uuid4().hex[:10]}"
    await desk.ok(
        "admin",
        "POST",
        "/products",
        json={
            "sku": sku,
            "name": "Reordered",
            "unit_price": "10.00",
            "weight_kg": "1",
            "reorder_point": 5,
        },
    )
    await desk.receive(sku, 6, "WH2")

    async def low() -> list[str]:
        listed = await desk.ok("warehouse", "GET", "/inventory/low-stock")
        return [x["sku"] for x in listed if x["sku"] == sku]

    async def told() -> int:
        sent = await desk.ok("admin", "GET", "/notifications?recipient=warehouse&limit=500")
        return len([n for n in sent if n["kind"] == "low_stock" and sku in n["subject"]])

    assert await low() == [] and await told() == 0
    first = await order_of(desk, {sku: 2})  # available 4 < 5: crossed
    await desk.status_is(first, "SHIPPED")
    assert await low() == [sku] and await told() == 1
    second = await order_of(desk, {sku: 1})  # still low: no second message
    await desk.status_is(second, "SHIPPED")
    assert await told() == 1
    await desk.receive(sku, 10, "WH2")  # back above: off the list
    assert await low() == []
    third = await order_of(desk, {sku: 9})  # below again: told again
    await desk.status_is(third, "SHIPPED")
    assert await low() == [sku] and await told() == 2


async def test_a_receipt_serves_an_urgent_waiting_order_before_an_older_normal_one(
    auto: Desk,
) -> None:
    desk = auto
    sku = await stocked(desk, wh1=0, wh2=0)
    older = await order_of(desk, {sku: 2})
    await desk.status_is(older, "AWAITING_STOCK")
    urgent_body = {
        "channel": "web",
        "customer": new_customer(),
        "lines": [{"sku": sku, "quantity": 2}],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
        "requested_delivery_date": date.today().isoformat(),
    }
    urgent = (await desk.ok("sales1", "POST", "/orders", json=urgent_body))["order_id"]
    await desk.status_is(urgent, "AWAITING_STOCK")
    assert (await desk.get(urgent))["priority"] == "urgent"
    assert (await desk.get(older))["priority"] == "normal"
    await desk.receive(sku, 2, "WH2")
    await desk.status_is(urgent, "SHIPPED")
    assert (await desk.get(older))["status"] == "AWAITING_STOCK"
    await desk.receive(sku, 2, "WH2")
    await desk.status_is(older, "SHIPPED")


async def test_a_requested_delivery_date_in_the_past_is_refused_by_name(auto: Desk) -> None:
    sku = await stocked(auto, wh1=1, wh2=0)
    body = {
        "channel": "web",
        "customer": new_customer(),
        "lines": [{"sku": sku, "quantity": 1}],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
        "requested_delivery_date": "2020-01-01",
    }
    refused = await auto.call("sales1", "POST", "/orders", json=body)
    assert refused.status_code == 422 and "requested_delivery_date" in refused.text


async def test_the_zone_table_is_data_an_admin_changes(auto: Desk) -> None:
    desk = auto
    before = {w["code"]: w["zones"] for w in await desk.ok("warehouse", "GET", "/warehouses")}
    assert {"country": "DE", "postal_prefix": "1", "zone": 1} in before["WH2"]
    duplicate = {"zones": [{"country": "DE", "zone": 1}, {"country": "DE", "zone": 2}]}
    refused = await desk.call("admin", "PUT", "/warehouses/WH1/zones", json=duplicate)
    assert refused.status_code == 422 and "zones" in refused.text
    nearer = {"zones": [*before["WH1"], {"country": "DE", "postal_prefix": "10", "zone": 0}]}
    try:
        await desk.ok("admin", "PUT", "/warehouses/WH1/zones", json=nearer)
        sku = await stocked(desk, wh1=5, wh2=5)
        berlin = await order_of(desk, {sku: 1})  # 10178: now nearest to WH1
        order = await desk.status_is(berlin, "SHIPPED")
        assert [r["warehouse"] for r in order["reservations"]] == ["WH1"]
    finally:
        await desk.ok("admin", "PUT", "/warehouses/WH1/zones", json={"zones": before["WH1"]})
    audited = await desk.ok("admin", "GET", "/audit?action=warehouse.zones")
    assert audited and audited["items"][0]["detail"].startswith("WH1")
