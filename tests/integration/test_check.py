"""`orderflow check` on the real dev server and PostgreSQL: silent on a healthy desk, and each
kind of breach named when the books or the workflows are broken behind the desk's back."""

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, update
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.invariants import Finding, database_now
from db.models import Order, Payment, Stock
from stack.check import check, workflow_findings
from tests.harness import Desk, open_desk
from workflows.host import workflow_id


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(dev_env, sessions) as desk:
        yield desk


def rules(found: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f.subject) for f in found}


async def test_check_is_silent_when_all_holds_and_names_each_breach(
    desk: Desk, database: str
) -> None:
    since = await database_now(desk.sessions)
    sku = await desk.product(price="10.00", stock=5)
    paid = await desk.order(sku, payment="prepaid")
    waiting = await desk.order(sku, payment="prepaid")
    shipped = await desk.order(sku, payment="cod")
    await desk.status_is(paid, "AWAITING_PAYMENT")
    await desk.status_is(waiting, "AWAITING_PAYMENT")
    await desk.status_is(shipped, "SHIPPED")
    client = desk.env.client
    assert await check(client, desk.sessions, desk.settings, since) == []

    # Broken behind the desk's back: a reservation count off, money nobody invoiced, a
    # workflow terminated under an open order, an order whose workflow never started.
    async with desk.sessions.begin() as session:
        await session.execute(
            update(Stock).where(Stock.sku == sku).values(reserved=Stock.reserved + 1)
        )
        session.add(
            Payment(
                order_id=shipped,
                reference=f"stray-{shipped}",
                amount=Decimal("500.00"),
                method="card",
                kind="payment",
            )
        )
        await session.execute(
            update(Order).where(Order.id == paid).values(workflow_started_at=None)
        )
    await client.get_workflow_handle(workflow_id(waiting)).terminate("test: broken on purpose")
    try:
        found = await check(client, desk.sessions, desk.settings, since)
        assert ("stock", f"{sku}@WH1") in rules(found), found
        assert ("workflow", waiting) in rules(found), found
        # Not yet: an order without its workflow is the sweeper's for a while.
        assert ("workflow", paid) not in rules(found)
        async with desk.sessions() as session:
            late = await workflow_findings(client, session, since, grace=timedelta(0))
        assert ("workflow", paid) in rules(late)
        # Booked, so invoiced: paid 500 more than the invoice asks.
        assert ("money", shipped) in rules(found), found

        # The command operators run: one line per breach, exit code 1.
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        }
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "stack.cli", "check", env=env, stdout=PIPE, stderr=PIPE
        )
        out, err = await asyncio.wait_for(run.communicate(), timeout=120)
        assert run.returncode == 1, err.decode()
        assert f"[stock] {sku}@WH1: reserved" in out.decode()
        assert f"[workflow] {waiting}: AWAITING_PAYMENT, workflow terminated" in out.decode()
    finally:
        async with desk.sessions.begin() as session:
            await session.execute(
                update(Stock).where(Stock.sku == sku).values(reserved=Stock.reserved - 1)
            )
            await session.execute(delete(Payment).where(Payment.reference == f"stray-{shipped}"))
            await session.execute(
                update(Order).where(Order.id == paid).values(workflow_started_at=func.now())
            )
