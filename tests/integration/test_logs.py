"""The log canary: a customer whose name, phone, e-mail and street are planted as canaries
goes through intake (and a refused request), review, shipping, delivery and payment; every
log line of it is a JSON object, the request's lines carry the request id and the order's
carry its order and workflow ids, and no line carries a canary."""

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import structlog
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from stack.logs import configure_logging
from tests.harness import Desk, checked_desk, new_customer
from tests.workflows.test_paths import deliver

CANARIES = {
    "name": "Kanarienvogel Canary GmbH",
    "email": "canary.7731@kunde.example",
    "phone": "+49 30 9018 2077",
    "line1": "Kanarienweg 77",
}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    kept = (list(root.handlers), root.level)
    buffer = io.StringIO()
    configure_logging("INFO", "json", stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers, level = kept
        root.setLevel(level)
        structlog.reset_defaults()


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def test_no_log_line_carries_personal_data(desk: Desk, log_lines: io.StringIO) -> None:
    sku = await desk.product(price="20.00", stock=3)
    customer = new_customer()
    customer.update(name=CANARIES["name"], email=CANARIES["email"], phone=CANARIES["phone"])
    customer["address"] = {**customer["address"], "line1": CANARIES["line1"]}
    body: dict[str, Any] = {
        "channel": "web",
        "customer": customer,
        "lines": [{"sku": sku, "quantity": 1}],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
    }
    refused = await desk.call("sales1", "POST", "/orders", json={**body, "lines": []})
    assert refused.status_code == 422
    order_id = (await desk.ok("sales1", "POST", "/orders", json=body))["order_id"]
    await deliver(desk, order_id)
    await desk.status_is(order_id, "COMPLETED")
    await desk.ok("admin", "GET", f"/orders/{order_id}")
    lines = [line for line in log_lines.getvalue().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert events
    for line in lines:
        for canary in CANARIES.values():
            assert canary not in line, line
    requests = [e for e in events if e.get("logger") == "orderflow.api"]
    assert requests and all(e.get("request_id") for e in requests)
    mine = [e for e in events if e.get("order_id") == order_id]
    assert any(e.get("activity") == "review_order" for e in mine)
    assert all(e.get("workflow_id") in (None, f"order-{order_id}") for e in mine)
    reads = [e for e in requests if e.get("order_id") == order_id]
    assert reads  # GET /orders/{id} names the order
