"""The FastAPI application; its lifespan builds the engine and the Temporal client."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client

from api import codec, health, metrics
from api.approvals import router as approvals
from api.audit import router as audit
from api.console import install_console
from api.customers import router as customers
from api.documents import router as documents
from api.errors import ERROR_RESPONSES, JsonTooLarge, StorableUrl, install_error_handlers
from api.fulfilment import router as fulfilment
from api.imports import router as imports
from api.metrics import RequestTimer
from api.orders import router as orders
from api.people import router as people
from api.policies import router as policies
from api.pricing import router as pricing
from api.production import router as production
from api.products import router as products
from api.reports import router as reports
from api.returns import router as returns
from api.settlement import router as settlement
from api.starter import WorkflowStarter
from api.webhooks import router as webhooks
from config import Settings, get_settings
from db.engine import SessionFactory, engine_from_settings, make_sessions
from stack.logs import configure_logging
from stack.tracing import temporal_interceptors, tracer_provider
from temporal_client import connect_temporal

ORDER_IN_PATH = re.compile(r"^/orders/([0-9a-f\-]{36})(?:/|$)")


class RequestId:
    """Carried into audit rows and echoed; a caller's own X-Request-ID is kept for correlation.

    Plain ASGI: the decorator-style middleware costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("X-Request-ID", "")
        rid = given[:64] if given.isprintable() and given else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        # Every log line of the request names it (and the order, when the path does).
        ids = {"request_id": rid}
        order = ORDER_IN_PATH.match(scope.get("path", ""))
        if order:
            ids["order_id"] = order.group(1)
        with structlog.contextvars.bound_contextvars(**ids):
            await self.app(scope, receive, send_with_id)


class OrderflowApi(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Around the body limit, where it answers 413, just inside the server-error layer
        # (OpenTelemetry's instrumentation expects that one outermost).
        stack = super().build_middleware_stack()
        stack.app = JsonTooLarge(stack.app)  # type: ignore[attr-defined]
        return stack


def create_app(
    settings: Settings | None = None,
    sessions: SessionFactory | None = None,
    temporal: Client | None = None,
    tracing: TracerProvider | None = None,
) -> FastAPI:
    """Tests pass their own sessions and client (and tracer); a deployment builds them from
    settings."""
    settings = settings or get_settings()
    tracing = tracing or (tracer_provider(settings, "orderflow-api") if temporal is None else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        app.state.settings = settings
        app.state.sessions = sessions
        app.state.temporal = temporal
        if sessions is None:
            # A deployment: its logs as JSON lines (tests keep their own log capture).
            configure_logging(settings.log_level, settings.log_format)
            if not settings.database.url:
                raise RuntimeError("DATABASE_URL is not set")
            engine = engine_from_settings(settings.database.url, settings.database, pre_ping=False)
            app.state.sessions = make_sessions(engine)
        if temporal is None:
            if not settings.temporal.address:
                raise RuntimeError("TEMPORAL_ADDRESS is not set")
            app.state.temporal = await connect_temporal(
                settings, settings.temporal.address, interceptors=temporal_interceptors(tracing)
            )
        try:
            yield
        finally:
            # Starts still waiting go out now; any lost are the worker's sweeper's.
            await app.state.starter.drain()
            if engine is not None:
                await engine.dispose()

    # max_body_size also stops chunked bodies that carry no Content-Length: 413.
    app = OrderflowApi(
        title="Orderflow",
        version="0.1.0",
        lifespan=lifespan,
        max_body_size=settings.process.max_body_bytes,
    )
    # Also set outside the lifespan, for test clients that do not run it.
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.temporal = temporal
    app.state.starter = WorkflowStarter()
    # Built here: a bad key stops the API at start, not at the first decode.
    app.state.codec = settings.codec.codec()
    install_error_handlers(app)
    app.add_middleware(StorableUrl)

    # The last added is outermost: the request's ids are bound around the timer's log line.
    app.add_middleware(RequestTimer)
    app.add_middleware(RequestId)
    # Outermost: the Temporal UI's preflight for the codec endpoint is answered here.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.codec.cors_origins,
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        allow_credentials=True,
    )

    for module in (
        health,
        metrics,
        products,
        customers,
        orders,
        fulfilment,
        returns,
        production,
        documents,
        settlement,
        reports,
        approvals,
        policies,
        people,
        audit,
        webhooks,
        imports,
        pricing,
        codec,
    ):
        app.include_router(module.router, responses=ERROR_RESPONSES)
    install_console(app)
    if tracing is not None:
        FastAPIInstrumentor.instrument_app(app, tracer_provider=tracing, excluded_urls="metrics")
    return app
