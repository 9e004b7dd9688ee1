"""OpenTelemetry tracing, on when ORDERFLOW_OTLP_ENDPOINT is set: the API's request spans
(FastAPI instrumentation), the Temporal client's start and update spans, and the worker's
workflow and activity spans (the Temporal SDK's TracingInterceptor carries the context in
the workflow's headers), exported by OTLP over HTTP. One trace follows an order from the
request that took it into its activities."""

from collections.abc import Sequence

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from config import Settings


def tracer_provider(
    settings: Settings, service: str, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """None when tracing is off (no endpoint and no exporter given: tests give one)."""
    if exporter is None and not settings.otlp_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(settings.otlp_endpoint)))
    return provider


def temporal_interceptors(provider: TracerProvider | None) -> Sequence[Interceptor]:
    """For the Temporal client; a worker made from that client traces with it too."""
    if provider is None:
        return ()
    return (TracingInterceptor(provider.get_tracer("orderflow")),)
