"""`make run`: PostgreSQL, Temporal (with UI), migrations, seed, worker and API in one command.

External services are used instead of the embedded ones when DATABASE_URL or TEMPORAL_ADDRESS
are set. Ctrl-C (or SIGTERM) stops everything this process started; children die with it even
on `kill -9`, and leftovers of an earlier run on the same data folder are stopped at start.

The API runs in its own process with its own connection pool: intake must not queue behind
the worker's activities for the CPU or for connections.
"""

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.runtime import Runtime

from api.auth import issue_token
from config import Settings, get_settings
from db.engine import engine_from_settings, make_sessions
from db.migrate import upgrade_head_async
from stack import postgres, temporal_dev
from stack.logs import configure_logging
from stack.processes import Child, port_in_use, start_child, stop_leftovers
from stack.seed import SEED_USERS, seed_all
from stack.tracing import temporal_interceptors, tracer_provider
from temporal_client import (
    connect_temporal,
    ensure_notifier,
    ensure_settlement_schedule,
    worker_runtime,
)
from worker import build_worker, start_sweeper

log = logging.getLogger("orderflow")

# The demo carrier moves parcels along by itself, so an order completes without webhooks.
DEMO_DEFAULTS = {
    "ORDERFLOW_CARRIER_STEP_SECONDS": "5",
    "ORDERFLOW_CARRIER_POLL_SECONDS": "2",
    # The demo flows on its own: a simulated packer confirms each shipment after a few seconds.
    "ORDERFLOW_WAREHOUSE_CONFIRMATION": "auto",
    # Logs for the person at the terminal (deployments default to JSON lines).
    "ORDERFLOW_LOG_FORMAT": "console",
}


WORKER_NICENESS = 10


# A dev server restarted on its own database opens its port before its frontend answers.
HEALTHY_WITHIN = 60.0


async def connect_when_healthy(
    settings: Settings, address: str, runtime: Runtime | None = None
) -> Client:
    """Connects once the server answers, retrying while its frontend is not healthy yet."""
    deadline = asyncio.get_running_loop().time() + HEALTHY_WITHIN
    tracing = temporal_interceptors(tracer_provider(settings, "orderflow-worker"))
    while True:
        try:
            return await connect_temporal(settings, address, runtime, tracing)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


# Idle keep-alive connections are closed by their client or proxy, never by the API first: a
# server that closes an idle connection as a client reuses it loses that request ("server
# disconnected without a response"). uvicorn's 5 s equals httpx's own expiry, and is below
# nginx's and cloud load balancers' 60 s; found by the hung-database fault test in CI.
KEEP_ALIVE_SECONDS = 75


