"""Who may do what: the role x endpoint matrix, API keys, identity-provider tokens, data scope,
role-specific views, mass assignment, and the audit trail of every refusal."""

import json
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import issue_token
from api.matrix import PUBLIC, endpoints, markdown
from db.engine import SessionFactory
from db.models import AuditEntry, Order
from domain.roles import Role
from stack.seed import SEED_USERS
from tests import conftest
from tests.harness import Desk, eventually, open_desk, order_body

USER_OF_ROLE = {role: user for user, role in reversed(SEED_USERS.items())}


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def test_every_cell_of_the_role_endpoint_matrix(desk: Desk) -> None:
    cells = 0
    for endpoint in endpoints(desk.app):
        if endpoint.action is None:
            assert (endpoint.method, endpoint.path) in PUBLIC
            continue
        url = endpoint.path.replace("{delegation_id}", "999999").replace("{", "").replace("}", "")
        for role in Role:
            response = await desk.call(USER_OF_ROLE[role], endpoint.method, url, json={})
            refused = response.status_code == 403
            assert refused is not endpoint.allows(role), (
                endpoint.method,
                endpoint.path,
                role,
                response.status_code,
                response.text,
            )
            cells += 1
    assert cells == len(Role) * sum(e.action is not None for e in endpoints(desk.app))
    assert cells >= 8 * 28


def test_the_readme_shows_the_matrix_the_code_enforces() -> None:
    app = create_app(conftest.test_settings("unused"))
    readme = (conftest.repo_root() / "README.md").read_text()
    assert markdown(app) in readme


async def test_api_keys_are_shown_once_stored_hashed_and_revocable(desk: Desk) -> None:
    refused = await desk.call("manager", "POST", "/api-keys", json={"name": "csv-import"})
    assert refused.status_code == 403
    created = await desk.ok("admin", "POST", "/api-keys", json={"name": "csv-import"})
    key = created["key"]
    assert key.startswith("ofk_") and created["role"] == "upstream"
    listed = await desk.ok("admin", "GET", "/api-keys")
    assert all("key" not in k for k in listed)
    async with desk.sessions() as session:
        stored = await session.scalar(
            text("SELECT key_hash FROM api_keys WHERE id = :id"), {"id": created["id"]}
        )
    assert stored and key not in stored and len(stored) == 64
    sku = await desk.product()
    customer = await desk.customer()
    headers = {"X-API-Key": key}
    placed = await desk.http.post("/orders", json=order_body(customer, sku), headers=headers)
    assert placed.status_code == 201
    order = await desk.get(placed.json()["order_id"])
    assert order["created_by"] == "csv-import"
    await desk.ok("admin", "DELETE", f"/api-keys/{created['id']}")
    again = await desk.http.get("/products", headers=headers)
    assert again.status_code == 401
    taken = await desk.call("admin", "POST", "/api-keys", json={"name": "shop"})
    assert taken.status_code == 422 and "name" in taken.text


