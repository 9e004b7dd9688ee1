"""One trace from the API request that took an order, through the Temporal client's start,
into the worker's workflow and activity spans (the Temporal SDK's OpenTelemetry interceptor),
on the dev server; spans exported to an in-memory exporter in place of OTLP."""

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from config import Settings
from db.engine import SessionFactory
from stack.tracing import temporal_interceptors, tracer_provider
from tests.harness import open_desk

Spans = InMemorySpanExporter


@pytest.fixture
def spans() -> Spans:
    return InMemorySpanExporter()


async def test_a_trace_follows_an_order_from_the_request_into_its_activities(
    dev_env: WorkflowEnvironment, sessions: SessionFactory, spans: Spans
) -> None:
    provider = tracer_provider(Settings(), "orderflow-test", spans)
    assert provider is not None
    client = await Client.connect(
        dev_env.client.service_client.config.target_host,
        data_converter=pydantic_data_converter,
        interceptors=temporal_interceptors(provider),
    )
    desk_cm = open_desk(dev_env, sessions, client=client, tracing=provider)
    async with desk_cm as desk:
        sku = await desk.product(price="10.00", stock=3)
        order_id = await desk.order(sku, 1, payment="cod")
        await desk.status_is(order_id, "SHIPPED")
    provider.force_flush()
    finished = spans.get_finished_spans()
    intake = [s for s in finished if s.name == "POST /orders" and s.parent is None]
    assert intake, sorted({s.name for s in finished})
    trace_ids = {s.context.trace_id for s in intake}
    in_trace = [s for s in finished if s.context.trace_id in trace_ids]
    names = {s.name for s in in_trace}
    assert "StartWorkflow:OrderWorkflow" in names, names
    assert "RunActivity:review_order" in names and "RunActivity:book_shipment" in names, names
