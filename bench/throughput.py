"""Orders per second through the whole process on this machine's real stack.

    .venv/bin/python -m bench.throughput --orders 300 --runs 3

Starts embedded PostgreSQL and the Temporal dev server (file database with the WAL pragmas
`make run` uses) in a temporary folder, one worker in this process, then for each run: starts
N cash-on-delivery orders through the API code path (record + workflow start), sends each
order's delivered scan as soon as it ships, and times until all are COMPLETED. Prints each run
and the median. Everything it starts is stopped at the end.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.auth import Principal
from api.orders.intake import record_order
from api.orders.schemas import OrderIn
from api.workflow_calls import start_order_workflow, update_order
from config import Settings
from db.engine import SessionFactory, make_engine, make_sessions
from db.migrate import upgrade_head_async
from db.models import Order, OrderLine, Product, Shipment, Stock
from db.shipments import BOOKED
from domain.messages import ShipmentEventInput, ShipmentEventKind
from domain.roles import Role
from domain.status import FINAL_STATUSES
from stack import postgres, temporal_dev
from stack.seed import DEMO_CUSTOMERS, seed_all
from temporal_client import OrderWorkflow
from worker import build_worker

SHOP = Principal("shop", Role.UPSTREAM)


async def place(sessions: SessionFactory, client: Client, settings: Settings, sku: str) -> str:
    body = OrderIn.model_validate(
        {
            "channel": "web",
            "customer": {"id": DEMO_CUSTOMERS[0][0]},
            "lines": [{"sku": sku, "quantity": 1}],
            "shipping": {"method": "standard"},
            "payment": {"method": "cod"},
        }
    )
    async with sessions.begin() as session:
        order, _ = await record_order(session, body, SHOP, None, settings.process)
    await start_order_workflow(client, settings, order, None)
    return order.id


async def deliver_shipped(
    sessions: SessionFactory, client: Client, pending: set[str], sku: str
) -> None:
    # By the run's own sku, not a list of ids: the driver shares the worker's CPU.
    async with sessions() as session:
        rows = await session.execute(
            select(Shipment.order_id, Shipment.tracking_number)
            .join(OrderLine, OrderLine.order_id == Shipment.order_id)
            .where(OrderLine.sku == sku, Shipment.status == BOOKED)
            .where(Shipment.tracking_number.is_not(None))
        )
        shipped = [(o, t) for o, t in rows if o in pending and t is not None]

    async def deliver(order_id: str, tracking: str) -> None:
        event = ShipmentEventInput(event=ShipmentEventKind.DELIVERED, tracking_number=tracking)
        await update_order(client, order_id, OrderWorkflow.shipment_event, event)
        pending.discard(order_id)

    # The carrier's webhooks arrive concurrently, as they would in production.
    await asyncio.gather(*(deliver(order_id, tracking) for order_id, tracking in shipped))


async def one_run(sessions: SessionFactory, client: Client, settings: Settings, n: int) -> float:
    sku = f"BENCH-{uuid.uuid4().hex[:8]}"
    async with sessions.begin() as session:
        session.add(
            Product(sku=sku, name="bench", unit_price=Decimal("10.00"), weight_kg=Decimal(1))
        )
        await session.flush()
        session.add(Stock(sku=sku, warehouse="WH1", on_hand=n, reserved=0))
    started = time.perf_counter()
    gate = asyncio.Semaphore(50)

    async def placed() -> str:
        async with gate:
            return await place(sessions, client, settings, sku)

    ids = set(await asyncio.gather(*(placed() for _ in range(n))))
    undelivered = set(ids)
    while True:
        await deliver_shipped(sessions, client, undelivered, sku)
        async with sessions() as session:
            done = await session.scalar(
                select(func.count())
                .select_from(Order)
                .join(OrderLine, OrderLine.order_id == Order.id)
                .where(OrderLine.sku == sku, Order.status.in_(FINAL_STATUSES))
            )
        # Every order of the run at rest (a demo order completes; one that did not would show
        # as a lower rate, not pass unseen: the run waits for all n).
        if done == n:
            return n / (time.perf_counter() - started)
        await asyncio.sleep(0.5)


async def main(orders: int, runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="orderflow-bench-"))
    postgres.ensure_runtime_dir()
    pg = postgres.start_embedded(workdir / "pg")
    port, ui = 27233, 28233
    temporal = temporal_dev.start_dev_server(workdir / "t.db", port, ui, workdir / "t.log")
    try:
        await postgres.ensure_database(postgres.admin_url(pg), "bench")
        url = postgres.database_url(pg, "bench")
        await upgrade_head_async(url)
        engine = make_engine(url, pool_size=20)
        sessions = make_sessions(engine)
        await seed_all(sessions)
        await temporal_dev.wait_for_port(port, temporal)
        client = await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
        settings = Settings()
        # Packing confirmed by the simulated packer, quickly: the bench measures the system.
        settings.process.warehouse_confirmation = "auto"
        settings.process.auto_pack_seconds = 0.2
        async with build_worker(client, sessions, settings, settings.temporal.task_queue):
            rates = []
            for run in range(runs):
                rate = await one_run(sessions, client, settings, orders)
                rates.append(rate)
                print(f"run {run + 1}: {orders} orders, {rate:.1f} orders/s", flush=True)
        print(
            f"median: {statistics.median(rates):.1f} orders/s "
            f"({statistics.median(rates) * 86400 / 1e6:.2f} million a day)"
        )
        await engine.dispose()
    finally:
        temporal.stop()
        postgres.stop_embedded(pg)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.runs))
