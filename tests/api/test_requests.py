"""What clients see at the edge: authentication, roles, and bad input answered with 4xx."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from api.auth import issue_token
from config import AuthSettings
from db.engine import SessionFactory
from db.models import Customer, Order
from domain.roles import Role
from tests.harness import Desk, new_customer, open_desk, order_body


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def test_health_endpoints_need_no_token(desk: Desk) -> None:
    assert (await desk.http.get("/healthz")).json() == {"status": "ok"}
    assert (await desk.http.get("/readyz")).json() == {"status": "ready"}
    assert (await desk.http.get("/openapi.json")).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        issue_token(
            AuthSettings(jwt_secret="another-secret-0123456789abcdef-0123"), "admin", Role.ADMIN
        ),
        issue_token(AuthSettings(audience="someone-else"), "admin", Role.ADMIN),
        issue_token(AuthSettings(issuer="someone-else"), "admin", Role.ADMIN),
        issue_token(AuthSettings(token_ttl=timedelta(seconds=-5)), "admin", Role.ADMIN),
    ],
    ids=["missing", "garbage", "wrong-secret", "wrong-audience", "wrong-issuer", "expired"],
)
async def test_requests_without_a_valid_token_get_401(desk: Desk, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await desk.http.get("/products", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("user", "method", "url", "body"),
    [
        (
            "sales1",
            "POST",
            "/products",
            {"sku": "X1", "name": "x", "unit_price": "1", "weight_kg": "1"},
        ),
        ("warehouse", "POST", "/orders", {}),
        ("shop", "POST", "/inventory/receipts", {"sku": "X1", "warehouse": "WH1", "quantity": 1}),
        ("sales1", "GET", "/approvals", None),
        ("warehouse", "POST", "/orders/any/payments", {}),
        ("sales1", "POST", "/orders/any/shipment-events", {}),
    ],
)
async def test_wrong_role_gets_403(desk: Desk, user: str, method: str, url: str, body: Any) -> None:
    response = await desk.call(user, method, url, json=body)
    assert response.status_code == 403, response.text


async def test_unknown_things_get_404(desk: Desk) -> None:
    for url in ("/orders/nope", "/orders/nope/history", "/customers/nope", "/inventory/NOPE"):
        assert (await desk.call("admin", "GET", url)).status_code == 404, url
    response = await desk.call(
        "finance",
        "POST",
        "/orders/nope/payments",
        json={"reference": "r", "amount": "1.00", "method": "card"},
    )
    assert response.status_code == 404


def bad_fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {".".join(str(p) for p in error["loc"][1:]) for error in response.json()["detail"]}


async def test_bad_order_lines_are_named(desk: Desk) -> None:
    sku = await desk.product(stock=0)
    customer = await desk.customer()
    body = order_body(customer, sku)
    body["lines"] = [
        {"sku": sku, "quantity": 0},
        {"sku": sku, "quantity": -3},
        {"sku": sku, "quantity": 1, "unit_price": "12.3x"},
        {"sku": sku, "quantity": 1, "discount_pct": "150"},
    ]
    fields = bad_fields(await desk.call("shop", "POST", "/orders", json=body))
    assert {
        "lines.0.quantity",
        "lines.1.quantity",
        "lines.2.unit_price",
        "lines.3.discount_pct",
    } <= fields
    body["lines"] = []
    assert "lines" in bad_fields(await desk.call("shop", "POST", "/orders", json=body))


async def test_unknown_sku_and_customer_are_refused_before_any_workflow(desk: Desk) -> None:
    sku = await desk.product(stock=1)
    body = order_body("no-such-customer", sku)
    body["lines"].append({"sku": "NO-SUCH-SKU", "quantity": 1})
    fields = bad_fields(await desk.call("shop", "POST", "/orders", json=body))
    assert fields == {"customer.id", "lines.1.sku"}
    # A new customer in a refused order is not written either: nothing half-written.
    fresh = new_customer()
    fresh["email"] = "half-written@kunde.example"
    body = {**order_body("x", "NO-SUCH-SKU"), "customer": fresh}
    assert bad_fields(await desk.call("shop", "POST", "/orders", json=body)) == {"lines.0.sku"}
    async with desk.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Customer).where(Customer.email == fresh["email"])
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Order)
                .where(Order.customer_id == "no-such-customer")
            )
            == 0
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, ""),
        ({"phone": "+49 123"}, ""),
        (
            {"address": {"line1": "a", "city": "Berlin", "postal_code": "1234", "country": "DE"}},
            "address",
        ),
        (
            {"address": {"line1": "a", "city": "Berlin", "postal_code": "10115", "country": "XX"}},
            "address",
        ),
        ({"credit_limit": "-1"}, "credit_limit"),
        ({"tier": "gold"}, "tier"),
        ({"owner": "sales2"}, "owner"),
    ],
)
async def test_bad_customers_are_refused(desk: Desk, change: dict[str, Any], field: str) -> None:
    response = await desk.call("sales1", "POST", "/customers", json={**new_customer(), **change})
    assert response.status_code == 422, response.text
    if field:
        assert any(field in ".".join(map(str, e["loc"])) for e in response.json()["detail"])
    else:  # checks across fields name the field in the message
        assert "phone" in response.text


async def test_new_customer_inline_with_the_order(desk: Desk) -> None:
    sku = await desk.product(stock=1)
    body = {**order_body("x", sku, 1, "cod"), "customer": new_customer()}
    created = await desk.ok("sales1", "POST", "/orders", json=body)
    order = await desk.get(created["order_id"])
    customer = await desk.ok("admin", "GET", f"/customers/{order['customer_id']}")
    assert (customer["name"], customer["owner"]) == ("Test Kunde GmbH", "sales1")


async def test_server_set_fields_cannot_be_supplied(desk: Desk) -> None:
    sku = await desk.product(stock=1)
    body = {**order_body(await desk.customer(), sku), "status": "COMPLETED", "created_by": "boss"}
    assert bad_fields(await desk.call("shop", "POST", "/orders", json=body)) == {
        "status",
        "created_by",
    }


async def test_oversized_body_is_refused(desk: Desk) -> None:
    body = {**order_body("x", "y"), "notes": "x" * 300_000}
    response = await desk.call("shop", "POST", "/orders", json=body)
    assert response.status_code == 413


async def test_unknown_warehouse_and_sku_on_receipt(desk: Desk) -> None:
    response = await desk.call(
        "warehouse",
        "POST",
        "/inventory/receipts",
        json={"sku": "NOPE", "warehouse": "WH9", "quantity": 1},
    )
    assert bad_fields(response) == {"sku", "warehouse"}


async def test_orders_list_is_filtered_and_paginated(desk: Desk) -> None:
    sku = await desk.product(stock=0)
    customer = await desk.customer()
    ids = [await desk.order(sku, payment="cod", customer_id=customer) for _ in range(3)]
    for order_id in ids:
        await desk.status_is(order_id, "AWAITING_STOCK")
    first = await desk.ok("admin", "GET", "/orders", params={"customer_id": customer, "limit": 2})
    second = await desk.ok(
        "admin",
        "GET",
        "/orders",
        params={"customer_id": customer, "limit": 2, "cursor": first["next_cursor"]},
    )
    seen = [o["order_id"] for o in first["items"] + second["items"]]
    assert sorted(seen) == sorted(ids) and second["next_cursor"] is None
    waiting = await desk.ok(
        "admin", "GET", "/orders", params={"customer_id": customer, "status": "AWAITING_STOCK"}
    )
    assert len(waiting["items"]) == 3
    assert (
        await desk.call("admin", "GET", "/orders", params={"status": "LOST"})
    ).status_code == 422
    assert (await desk.call("admin", "GET", "/orders", params={"cursor": "%%%"})).status_code == 422
    for order_id in ids:  # leave nothing waiting for the next test's receipts
        await desk.ok(
            "service",
            "POST",
            f"/orders/{order_id}/cancel",
            json={"reason_code": "customer_request", "comment": "test done"},
        )


async def test_shipment_event_for_an_order_not_shipped_is_409(desk: Desk) -> None:
    sku = await desk.product(stock=0)
    order_id = await desk.order(sku, payment="cod")
    await desk.status_is(order_id, "AWAITING_STOCK")
    response = await desk.call(
        "warehouse",
        "POST",
        f"/orders/{order_id}/shipment-events",
        json={"event": "delivered", "tracking_number": "X"},
    )
    assert response.status_code == 409
    await desk.ok(
        "service",
        "POST",
        f"/orders/{order_id}/cancel",
        json={"reason_code": "customer_request", "comment": "test done"},
    )
    late = await desk.call(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": "late", "amount": "1.00", "method": "card"},
    )
    assert late.status_code == 409


async def test_a_database_that_is_down_answers_503(
    time_env: WorkflowEnvironment, tmp_path: Any
) -> None:
    import httpx

    from api.app import create_app
    from db.engine import make_engine, make_sessions
    from tests.conftest import fresh_task_queue, test_settings

    engine = make_engine(f"postgresql+asyncpg://nobody@/nowhere?host={tmp_path}", pool_size=1)
    app = create_app(test_settings(fresh_task_queue()), make_sessions(engine), time_env.client)
    token = issue_token(AuthSettings(), "admin", Role.ADMIN)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        assert (await http.get("/readyz")).status_code == 503
        response = await http.get("/orders", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503
        assert response.json() == {"detail": "the database is unavailable"}
    await engine.dispose()


async def test_oversized_chunked_body_is_refused(desk: Desk) -> None:
    async def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 4096

    response = await desk.http.post(
        "/orders",
        content=chunks(),
        headers={**desk.auth("shop"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
