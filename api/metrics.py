"""`GET /metrics` in the Prometheus text format: the API's request durations, and the desk's
state read from the database at scrape time, so it counts the work of every process (API,
workers) without each keeping its own tally: orders started and finished by channel and
outcome, orders in each status and how long orders stay in each, approvals pending by level,
orders waiting for stock (reservations that met too little stock), notifications and
webhook deliveries by status. The Temporal SDK's worker metrics are served by each worker
itself (ORDERFLOW_WORKER_METRICS_ADDRESS; see README)."""

import logging
import time
from collections.abc import Iterable

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SessionDep
from db.models import Approval, Notification, Order, StockWait, WebhookDelivery
from domain.status import FINAL_STATUSES

log = logging.getLogger("orderflow.api")
REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "orderflow_http_request_duration_seconds",
    "API request durations by method, route template and status code",
    ["method", "route", "status"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

router = APIRouter(tags=["health"])


class RequestTimer:
    """Times every request by its route template (`/orders/{order_id}`, never the id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            took = time.perf_counter() - started
            REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(took)
            # The route template, never the path or query: they may carry personal data.
            log.info("%s %s %s in %.0f ms", scope["method"], route, status, took * 1000)


class _Snapshot(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self.metrics


# Seconds orders stayed in each status: from one status change to the order's next, which
# wrote `left_at` (events recorded within a status are no change), over the stays begun in
# the last week (older ones are history, and would make the scrape slow).
_TIME_IN_STATUS = text(
    """
    SELECT to_status, count(*), coalesce(sum(extract(epoch FROM left_at - at)), 0)
    FROM order_history
    WHERE at > now() - interval '7 days' AND left_at IS NOT NULL
    GROUP BY to_status
    """
)


async def desk_metrics(session: AsyncSession) -> list[Metric]:
    started = CounterMetricFamily(
        "orderflow_orders_started", "Orders taken, by channel", labels=["channel"]
    )
    finished = CounterMetricFamily(
        "orderflow_orders_finished",
        "Orders ended, by channel and outcome (final status)",
        labels=["channel", "outcome"],
    )
    in_status = GaugeMetricFamily(
        "orderflow_orders_in_status", "Orders now in each status", labels=["status"]
    )
    final = {str(s) for s in FINAL_STATUSES}
    by_status: dict[str, float] = {}
    per_channel: dict[str, float] = {}
    rows = await session.execute(
        select(Order.channel, Order.status, func.count()).group_by(Order.channel, Order.status)
    )
    for channel, status, n in rows:
        per_channel[channel] = per_channel.get(channel, 0) + n
        by_status[status] = by_status.get(status, 0) + n
        if status in final:
            finished.add_metric([channel, status], n)
    for channel, count in sorted(per_channel.items()):
        started.add_metric([channel], count)
    for status, count in sorted(by_status.items()):
        if status not in final:
            in_status.add_metric([status], count)
    stays = CounterMetricFamily(
        "orderflow_status_stay_seconds",
        "Time orders stayed in each status (transitions of the last 7 days)",
        labels=["status"],
    )
    stay_count = CounterMetricFamily(
        "orderflow_status_stays", "Stays in each status ended (last 7 days)", labels=["status"]
    )
    for status, n, seconds in await session.execute(_TIME_IN_STATUS):
        stays.add_metric([status], float(seconds))
        stay_count.add_metric([status], n)
    pending = GaugeMetricFamily(
        "orderflow_approvals_pending", "Approval levels waiting for a decision", labels=["level"]
    )
    for level, n in await session.execute(
        select(Approval.level, func.count())
        .where(Approval.status == "pending")
        .group_by(Approval.level)
    ):
        pending.add_metric([level], n)
    waiting = GaugeMetricFamily(
        "orderflow_orders_waiting_for_stock",
        "Orders whose reservation met too little stock and that wait in the stock queue",
    )
    waiting.add_metric(
        [],
        await session.scalar(
            select(func.count()).select_from(StockWait).where(StockWait.status == "waiting")
        )
        or 0,
    )
    messages = GaugeMetricFamily(
        "orderflow_notifications", "Messages in the outbox by status", labels=["status"]
    )
    for status, n in await session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)
    ):
        messages.add_metric([status], n)
    hooks = GaugeMetricFamily(
        "orderflow_webhook_deliveries", "Webhook deliveries by status", labels=["status"]
    )
    for status, n in await session.execute(
        select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    ):
        hooks.add_metric([status], n)
    return [started, finished, in_status, stays, stay_count, pending, waiting, messages, hooks]


@router.get("/metrics", response_class=Response)
async def metrics(session: SessionDep) -> Response:
    """Prometheus text format (no authentication: serve it on an internal network only)."""
    async with session.begin():
        snapshot = CollectorRegistry()
        snapshot.register(_Snapshot(await desk_metrics(session)))
    body = generate_latest(REGISTRY) + generate_latest(snapshot)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