@pytest.fixture
def identity_provider() -> Iterator[tuple[str, Any]]:
    """A JWKS endpoint on a free port, serving one RSA public key, as an IdP would."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    server.shutdown()
    server.server_close()


async def test_rs256_tokens_are_checked_against_the_identity_providers_keys(
    desk: Desk, identity_provider: tuple[str, Any]
) -> None:
    url, key = identity_provider
    desk.settings.auth.jwks_url = url
    auth = desk.settings.auth
    now = datetime.now(UTC)
    good = {
        "sub": "finance",
        "role": "finance",
        "iss": auth.issuer,
        "aud": auth.audience,
        "exp": now + timedelta(minutes=5),
    }
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "valid": (jwt.encode(good, key, "RS256", headers={"kid": "idp-1"}), 200),
        "expired": (
            jwt.encode(
                {**good, "exp": now - timedelta(seconds=5)}, key, "RS256", headers={"kid": "idp-1"}
            ),
            401,
        ),
        "wrong audience": (
            jwt.encode({**good, "aud": "other"}, key, "RS256", headers={"kid": "idp-1"}),
            401,
        ),
        "wrong issuer": (
            jwt.encode({**good, "iss": "other"}, key, "RS256", headers={"kid": "idp-1"}),
            401,
        ),
        "another key": (jwt.encode(good, other_key, "RS256", headers={"kid": "idp-1"}), 401),
        "hs256 with the dev secret": (jwt.encode(good, auth.jwt_secret, "HS256"), 401),
    }
    try:
        for name, (token, status) in cases.items():
            response = await desk.http.get(
                "/products", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == status, name
    finally:
        desk.settings.auth.jwks_url = None


async def test_an_admin_manages_people_and_a_deactivated_one_is_refused_at_once(
    desk: Desk,
) -> None:
    person = {"role": "finance", "display_name": "Temp Finance", "approval_limit": "5000.00"}
    await desk.ok("admin", "PUT", "/users/temp-finance", json=person)
    token = issue_token(desk.settings.auth, "temp-finance", Role.FINANCE)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await desk.http.get("/products", headers=headers)).status_code == 200
    listed = {u["username"]: u for u in await desk.ok("admin", "GET", "/users")}
    assert listed["temp-finance"]["approval_limit"] == "5000.00"
    await desk.ok("admin", "PUT", "/users/temp-finance", json={**person, "active": False})
    assert (await desk.http.get("/products", headers=headers)).status_code == 401
    (change,) = [a.detail for a in await audit_rows(desk, action="user.update")][-1:]
    assert (
        change == "temp-finance: finance, active, limit 5000.00 -> finance, inactive, limit 5000.00"
    )
    wrong_role = issue_token(desk.settings.auth, "finance", Role.ADMIN)
    response = await desk.http.get("/products", headers={"Authorization": f"Bearer {wrong_role}"})
    assert response.status_code == 401
    self_lockout = await desk.call(
        "admin", "PUT", "/users/admin", json={"role": "admin", "display_name": "A", "active": False}
    )
    assert self_lockout.status_code == 422 and "active" in self_lockout.text
    bad = await desk.call("admin", "PUT", "/users/x", json={"role": "emperor", "display_name": "X"})
    assert bad.status_code == 422 and "role" in bad.text


async def audit_rows(desk: Desk, **where: str) -> list[AuditEntry]:
    async with desk.sessions() as session:
        stmt = select(AuditEntry)
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, column) == value)
        return list(await session.scalars(stmt.order_by(AuditEntry.id)))


async def test_failed_logins_and_denied_attempts_are_audited(desk: Desk) -> None:
    rid = f"req-{datetime.now(UTC).timestamp()}"
    await desk.http.get("/orders", headers={"Authorization": "Bearer junk", "X-Request-ID": rid})
    (failed,) = await audit_rows(desk, request_id=rid)
    assert (failed.action, failed.result, failed.actor) == ("auth.failed", "refused", "anonymous")
    assert failed.client_addr and "GET /orders" in failed.detail
    rid2 = rid + "-2"
    response = await desk.call(
        "warehouse", "PUT", "/policies/approval", json={}, headers={"X-Request-ID": rid2}
    )
    assert response.status_code == 403 and response.headers["X-Request-ID"] == rid2
    (denied,) = await audit_rows(desk, request_id=rid2)
    assert (denied.action, denied.actor, denied.role) == ("access.denied", "warehouse", "warehouse")


async def test_the_audit_log_is_append_only(desk: Desk) -> None:
    await desk.http.get("/orders")  # at least one row
    for statement in (
        "UPDATE audit_log SET result = 'edited'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with desk.sessions.begin() as session:
                await session.execute(text(statement))


async def test_audit_search_filters_and_pages(desk: Desk) -> None:
    for _ in range(3):
        await desk.call("sales2", "GET", "/audit")
    page = await desk.ok(
        "admin", "GET", "/audit", params={"actor": "sales2", "action": "access.denied", "limit": 2}
    )
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert {(a["actor"], a["action"]) for a in page["items"]} == {("sales2", "access.denied")}
    rest = await desk.ok(
        "admin", "GET", "/audit", params={"actor": "sales2", "cursor": page["next_cursor"]}
    )
    assert all(a["id"] < page["next_cursor"] for a in rest["items"]) and rest["items"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (await desk.ok("admin", "GET", "/audit", params={"from": future}))["items"] == []


async def test_sales_see_only_their_own_customers_and_orders(desk: Desk) -> None:
    sku = await desk.product()
    mine = await desk.customer()  # created by sales1, so owned by sales1
    order_id = await desk.order(sku, payment="cod", user="sales1", customer_id=mine)
    for url in (f"/orders/{order_id}", f"/orders/{order_id}/history", f"/customers/{mine}"):
        assert (await desk.call("sales2", "GET", url)).status_code == 404, url
        assert (await desk.call("sales1", "GET", url)).status_code == 200, url
    listed = await desk.ok("sales2", "GET", "/orders", params={"limit": 200})
    assert order_id not in [o["order_id"] for o in listed["items"]]
    customers = await desk.ok("sales2", "GET", "/customers", params={"limit": 500})
    assert mine not in [c["id"] for c in customers]
    foreign = await desk.call("sales2", "POST", "/orders", json=order_body(mine, sku))
    assert foreign.status_code == 422 and "customer" in foreign.text
    # A supervisor hands the customer to sales2: now it is theirs.
    await desk.ok("supervisor", "PUT", f"/customers/{mine}/owner", json={"owner": "sales2"})
    assert (await desk.call("sales2", "GET", f"/orders/{order_id}")).status_code == 200
    assert (await desk.call("sales1", "GET", f"/orders/{order_id}")).status_code == 404
    not_sales = await desk.call(
        "supervisor", "PUT", f"/customers/{mine}/owner", json={"owner": "finance"}
    )
    assert not_sales.status_code == 422 and "owner" in not_sales.text
    assert [a.detail for a in await audit_rows(desk, action="customer.owner")][-1].endswith(
        "sales1 -> sales2"
    )


async def test_warehouse_sees_no_prices_or_credit_data(desk: Desk) -> None:
    sku = await desk.product()
    customer = await desk.customer()
    order_id = await desk.order(sku, payment="cod", customer_id=customer)
    money = {"total", "totals", "payments", "invoice", "review_reasons", "approvals"}
    detail = await desk.ok("warehouse", "GET", f"/orders/{order_id}")
    assert not money & set(detail) and detail["lines"][0].keys() == {"line_no", "sku", "quantity"}
    assert "total" in await desk.ok("admin", "GET", f"/orders/{order_id}")
    page = await desk.ok("warehouse", "GET", "/orders")
    assert all("total" not in o for o in page["items"])
    history = await desk.ok("warehouse", "GET", f"/orders/{order_id}/history")
    assert history and all("reason" not in h for h in history)
    assert "reason" in (await desk.history(order_id))[0]
    seen = await desk.ok("warehouse", "GET", f"/customers/{customer}")
    assert not {"credit_limit", "on_credit_hold", "tier"} & set(seen)


async def test_customer_service_takes_orders_but_sets_no_prices(desk: Desk) -> None:
    sku = await desk.product()
    customer = await desk.customer()
    before = await count_orders(desk)
    for line in ({"discount_pct": "5"}, {"unit_price": "1.00"}):
        body = order_body(customer, sku, 1, "cod", **line)
        assert (await desk.call("service", "POST", "/orders", json=body)).status_code == 403
    assert await count_orders(desk) == before
    placed = await desk.call("service", "POST", "/orders", json=order_body(customer, sku))
    assert placed.status_code == 201


async def test_an_upstream_system_sees_only_the_orders_it_sent(desk: Desk) -> None:
    sku = await desk.product()
    customer = await desk.customer()
    by_sales = await desk.order(sku, payment="cod", user="sales1", customer_id=customer)
    by_shop = await desk.order(sku, payment="cod", user="shop", customer_id=customer)
    assert (await desk.call("shop", "GET", f"/orders/{by_sales}")).status_code == 404
    assert (await desk.call("shop", "GET", f"/orders/{by_shop}")).status_code == 200


async def count_orders(desk: Desk) -> int:
    async with desk.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Order)) or 0)


@pytest.mark.parametrize(
    ("user", "method", "url", "extra", "field"),
    [
        ("shop", "POST", "/orders", {"status": "COMPLETED"}, "status"),
        ("shop", "POST", "/orders", {"created_by": "admin"}, "created_by"),
        ("shop", "POST", "/orders", {"total": "1.00"}, "total"),
        (
            "supervisor",
            "POST",
            "/orders/{order}/approvals",
            {"decided_by": "manager"},
            "decided_by",
        ),
        ("supervisor", "POST", "/orders/{order}/approvals", {"level": "manager"}, "level"),
        ("admin", "POST", "/api-keys", {"key_hash": "0" * 64}, "key_hash"),
        ("supervisor", "POST", "/delegations", {"delegator": "manager"}, "delegator"),
    ],
)
async def test_mass_assignment_is_refused_and_nothing_is_written(
    desk: Desk, user: str, method: str, url: str, extra: dict[str, Any], field: str
) -> None:
    sku = await desk.product()
    customer = await desk.customer()
    order_id = await desk.order(sku, payment="cod", discount_pct="30", customer_id=customer)
    bodies = {
        "/orders": order_body(customer, sku),
        "/orders/{order}/approvals": {"decision": "approve"},
        "/api-keys": {"name": "sneaky"},
        "/delegations": {
            "stand_in": "service",
            "starts_at": datetime.now(UTC).isoformat(),
            "ends_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        },
    }
    before = await count_orders(desk), len(await audit_rows(desk))
    response = await desk.call(
        user, method, url.replace("{order}", order_id), json={**bodies[url], **extra}
    )
    assert response.status_code == 422, response.text
    assert field in response.text
    assert (await count_orders(desk), len(await audit_rows(desk))) == before
    order = await eventually(lambda: desk.get(order_id))
    assert all(a["status"] == "pending" for a in order["approvals"])
