"""Intake under a burst: N concurrent `POST /orders` against the stack `make run` starts.

    .venv/bin/python -m bench.intake_burst --requests 300 --runs 3

Starts `orderflow run` (what `make run` runs: embedded PostgreSQL, Temporal dev server, the
worker, the API in its own process) in a temporary folder on free ports, then for each run
sends N order requests at once (each its own Idempotency-Key, as a web shop's checkout would)
and times each answer. Prints p50, p99 and max per run and the median of each over the runs;
between runs it waits until the last burst's orders have come to rest (completed, or waiting
for stock), so each burst meets a quiet stack. Everything it starts is stopped at the end.
"""

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from api.auth import issue_token
from config import AuthSettings
from domain.roles import Role
from domain.status import IN_MOTION_STATUSES
from stack.processes import free_port
from stack.seed import DEMO_CUSTOMERS

BIN = Path(sys.executable).parent


def start_stack(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")}
    env.update(
        {
            "ORDERFLOW_DATA_DIR": str(workdir / "data"),
            "ORDERFLOW_API_PORT": str(port),
            "ORDERFLOW_DEV_TEMPORAL_PORT": str(free_port()),
            "ORDERFLOW_DEV_UI_PORT": str(free_port()),
        }
    )
    log = (workdir / "run.log").open("ab")
    process = subprocess.Popen(
        [str(BIN / "orderflow"), "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen[bytes], api: str, workdir: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit((workdir / "run.log").read_text()[-3000:])
        try:
            if httpx.get(f"{api}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the stack did not become ready")


def order_body() -> dict[str, Any]:
    return {
        "channel": "web",
        "customer": {"id": DEMO_CUSTOMERS[0][0]},
        "lines": [{"sku": "LAMP-01", "quantity": 1}],
        "shipping": {"method": "standard"},
        "payment": {"method": "cod"},
    }


async def one_request(http: aiohttp.ClientSession, api: str, token: str) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    started = time.perf_counter()
    try:
        async with http.post(f"{api}/orders", json=order_body(), headers=headers) as response:
            await response.read()
            status = response.status
    except aiohttp.ClientError:
        status = 0
    return time.perf_counter() - started, status


async def burst(api: str, token: str, n: int) -> tuple[list[float], list[int]]:
    # aiohttp: on two cores the load generator shares the CPU with what it measures, and
    # httpx spent about 12 ms of CPU per request here, more than the API itself.
    connector = aiohttp.TCPConnector(limit=n)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        results = await asyncio.gather(*(one_request(http, api, token) for _ in range(n)))
    return [t for t, _ in results], [s for _, s in results]


# Orders the worker (and the demo carrier) is still busy with; the rest rest: completed, or
# waiting for stock (the demo has 100 lamps, so later bursts wait for stock).
BUSY = sorted(IN_MOTION_STATUSES)


async def settle(api: str, token: str) -> None:
    """Until the last burst's orders have come to rest: each run starts on a quiet stack."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            busy = False
            for status in BUSY:
                page = await http.get(f"/orders?status={status}&limit=1", headers=headers)
                busy = busy or bool(page.json()["items"])
            if not busy:
                return
            await asyncio.sleep(1)


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


async def main(requests: int, runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="orderflow-burst-"))
    process, api = start_stack(workdir)
    token = issue_token(AuthSettings(), "shop", Role.UPSTREAM)
    admin = issue_token(AuthSettings(), "admin", Role.ADMIN)
    p50s, p99s = [], []
    try:
        wait_ready(process, api, workdir)
        for run in range(runs):
            times, statuses = await burst(api, token, requests)
            failed = sum(1 for s in statuses if s != 201)
            p50, p99 = percentile(times, 50), percentile(times, 99)
            p50s.append(p50)
            p99s.append(p99)
            print(
                f"run {run + 1}: {requests} concurrent POST /orders: p50 {p50:.2f} s, "
                f"p99 {p99:.2f} s, max {max(times):.2f} s, not 201: {failed}",
                flush=True,
            )
            await settle(api, admin)
        print(
            f"median over {runs} runs: p50 {statistics.median(p50s):.2f} s, "
            f"p99 {statistics.median(p99s):.2f} s"
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.runs))
