"""What the benchmark measures besides time: CPU seconds burned by each part of the stack,
the workers' peak memory, the database's size, and latency percentiles."""

import asyncio
import statistics
from dataclasses import dataclass, field

import psutil
from sqlalchemy import text

from bench.cluster import Cluster
from stack import postgres

PARTS = ("temporal", "worker", "api", "postgres", "generator")


def _cpu(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    # Reaped children count too (PostgreSQL's ended backends).
    return float(times.user + times.system + times.children_user + times.children_system)


def cpu_seconds(cluster: Cluster) -> dict[str, float]:
    """CPU seconds each part has used since it started (generator: this process, the load
    generator and its people, shown so that its share of the machine is known)."""
    used = dict.fromkeys(PARTS, 0.0)
    own = psutil.Process().cpu_times()
    used["generator"] = float(own.user + own.system)
    if cluster.temporal is not None:
        used["temporal"] = _cpu(cluster.temporal.pid)
    used["worker"] = sum(_cpu(w.pid) for w in cluster.workers)
    if cluster.api is not None:
        used["api"] = _cpu(cluster.api.pid)
    if cluster.pg is not None:
        pids = postgres.server_processes(cluster.workdir / "pg")
        # The postmaster's children_* already hold its ended backends; add the living ones.
        used["postgres"] = _cpu(pids[0]) + sum(
            float(psutil.Process(p).cpu_times().user + psutil.Process(p).cpu_times().system)
            for p in pids[1:]
            if psutil.pid_exists(p)
        )
    return used


def difference(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: round(after[k] - before.get(k, 0.0), 2) for k in after}


@dataclass
class MemorySampler:
    """The workers' peak resident memory, sampled while a mode runs."""

    cluster: Cluster
    peak_mb: float = 0.0
    _task: "asyncio.Task[None] | None" = field(default=None, repr=False)

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while True:
            total = 0.0
            for worker in self.cluster.workers:
                try:
                    total += psutil.Process(worker.pid).memory_info().rss / 2**20
                except psutil.NoSuchProcess:
                    continue
            self.peak_mb = max(self.peak_mb, total)
            await asyncio.sleep(0.5)

    def stop(self) -> float:
        if self._task is not None:
            self._task.cancel()
        return round(self.peak_mb, 1)


async def database_bytes(cluster: Cluster) -> int:
    async with cluster.sessions() as session:
        size = await session.scalar(text("SELECT pg_database_size(current_database())"))
    return int(size or 0)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 in milliseconds (empty: zeros)."""
    if len(values) < 2:
        only = round(values[0] * 1000, 1) if values else 0.0
        return {"p50": only, "p95": only, "p99": only, "n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50": round(cuts[49] * 1000, 1),
        "p95": round(cuts[94] * 1000, 1),
        "p99": round(cuts[98] * 1000, 1),
        "n": len(values),
    }
