"""The one way into Temporal for the API, the worker and the sweeper: connecting, and starting
an order's workflow (idempotently, by its deterministic id).

Also the sweeper: an order recorded while Temporal was unreachable has a row but no workflow;
the sweeper starts the workflow of every such order, so none waits in RECEIVED for good.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from temporalio.client import (
    Client,
    Interceptor,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.common import Priority as TaskPriority
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from config import Settings
from db.engine import SessionFactory
from db.models import Customer, Order
from db.status import mark_workflow_started
from domain.carrier import ShippingMethod
from domain.messages import OrderWorkflowInput, RefundRequest, RefundResult, ReturnInput
from domain.order_types import OrderType
from domain.priority import TASK_PRIORITY_KEY, Priority
from domain.review import PaymentMethod
from domain.shortage import ShortageChoice
from workflows import search_attributes as sa
from workflows.host import workflow_id
from workflows.notifier import NOTIFIER_ID, NotifierWorkflow
from workflows.order import OrderWorkflow
from workflows.production_flow import ProductionWorkflow, production_workflow_id
from workflows.refund_flow import RefundWorkflow, refund_workflow_id
from workflows.return_flow import ReturnWorkflow, return_workflow_id
from workflows.settlement_run import SettlementRunWorkflow

__all__ = [
    "LEGACY_APPROVAL_QUERY",
    "SETTLEMENT_SCHEDULE",
    "OrderWorkflow",
    "ProductionWorkflow",
    "RefundWorkflow",
    "ReturnWorkflow",
    "connect_temporal",
    "ensure_settlement_schedule",
    "production_workflow_id",
    "return_workflow_id",
    "run_refund",
    "start_order_workflow",
    "start_return_workflow",
    "sweep_forever",
    "sweep_unstarted",
    "workflow_id",
]

log = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(seconds=15)
START_RPC_TIMEOUT = timedelta(seconds=10)
# Running orders still on the approval path from before the approval desk: they never took the
# `approval-desk-v1` patch, so its marker is missing from TemporalChangeVersion.
LEGACY_APPROVAL_QUERY = (
    "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running' AND "
    "(TemporalChangeVersion IS NULL OR TemporalChangeVersion NOT IN ('approval-desk-v1'))"
)
SWEEP_BATCH = 500


def worker_runtime(settings: Settings) -> Runtime | None:
    """A worker's SDK runtime serving its metrics for Prometheus when
    ORDERFLOW_WORKER_METRICS_ADDRESS is set (made once per process: it binds that port)."""
    if not settings.worker_metrics_address:
        return None
    prometheus = PrometheusConfig(bind_address=settings.worker_metrics_address)
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic models as JSON, each payload then sealed by the codec (stack/codec.py)."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=settings.codec.codec())


async def connect_temporal(
    settings: Settings,
    address: str,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    return await Client.connect(
        address,
        namespace=settings.temporal.namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
        interceptors=interceptors,
    )


def order_summary(order: Order) -> str:
    reference = f"{order.channel} {order.external_ref}" if order.external_ref else order.channel
    return f"Order {order.id[:8]} ({reference}): {order.total} {order.currency}, {order.priority}"


def order_details(order: Order) -> str:
    rows = [
        ("order", order.id),
        ("external reference", order.external_ref or "-"),
        ("customer", order.customer_id),
        ("channel", order.channel),
        ("type", order.order_type),
        ("total", f"{order.total} {order.currency}"),
        ("payment", order.payment_method),
        ("shipping", order.shipping_method),
        ("priority", order.priority),
    ]
    return "\n".join(["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


async def start_order_workflow(
    client: Client, settings: Settings, order: Order, customer_owner: str | None
) -> None:
    """Idempotent: a retried intake finds the running (or finished) workflow and starts none.

    Raises the client's error (RPCError, or RuntimeError for a connection never made) when
    Temporal cannot be reached.
    """
    try:
        await client.start_workflow(
            OrderWorkflow.run,
            OrderWorkflowInput(
                order_id=order.id,
                customer_id=order.customer_id,
                channel=order.channel,
                total=order.total,
                payment_method=PaymentMethod(order.payment_method),
                created_by=order.created_by,
                timeouts=settings.process.timeouts(),
                customer_owner=customer_owner,
                priority=Priority(order.priority),
                on_shortage=ShortageChoice(order.on_shortage),
                shipping_method=ShippingMethod(order.shipping_method),
                order_type=OrderType(order.order_type),
                deposit=order.deposit,
                release_date=order.release_date,
            ),
            # A backlog serves urgent orders first; the workflow's activities inherit it.
            priority=TaskPriority(priority_key=TASK_PRIORITY_KEY[Priority(order.priority)]),
            id=workflow_id(order.id),
            task_queue=settings.temporal.task_queue,
            # Bounded: a start against an unreachable server gives up (the sweeper retries).
            rpc_timeout=START_RPC_TIMEOUT,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.ORDER_STATUS, order.status),
                    SearchAttributePair(sa.CUSTOMER_ID, order.customer_id),
                    SearchAttributePair(sa.CHANNEL, order.channel),
                    SearchAttributePair(sa.ORDER_TYPE, order.order_type),
                    SearchAttributePair(sa.ORDER_TOTAL, float(order.total)),
                    SearchAttributePair(sa.PRIORITY, order.priority),
                    # Not the row's created_at: a server default not loaded on a new order.
                    SearchAttributePair(sa.STATUS_SINCE, datetime.now(UTC)),
                    SearchAttributePair(sa.LATE, False),
                ]
            ),
            # What the Temporal UI's list and the workflow's page show: ids and codes only.
            static_summary=order_summary(order),
            static_details=order_details(order),
        )
    except WorkflowAlreadyStartedError:
        return  # it ran to its end earlier: a retry starts nothing


async def start_return_workflow(client: Client, settings: Settings, r: ReturnInput) -> None:
    """Idempotent by the return's id: started again, the running (or ended) one stands."""
    try:
        await client.start_workflow(
            ReturnWorkflow.run,
            r,
            id=return_workflow_id(r.rma),
            task_queue=settings.temporal.task_queue,
            rpc_timeout=START_RPC_TIMEOUT,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return


async def run_refund(client: Client, settings: Settings, r: RefundRequest) -> RefundResult:
    """Run finance's refund to its end (the same reference again: the first one's result)."""
    wid = refund_workflow_id(r.order_id, r.reference)
    try:
        handle = await client.start_workflow(
            RefundWorkflow.run,
            r,
            id=wid,
            task_queue=settings.temporal.task_queue,
            rpc_timeout=START_RPC_TIMEOUT,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle_for(RefundWorkflow.run, wid)
    return await handle.result()


SETTLEMENT_SCHEDULE = "daily-settlement"


async def ensure_settlement_schedule(client: Client, settings: Settings) -> bool:
    """The daily settlement run, every day at 02:00 UTC for the day before; created once
    (True), left as it is when it exists (False): every worker start may call it."""
    try:
        await client.create_schedule(
            SETTLEMENT_SCHEDULE,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    SettlementRunWorkflow.run,
                    None,
                    id="settlement-run",
                    task_queue=settings.temporal.task_queue,
                ),
                spec=ScheduleSpec(
                    calendars=[
                        ScheduleCalendarSpec(hour=[ScheduleRange(2)], minute=[ScheduleRange(0)])
                    ]
                ),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            ),
        )
    except ScheduleAlreadyRunningError:
        return False
    return True


