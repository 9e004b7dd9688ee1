"""Composition root of the worker: settings -> engine -> activity objects -> Worker."""

import asyncio
import signal
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Interceptor, Worker

from activities.adapters import (
    CarrierAdapter,
    PaymentGateway,
    SimulatedCarrier,
    SimulatedPaymentGateway,
)
from activities.approvals import ApprovalActivities
from activities.bulk import BulkActivities
from activities.cancellations import CancellationActivities
from activities.changes import ChangeActivities
from activities.failures import FailFastOnBadData, LogContext, ReportFailingActivities
from activities.fulfilment import FulfilmentActivities
from activities.inventory import InventoryActivities
from activities.mail import Mailer, OutboxSink, SmtpMailer
from activities.notifier import NotifierActivities
from activities.orders import OrderActivities
from activities.presale import PresaleActivities
from activities.production import ProductionActivities
from activities.production_system import ProductionSystem, SimulatedProductionSystem
from activities.refunds import RefundActivities
from activities.returns import ReturnActivities
from activities.review import ReviewActivities
from activities.settlement import SettlementActivities
from activities.settlement_run import SettlementRunActivities
from activities.shipment_trouble import TroubleActivities
from activities.shipping import ShippingActivities
from config import Settings, get_settings
from db.engine import SessionFactory, engine_from_settings, make_sessions
from stack.logs import configure_logging
from stack.tracing import temporal_interceptors, tracer_provider
from temporal_client import (
    connect_temporal,
    ensure_notifier,
    ensure_settlement_schedule,
    sweep_forever,
    worker_runtime,
)
from workflows.notifier import NotifierWorkflow
from workflows.order import OrderWorkflow
from workflows.production_flow import ProductionWorkflow
from workflows.refund_flow import RefundWorkflow
from workflows.return_flow import ReturnWorkflow
from workflows.settlement_run import SettlementRunWorkflow


def activity_functions(
    sessions: SessionFactory,
    settings: Settings,
    carrier: CarrierAdapter | None = None,
    gateway: PaymentGateway | None = None,
    mailer: Mailer | None = None,
    plant: ProductionSystem | None = None,
) -> Sequence[Any]:
    carrier = carrier or SimulatedCarrier(settings.process.carrier_step_seconds)
    gateway = gateway or SimulatedPaymentGateway()
    production = ProductionActivities(sessions, plant or SimulatedProductionSystem())
    review = ReviewActivities(sessions)
    inventory = InventoryActivities(sessions, settings.link_signer(), settings.process.home_country)
    orders = OrderActivities(sessions, gateway, carrier)
    approvals = ApprovalActivities(sessions, settings.link_signer())
    settlement = SettlementActivities(sessions)
    terms = settings.process.invoice_terms()
    shipping = ShippingActivities(sessions, carrier, settings.process.home_country, terms)
    fulfilment = FulfilmentActivities(sessions, carrier, settings.process.home_country, terms)
    trouble = TroubleActivities(sessions, gateway)
    cancellations = CancellationActivities(sessions)
    changes = ChangeActivities(sessions, settings.process.home_country)
    returns = ReturnActivities(sessions, gateway)
    refunds = RefundActivities(sessions, gateway)
    settlement_run = SettlementRunActivities(sessions)
    presale = PresaleActivities(sessions)
    bulk = BulkActivities(sessions)
    notifier = NotifierActivities(
        sessions,
        mailer or mailer_for(settings),
        settings.notify.max_attempts,
        settings.notify.backoff,
    )
    return [
        notifier.deliver_notifications,
        notifier.deliver_webhooks,
        review.review_order,
        inventory.reserve_stock,
        inventory.set_shortage_choice,
        inventory.propose_substitution,
        inventory.answer_substitution,
        orders.change_status,
        orders.close_order,
        orders.compensate,
        approvals.record_decision,
        approvals.record_approval_decision,
        approvals.open_step,
        approvals.step_event,
        settlement.record_payment,
        settlement.mark_overdue,
        settlement.credit_step,
        settlement.write_off,
        settlement.fix_installments,
        shipping.ship_order,
        shipping.record_shipment_event,
        shipping.poll_carrier,
        shipping.poll_parcels,
        fulfilment.prepare_shipments,
        fulfilment.record_packing,
        fulfilment.pack_as_simulated_packer,
        fulfilment.book_shipment,
        trouble.resolve_shipment_exception,
        trouble.flag_late,
        cancellations.request_cancellation,
        cancellations.decide_cancellation,
        cancellations.request_confirmation,
        cancellations.decide_request,
        changes.apply_change,
        returns.receive_return,
        returns.refund_return,
        returns.hold_exchange,
        returns.close_exchange,
        returns.expire_return,
        refunds.refund_order,
        settlement_run.settlement_report,
        presale.take_presale_place,
        presale.release_presale,
        bulk.plan_batches,
        bulk.open_batch,
        bulk.batch_shipped,
        production.create_production_order,
        production.record_production_event,
        production.receive_production,
    ]


