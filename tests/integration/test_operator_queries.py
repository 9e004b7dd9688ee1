"""The visibility queries the README gives operators work on the real dev server."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from temporal_client import LEGACY_APPROVAL_QUERY
from tests.harness import Desk, eventually, open_desk
from workflows.host import workflow_id


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(dev_env, sessions) as desk:
        yield desk


async def test_orders_on_the_approval_desk_are_not_listed_as_legacy(desk: Desk) -> None:
    sku = await desk.product(price="10.00", stock=5)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT")
    wid = workflow_id(order_id)

    async def listed(query: str) -> list[str]:
        return [w.id async for w in desk.env.client.list_workflows(query)]

    async def on_the_desk() -> Any:
        return wid in await listed("TemporalChangeVersion = 'approval-desk-v1'")

    await eventually(on_the_desk)
    assert wid not in await listed(LEGACY_APPROVAL_QUERY)