async def ensure_notifier(client: Client, settings: Settings) -> None:
    """The notifier workflow, started once (a running one stands); every worker start may
    call it."""
    if not settings.notify.start_notifier:
        return
    await client.start_workflow(
        NotifierWorkflow.run,
        settings.notify.poll_seconds,
        id=NOTIFIER_ID,
        task_queue=settings.temporal.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="Delivers the notification outbox",
    )


async def sweep_unstarted(
    client: Client, sessions: SessionFactory, settings: Settings, older_than: timedelta
) -> list[str]:
    """Start the workflows of orders recorded more than older_than ago without one."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(Order, Customer.owner)
                .join(Customer, Customer.id == Order.customer_id)
                .where(
                    Order.workflow_started_at.is_(None),
                    Order.created_at < func.now() - older_than,
                )
                .order_by(Order.created_at)
                .limit(SWEEP_BATCH)
            )
        ).all()
    started = []
    for order, owner in rows:
        await start_order_workflow(client, settings, order, owner)
        async with sessions.begin() as session:
            await mark_workflow_started(session, order.id)
        started.append(order.id)
    if started:
        log.warning("started the workflows of %d order(s) recorded without one", len(started))
    return started


async def sweep_forever(
    client: Client, sessions: SessionFactory, settings: Settings, every: timedelta = SWEEP_EVERY
) -> None:
    """Every order without a workflow has one within sweep_after_seconds plus `every`."""
    older_than = timedelta(seconds=settings.process.sweep_after_seconds)
    while True:
        try:
            await sweep_unstarted(client, sessions, settings, older_than)
        except Exception:  # Temporal or the database still down: try again next round
            log.warning("sweep for orders without a workflow failed; retrying", exc_info=True)
        await asyncio.sleep(every.total_seconds())