def api_command(host: str, port: int) -> list[str]:
    """The API in a process of its own (uvicorn; the access log is our own request log)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        str(KEEP_ALIVE_SECONDS),
    ]


class PortTaken(SystemExit):
    pass


class LocalStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data = Path(settings.data_dir).resolve()
        self.pg: Any = None
        self.temporal: Child | None = None
        self.api: Child | None = None

    def clear_the_way(self) -> None:
        """Stop what an earlier run left on our data folder; refuse ports someone else holds."""
        s = self.settings
        if not s.temporal.address:
            stop_leftovers(str(self.data / "temporal.db"), log.warning)
        if not s.database.url:
            # PostgreSQL runs as a daemon (it cannot die with us): after a kill -9 of an earlier
            # run its server is still up on our data folder. SIGINT: PostgreSQL's fast shutdown.
            pgdata = f"-D {self.data / 'postgres'} "
            stop_leftovers(pgdata, log.warning, signal.SIGINT)
        wanted = [("ORDERFLOW_API_PORT", s.api_port)]
        if not s.temporal.address:
            wanted += [
                ("ORDERFLOW_DEV_TEMPORAL_PORT", s.dev_temporal_port),
                ("ORDERFLOW_DEV_UI_PORT", s.dev_ui_port),
            ]
        for variable, port in wanted:
            if port_in_use(port):
                raise PortTaken(
                    f"port {port} is in use by another program: stop it, or choose another "
                    f"port with {variable}=..."
                )

    async def database_url(self) -> str:
        if self.settings.database.url:
            return self.settings.database.url
        self.pg = await asyncio.to_thread(postgres.start_embedded, self.data / "postgres")
        await postgres.ensure_database(postgres.admin_url(self.pg), postgres.DATABASE_NAME)
        return postgres.database_url(self.pg, postgres.DATABASE_NAME)

    async def temporal_address(self) -> str:
        if self.settings.temporal.address:
            return self.settings.temporal.address
        s = self.settings
        self.temporal = temporal_dev.start_dev_server(
            self.data / "temporal.db",
            s.dev_temporal_port,
            s.dev_ui_port,
            self.data / "temporal.log",
            codec_endpoint=f"{s.public_url}/codec",
        )
        await temporal_dev.wait_for_port(s.dev_temporal_port, self.temporal)
        return f"127.0.0.1:{s.dev_temporal_port}"

    async def start_api(self, db_url: str, temporal_address: str) -> None:
        s = self.settings
        env = {**os.environ, "DATABASE_URL": db_url, "TEMPORAL_ADDRESS": temporal_address}
        self.api = start_child(
            api_command(s.api_host, s.api_port),
            self.data / "api.log",
            env=env,
        )
        await temporal_dev.wait_for_port(s.api_port, self.api, name="API")

    def stop(self) -> None:
        for child in (self.api, self.temporal):
            if child is not None:
                child.stop()
        if self.pg is not None:
            postgres.stop_embedded(self.pg)

    async def serve(self) -> None:
        s = self.settings
        self.data.mkdir(parents=True, exist_ok=True)
        self.clear_the_way()
        db_url = await self.database_url()
        await upgrade_head_async(db_url)
        engine = engine_from_settings(db_url, s.database)
        sessions = make_sessions(engine, s.link_signer())
        await seed_all(sessions)
        temporal_address = await self.temporal_address()
        # The worker runs in this process: its client carries the metrics runtime, if any.
        client = await connect_when_healthy(s, temporal_address, worker_runtime(s))
        worker = build_worker(client, sessions, s, s.temporal.task_queue)
        await ensure_settlement_schedule(client, s)
        await ensure_notifier(client, s)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        worker_task = asyncio.create_task(worker.run())
        sweeper = start_sweeper(client, sessions, s)
        await self.start_api(db_url, temporal_address)
        # The worker's work waits well; a person or a shop waiting on intake does not. Lower
        # this process's CPU priority (the API, Temporal and PostgreSQL keep theirs).
        os.nice(WORKER_NICENESS)
        self.announce()
        api_exit = asyncio.create_task(asyncio.to_thread(self._wait_api))
        stop_task = asyncio.create_task(stop.wait())
        await asyncio.wait([api_exit, stop_task], return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping")
        if self.api is not None:
            await asyncio.to_thread(self.api.stop)
        stop_task.cancel()
        sweeper.cancel()
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
            await sweeper
        await engine.dispose()

    def _wait_api(self) -> None:
        assert self.api is not None
        self.api.process.wait()

    def announce(self) -> None:
        s = self.settings
        ui = s.temporal.ui_url if s.temporal.address else f"http://localhost:{s.dev_ui_port}"
        lines = [
            "",
            "Orderflow is running. Ctrl-C stops everything.",
            f"  API           http://{s.api_host}:{s.api_port}   (OpenAPI: /docs)",
            f"  Temporal UI   {ui}/namespaces/{s.temporal.namespace}/workflows",
            "",
            "Bearer tokens of the seeded users (also: .venv/bin/orderflow token USERNAME):",
        ]
        for username, role in SEED_USERS.items():
            lines.append(f"  {username:<11} {role.value:<17} {issue_token(s.auth, username, role)}")
        print("\n".join(lines), flush=True)


def main() -> None:
    for name, value in DEMO_DEFAULTS.items():
        os.environ.setdefault(name, value)
    # After the demo's defaults: get_settings() is read once per process.
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    postgres.ensure_runtime_dir()
    stack = LocalStack(get_settings())
    try:
        asyncio.run(stack.serve())
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
