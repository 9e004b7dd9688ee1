"""The daily settlement run matches a day's payments to invoices and reports the rest; the
Temporal Schedule that runs it is created once however often workers start."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from temporalio.client import ScheduleCalendarSpec
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from temporal_client import SETTLEMENT_SCHEDULE, ensure_settlement_schedule
from tests.conftest import test_settings as settings_for
from tests.harness import Desk, checked_desk
from workflows.settlement_run import SettlementRunWorkflow


@pytest.fixture
async def desk(time_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with checked_desk(time_env, sessions) as desk:
        yield desk


async def paid(desk: Desk, stock: int, amount: str) -> str:
    sku = await desk.product(price="100.00", stock=stock)
    order_id = await desk.order(sku, payment="prepaid")
    await desk.status_is(order_id, "AWAITING_PAYMENT" if stock else "AWAITING_STOCK")
    await desk.ok(
        "finance",
        "POST",
        f"/orders/{order_id}/payments",
        json={"reference": f"day-{order_id}", "amount": amount, "method": "card"},
    )
    return order_id


async def test_the_days_payments_are_matched_to_invoices(
    desk: Desk, sessions: SessionFactory
) -> None:
    invoiced = await paid(desk, 3, "119.00")
    overpaid = await paid(desk, 3, "150.00")
    ahead = await paid(desk, 0, "119.00")  # no stock: paid, not shipped, not invoiced
    for order_id in (invoiced, overpaid):
        await desk.status_is(order_id, "SHIPPED")
    async with sessions() as session:
        today = (await session.scalar(select(func.current_date()))).isoformat()  # type: ignore[union-attr]
    report = await desk.env.client.execute_workflow(
        SettlementRunWorkflow.run,
        today,
        id=f"settlement-run-{uuid.uuid4()}",
        task_queue=desk.settings.temporal.task_queue,
    )
    matched = {line.order_id for line in report.matched}
    unmatched = {line.order_id: line.why for line in report.unmatched}
    assert invoiced in matched
    assert "31.00 beyond" in unmatched[overpaid]
    assert "no invoice yet" in unmatched[ahead]
    read = await desk.ok("finance", "GET", f"/reports/settlement?date={today}")
    assert read["day"] == today and {x["order_id"] for x in read["unmatched"]} >= {overpaid, ahead}
    assert (await desk.call("sales1", "GET", "/reports/settlement")).status_code == 403
    missing = await desk.call("finance", "GET", "/reports/settlement?date=2001-01-01")
    assert missing.status_code == 404


async def test_the_schedule_is_created_once(dev_env: WorkflowEnvironment) -> None:
    settings = settings_for(f"q-{uuid.uuid4().hex[:8]}")
    assert await ensure_settlement_schedule(dev_env.client, settings) is True
    assert await ensure_settlement_schedule(dev_env.client, settings) is False
    handle = dev_env.client.get_schedule_handle(SETTLEMENT_SCHEDULE)
    described = await handle.describe()
    [calendar] = described.schedule.spec.calendars
    assert isinstance(calendar, ScheduleCalendarSpec)
    assert [r.start for r in calendar.hour] == [2]
    await handle.delete()