def mailer_for(settings: Settings) -> Mailer:
    n = settings.notify
    if not n.smtp_host:
        return OutboxSink()
    return SmtpMailer(
        n.smtp_host, n.smtp_port, n.sender, n.smtp_username, n.smtp_password, n.smtp_starttls
    )


def build_worker(
    client: Client,
    sessions: SessionFactory,
    settings: Settings,
    task_queue: str,
    mailer: Mailer | None = None,
    interceptors: Sequence[Interceptor] = (),
    graceful: timedelta = timedelta(0),
) -> Worker:
    # No more activities at once than pooled connections (pool plus overflow): an activity
    # must not time out waiting for a connection another activity holds.
    concurrent_activities = 2 * settings.database.pool_size
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[
            OrderWorkflow,
            ReturnWorkflow,
            RefundWorkflow,
            SettlementRunWorkflow,
            NotifierWorkflow,
            ProductionWorkflow,
        ],
        activities=activity_functions(sessions, settings, mailer=mailer),
        max_cached_workflows=settings.worker_cached_workflows,
        max_concurrent_activities=concurrent_activities,
        interceptors=[LogContext(), ReportFailingActivities(), FailFastOnBadData(), *interceptors],
        activity_executor=ThreadPoolExecutor(concurrent_activities),
        graceful_shutdown_timeout=graceful,
    )


def start_sweeper(
    client: Client, sessions: SessionFactory, settings: Settings
) -> "asyncio.Task[None]":
    """Starts, beside the worker, the sweeper for orders recorded without a workflow."""
    return asyncio.create_task(sweep_forever(client, sessions, settings))


# SIGTERM (a deployment's rollout, `docker compose stop`): poll no more, let running activities
# finish for this long, then cancel them; Temporal gives their tasks to another worker. Within
# Kubernetes' default grace of 30 s (deploy/kubernetes gives 60), so it is not killed mid-way.
GRACEFUL_SHUTDOWN = timedelta(seconds=20)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def run_until_stopped(worker: Worker) -> None:
    """Runs the worker until it fails or SIGTERM/SIGINT asks it to stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        running = asyncio.create_task(worker.run())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not running.done():
            await worker.shutdown()
        await running
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def run_worker(
    settings: Settings,
    database_url: str,
    temporal_address: str,
    interceptors: Sequence[Interceptor] = (),
) -> None:
    engine = engine_from_settings(database_url, settings.database)
    tracing = temporal_interceptors(tracer_provider(settings, "orderflow-worker"))
    client = await connect_temporal(
        settings, temporal_address, worker_runtime(settings), interceptors=tracing
    )
    sessions = make_sessions(engine, settings.link_signer())
    sweeper = start_sweeper(client, sessions, settings)
    await ensure_settlement_schedule(client, settings)
    await ensure_notifier(client, settings)
    try:
        worker = build_worker(
            client,
            sessions,
            settings,
            settings.temporal.task_queue,
            interceptors=interceptors,
            graceful=GRACEFUL_SHUTDOWN,
        )
        await run_until_stopped(worker)
    finally:
        sweeper.cancel()
        await engine.dispose()


def main() -> None:
    """Run a worker against external services (DATABASE_URL and TEMPORAL_ADDRESS)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    if not settings.database.url or not settings.temporal.address:
        raise SystemExit(
            "set DATABASE_URL and TEMPORAL_ADDRESS, or use `make run` for a local stack"
        )
    asyncio.run(run_worker(settings, settings.database.url, settings.temporal.address))


if __name__ == "__main__":
    main()
