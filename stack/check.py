"""`orderflow check`: the desk's invariants over the database and Temporal, for operators
after an incident and for the fault tests after every fault.

Database rules (db/invariants.py): stock adds up per sku and warehouse and nothing is
negative, no ended order holds stock, payments less refunds match what the invoices say,
open balances are the unpaid documents. Temporal rules (here): every open order's workflow
runs, every order workflow has its order row, and no order went without a workflow longer
than the sweeper allows. Exit code 0 when all hold, 1 with one line per breach.
"""

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus

from config import Settings, get_settings
from db.engine import SessionFactory, engine_from_settings, make_sessions
from db.invariants import ENDED, EPOCH, Finding, database_findings
from db.models import Order
from temporal_client import connect_temporal
from workflows.host import workflow_id

ORDER_WORKFLOW = "OrderWorkflow"


async def workflow_findings(
    client: Client, session: AsyncSession, since: datetime, grace: timedelta
) -> list[Finding]:
    """Orders and their workflows, matched both ways. Orders younger than `grace` are left
    alone: intake starts their workflow after answering, the sweeper within `grace`."""
    query = f"WorkflowType = '{ORDER_WORKFLOW}' AND StartTime >= '{since.isoformat()}'"
    status: dict[str, WorkflowExecutionStatus | None] = {}
    async for execution in client.list_workflows(query):
        # Continued-as-new runs share the id; a running one wins over closed ones.
        if status.get(execution.id) != WorkflowExecutionStatus.RUNNING:
            status[execution.id] = execution.status
    now = datetime.now(UTC)
    found: list[Finding] = []
    rows = await session.execute(
        select(Order.id, Order.status, Order.workflow_started_at, Order.created_at).where(
            Order.created_at >= since
        )
    )
    known = set()
    for order_id, order_status, workflow_started, created in rows:
        known.add(workflow_id(order_id))
        if order_status in ENDED:
            continue
        running = status.get(workflow_id(order_id))
        if workflow_started is None:
            if created < now - grace:
                found.append(Finding("workflow", order_id, f"{order_status}, no workflow yet"))
        elif running != WorkflowExecutionStatus.RUNNING:
            what = running.name.lower() if running else "not found"
            found.append(Finding("workflow", order_id, f"{order_status}, workflow {what}"))
    for orphan in sorted(set(status) - known):
        found.append(Finding("workflow", orphan, "an order workflow without its order row"))
    return found


async def check(
    client: Client, sessions: SessionFactory, settings: Settings, since: datetime = EPOCH
) -> list[Finding]:
    grace = timedelta(seconds=2 * settings.process.sweep_after_seconds)
    async with sessions() as session:
        found = await database_findings(session, since)
        found += await workflow_findings(client, session, since, grace)
    return found


async def _main(settings: Settings) -> int:
    if not settings.database.url or not settings.temporal.address:
        print("set DATABASE_URL and TEMPORAL_ADDRESS (the stack to check)", file=sys.stderr)
        return 2
    engine = engine_from_settings(settings.database.url, settings.database)
    try:
        client = await connect_temporal(settings, settings.temporal.address)
        found = await check(client, make_sessions(engine), settings)
    finally:
        await engine.dispose()
    for finding in found:
        print(finding)
    print(f"{len(found)} breach(es)" if found else "all invariants hold")
    return 1 if found else 0


def main() -> None:
    sys.exit(asyncio.run(_main(get_settings())))
