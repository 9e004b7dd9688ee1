"""Metrics scraped and parsed as Prometheus would: the API's /metrics (request durations by
route template, the desk's orders, approvals, stock queue and outbox) and a worker's Temporal
SDK metrics from its runtime's Prometheus endpoint."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.engine import SessionFactory
from stack.processes import free_port
from tests.harness import Desk, eventually, open_desk
from workflows.notifier import NotifierWorkflow


@pytest.fixture
async def desk(dev_env: WorkflowEnvironment, sessions: SessionFactory) -> AsyncIterator[Desk]:
    async with open_desk(dev_env, sessions) as desk:
        yield desk


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


async def test_the_api_metrics_parse_and_count_the_desk(desk: Desk) -> None:
    sku = await desk.product(price="100.00", stock=5)
    order_id = await desk.order(sku, 1, discount_pct="15")  # waits for a supervisor
    await desk.status_is(order_id, "AWAITING_APPROVAL")
    answer = await desk.http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    routes = {
        labels["route"] for labels, _ in found["orderflow_http_request_duration_seconds_count"]
    }
    assert "/orders/{order_id}" in routes and "/orders" in routes  # templates, never ids
    assert not any(order_id in r for r in routes)
    started = {labels["channel"]: v for labels, v in found["orderflow_orders_started_total"]}
    assert started["web"] >= 1
    pending = {labels["level"]: v for labels, v in found["orderflow_approvals_pending"]}
    assert pending["sales_supervisor"] >= 1
    in_status = {labels["status"]: v for labels, v in found["orderflow_orders_in_status"]}
    assert in_status["AWAITING_APPROVAL"] >= 1
    stays = {labels["status"] for labels, _ in found["orderflow_status_stays_total"]}
    assert "UNDER_REVIEW" in stays  # it left review: that stay is counted
    assert "orderflow_orders_waiting_for_stock" in found


async def test_a_worker_serves_the_sdk_metrics(dev_env: WorkflowEnvironment) -> None:
    port = free_port()
    runtime = Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}"))
    )
    client = await Client.connect(
        dev_env.client.service_client.config.target_host,
        runtime=runtime,
        data_converter=pydantic_data_converter,
    )
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[NotifierWorkflow]):

        async def scraped() -> dict[str, list[tuple[dict[str, str], float]]]:
            async with httpx.AsyncClient() as http:
                text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            found = samples(text)
            return found if any(name.startswith("temporal_") for name in found) else {}

        found = await eventually(scraped, timeout=30)
    polls = [n for n in found if n.startswith("temporal_")]
    assert polls, found.keys()
