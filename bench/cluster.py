"""The real stack as separate processes on free ports, for the benchmark and the fault tests:
embedded PostgreSQL, the Temporal dev server (file database, the pragmas `make run` uses),
one or more workers (`python -m worker`, what `orderflow worker` runs) and the API (uvicorn,
as `make run` starts it). Each part can be killed and started again on the same ports and
data, which is what the fault tests do.

External services are used instead when DATABASE_URL or TEMPORAL_ADDRESS are set (then they
are neither stopped nor restarted here). Everything started here is stopped by `stop()`; the
children also die with this process (PR_SET_PDEATHSIG), PostgreSQL is stopped by its handle.
"""

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from temporalio.client import Client

from api.auth import issue_token
from config import Settings
from db.engine import SessionFactory, engine_from_settings, make_sessions
from db.migrate import upgrade_head_async
from stack import postgres, temporal_dev
from stack.processes import Child, free_port, start_child
from stack.run import api_command
from stack.seed import SEED_USERS, seed_all
from temporal_client import connect_temporal

# Orders flow on their own: a simulated packer packs, the simulated carrier moves parcels.
FLOWING = {
    "ORDERFLOW_WAREHOUSE_CONFIRMATION": "auto",
    "ORDERFLOW_AUTO_PACK_SECONDS": "0.2",
    "ORDERFLOW_CARRIER_STEP_SECONDS": "1",
    "ORDERFLOW_CARRIER_POLL_SECONDS": "1",
    "ORDERFLOW_SWEEP_AFTER_SECONDS": "5",
}


@dataclass
class Cluster:
    workdir: Path
    # ORDERFLOW_* settings for the API and the workers (FLOWING unless given).
    env: dict[str, str] = field(default_factory=lambda: dict(FLOWING))
    worker_module: str = "worker"
    temporal_port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    database_url: str = ""
    temporal_address: str = ""
    pg: Any = None
    temporal: Child | None = None
    api: Child | None = None
    workers: list[Child] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    _client: Client | None = None
    _engine: Any = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    async def start(self, workers: int = 1) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database_url = os.environ.get("DATABASE_URL", "")
        if not self.database_url:
            self.pg = await asyncio.to_thread(postgres.start_embedded, self.workdir / "pg")
            await postgres.ensure_database(postgres.admin_url(self.pg), "orderflow")
            self.database_url = postgres.database_url(self.pg, "orderflow")
        await upgrade_head_async(self.database_url)
        await seed_all(self.sessions)
        self.temporal_address = os.environ.get("TEMPORAL_ADDRESS", "")
        if not self.temporal_address:
            self.temporal_address = f"127.0.0.1:{self.temporal_port}"
            await self.start_temporal()
        for _ in range(workers):
            self.start_worker()
        await self.start_api()

    @property
    def sessions(self) -> SessionFactory:
        if self._engine is None:
            self._engine = engine_from_settings(self.database_url, self.settings.database)
        return make_sessions(self._engine)

    async def client(self) -> Client:
        if self._client is None:
            self._client = await connect_temporal(self.settings, self.temporal_address)
        return self._client

    def child_env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("ORDERFLOW_")}
        return {
            **inherited,
            **self.env,
            "DATABASE_URL": self.database_url,
            "TEMPORAL_ADDRESS": self.temporal_address,
            "ORDERFLOW_DATA_DIR": str(self.workdir / "data"),
        }

    def start_worker(self, module: str | None = None) -> Child:
        n = len(self.workers)
        child = start_child(
            [sys.executable, "-m", module or self.worker_module],
            self.workdir / f"worker-{n}.log",
            env=self.child_env(),
        )
        self.workers.append(child)
        return child

    def kill_worker(self, child: Child) -> None:
        """kill -9: no shutdown, no last report to Temporal."""
        child.process.send_signal(signal.SIGKILL)
        child.process.wait()
        self.workers.remove(child)

    async def start_temporal(self) -> None:
        self.temporal = temporal_dev.start_dev_server(
            self.workdir / "temporal.db",
            self.temporal_port,
            self.ui_port,
            self.workdir / "temporal.log",
        )
        await temporal_dev.wait_for_port(self.temporal_port, self.temporal)

    def stop_temporal(self) -> None:
        assert self.temporal is not None, "Temporal is external here"
        self.temporal.stop()
        self.temporal = None

    async def start_api(self) -> None:
        self.api = start_child(
            api_command("127.0.0.1", self.api_port),
            self.workdir / "api.log",
            env=self.child_env(),
        )
        await temporal_dev.wait_for_port(self.api_port, self.api, name="API")
        await self.wait_ready()

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.api_url) as http:
            while True:
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the API at {self.api_url} was not ready in {timeout}s")
                await asyncio.sleep(0.2)

    def signal_postgres(self, sig: signal.Signals) -> None:
        for pid in postgres.server_processes(self.workdir / "pg"):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                continue

    async def stop_postgres(self) -> None:
        """PostgreSQL shut down (fast: open connections are cut), its data kept."""
        postmaster = postgres.server_processes(self.workdir / "pg")[0]
        process = psutil.Process(postmaster)
        process.send_signal(signal.SIGINT)
        await asyncio.to_thread(process.wait, 60)

    async def start_postgres(self) -> None:
        """Started again on the same data folder and socket: the same DATABASE_URL."""
        # This process's handle on the server starts it again (a new handle would not).
        await asyncio.to_thread(self.pg.ensure_postgres_running)

    def tokens(self) -> dict[str, str]:
        return {u: issue_token(self.settings.auth, u, r) for u, r in SEED_USERS.items()}

    async def stop(self) -> None:
        for child in [*self.workers, self.api, self.temporal]:
            if child is not None:
                await asyncio.to_thread(child.stop)
        self.workers.clear()
        if self._engine is not None:
            await self._engine.dispose()
        if self.pg is not None:
            postgres.stop_embedded(self.pg)
