"""The order page's relay of a customer's answer, through the console's own forms (HTTP, no
browser: the wait before customer service takes the answer is two days, so this runs on the
time-skipping server)."""

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.auth import dev_password
from db.engine import SessionFactory
from tests.harness import Desk, eventually, open_desk
from tests.workflows.test_confirmation_and_policy import typo_order


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(time_env, sessions) as desk:
        yield desk


async def signed_in(desk: Desk, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=desk.app), base_url="http://c")
    form = (await client.get("/console/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    password = dev_password(desk.settings.auth, username)
    body = {"username": username, "password": password, "csrf_token": token.group(1)}
    answer = await client.post("/console/login", data=body)
    assert answer.status_code == 303, answer.text
    return client


async def test_customer_service_relays_the_customers_answer_from_the_order_page(
    desk: Desk,
) -> None:
    order_id, _ = await typo_order(desk)
    await desk.env.sleep(timedelta(days=2, hours=1))

    async def held() -> bool:
        level = (await desk.get(order_id))["approvals"][0]["current_level"]
        return bool(level == "customer_service")

    await eventually(held)
    client = await signed_in(desk, "service")
    page = (await client.get(f"/console/orders/{order_id}")).text
    assert "Pass on the answer" in page, page
    fields = dict(re.findall(r'name="(csrf_token|decision_id)" value="([^"]+)"', page))
    answer = await client.post(
        f"/console/orders/{order_id}/relay",
        data={**fields, "answer": "confirm", "comment": "by phone, 10:40"},
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=relay")
    await desk.status_is(order_id, "SHIPPED")
    (level,) = (await desk.get(order_id))["approvals"]
    assert (level["status"], level["decided_by"]) == ("approved", "service")
    await client.aclose()
