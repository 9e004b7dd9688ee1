"""`make bench`: orders per second through the real stack, with a same-shape baseline measured
in the same run, on the same server and worker settings.

    .venv/bin/python -m bench.run --runs 3                 # what the README's table comes from
    .venv/bin/python -m bench.run --runs 1 --quick         # a smoke run (a minute or two)

Each run starts its own stack (bench/cluster.py: PostgreSQL, the Temporal dev server with the
file database and WAL pragmas, the worker(s) and the API, each its own process; external
services when DATABASE_URL / TEMPORAL_ADDRESS are set) and this process is the load generator:
upstream systems POSTing orders, approvers approving after a delay, finance booking payments,
the warehouse receiving stock for shortages, the carrier posting its scans as webhooks. It
watches the orders in PostgreSQL (bench/watch.py) so that watching does not load the API.

Modes of a run, in order:
- `cod_fast`: auto-approved cash-on-delivery orders as fast as the API accepts them;
- `baseline`: as many no-op workflows of the same shape (bench/baseline.py), as fast;
- `mix_<rate>`: the realistic mix at a fixed rate (open loop) for --duration seconds;
- `mix_fast`: the realistic mix as fast as accepted.
Reported per mode: orders accepted and completed per second (completions sustained: between the
10th and 90th percentile completion, leaving out warm-up and drain), POST /orders and approval
latency percentiles, start-to-completion of the auto-approved path, CPU seconds per order of
each part, the workers' peak memory; per run the database's size per order. JSON goes to
--out, a table of the medians over the runs to stdout.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench import baseline, open_orders
from bench.books import books_findings
from bench.cluster import FLOWING, Cluster
from bench.measure import (
    MemorySampler,
    cpu_seconds,
    database_bytes,
    difference,
    percentiles,
)
from bench.traffic import REALISTIC_MIX, Placed, Traffic, kinds
from bench.watch import order_views
from db.invariants import database_now
from stack.processes import Child, start_child
from workflows.host import workflow_id

# The carrier is the bench's (webhooks, as in production: no polling), packing is quick: the
# stack is what is measured. Polling every second had made 12 carrier polls per order, most of
# the worker's activities and the baseline's shape.
BENCH_ENV = {
    **FLOWING,
    "ORDERFLOW_CARRIER_STEP_SECONDS": "0",
    "ORDERFLOW_CARRIER_POLL_SECONDS": "0",
    "ORDERFLOW_AUTO_PACK_SECONDS": "0.2",
}
AUTO_APPROVED = {"cod", "prepaid", "credit"}


@dataclass
class Mode:
    name: str
    placed: list[Placed] = field(default_factory=list)
    completed_at: dict[str, float] = field(default_factory=dict)  # Unix time
    submit_seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    peak_worker_mb: float = 0.0
    approval_latencies: list[float] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        n = len(self.placed)
        done = sorted(self.completed_at.values())
        sustained = 0.0
        if len(done) >= 10:
            lo, hi = done[len(done) // 10], done[(len(done) * 9) // 10]
            middle = [t for t in done if lo <= t <= hi]
            sustained = (len(middle) - 1) / (hi - lo) if hi > lo else 0.0
        auto = [
            self.completed_at[p.order_id] - p.placed_wall
            for p in self.placed
            if p.kind == "cod" and p.order_id in self.completed_at
        ]
        return {
            "orders": n,
            "completed": len(done),
            "accepted_per_s": round(n / self.submit_seconds, 2) if self.submit_seconds else 0,
            "completed_per_s": round(sustained, 2),
            "post_orders_ms": percentiles([p.latency for p in self.placed]),
            "approval_ms": percentiles(self.approval_latencies),
            "cod_start_to_completion_ms": percentiles(auto),
            "cpu_seconds_per_order": {
                k: round(v / max(len(done), 1), 4) for k, v in self.cpu.items()
            },
            "peak_worker_mb": self.peak_worker_mb,
        }


class Bench:
    def __init__(self, cluster: Cluster, traffic: Traffic) -> None:
        self.cluster = cluster
        self.traffic = traffic
        self.numbers = iter(range(10**9))

    async def _watch(self, mode: Mode, stop: asyncio.Event) -> None:
        """The people: every half second, what each open order of the mode needs."""
        gate = asyncio.Semaphore(20)
        while True:
            open_ = [p for p in mode.placed if p.order_id not in mode.completed_at]
            views = await order_views(self.cluster.sessions, [p.order_id for p in open_])

            async def one(placed: Placed, views: Any = views) -> None:
                view, changed = views[placed.order_id]
                async with gate:
                    await self.traffic.act(placed, view)
                if placed.done_at is not None:
                    mode.completed_at[placed.order_id] = changed

            await asyncio.gather(*(one(p) for p in open_ if p.order_id in views))
            if stop.is_set() and len(mode.completed_at) == len(mode.placed):
                return
            await asyncio.sleep(0.5)

    async def _measured(self, mode: Mode, submit: Any, drain_timeout: float) -> dict[str, Any]:
        self.traffic.approval_latencies = mode.approval_latencies
        memory = MemorySampler(self.cluster)
        memory.start()
        before = cpu_seconds(self.cluster)
        stop = asyncio.Event()
        watcher = asyncio.create_task(self._watch(mode, stop))
        started = time.monotonic()
        await submit()
        mode.submit_seconds = time.monotonic() - started
        stop.set()
        try:
            await asyncio.wait_for(watcher, drain_timeout)
        except TimeoutError:
            print(f"  {mode.name}: {len(mode.placed) - len(mode.completed_at)} not done in time")
        mode.cpu = difference(cpu_seconds(self.cluster), before)
        mode.peak_worker_mb = memory.stop()
        return mode.report()

    async def fast(self, name: str, mix: dict[str, float], count: int) -> dict[str, Any]:
        mode, stream, gate = Mode(name), kinds(mix), asyncio.Semaphore(50)

        async def one() -> None:
            async with gate:
                mode.placed.append(await self.traffic.place(next(stream), next(self.numbers)))

        async def submit() -> None:
            await asyncio.gather(*(one() for _ in range(count)))

        return await self._measured(mode, submit, drain_timeout=600)

    async def fixed(self, rate: float, seconds: float) -> dict[str, Any]:
        mode, stream = Mode(f"mix_{rate:g}"), kinds(REALISTIC_MIX)

        async def one() -> None:
            mode.placed.append(await self.traffic.place(next(stream), next(self.numbers)))

        async def submit() -> None:
            # Open loop: orders arrive on the clock, whether or not earlier ones were answered.
            start, tasks = time.monotonic(), []
            for n in range(int(rate * seconds)):
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
                tasks.append(asyncio.create_task(one()))
            await asyncio.gather(*tasks)

        return await self._measured(mode, submit, drain_timeout=300)

    async def baseline_fast(self, shape: baseline.Shape, count: int) -> dict[str, Any]:
        client = await self.cluster.client()
        mode = Mode("baseline")
        gate = asyncio.Semaphore(50)
        done: dict[str, float] = {}

        async def one() -> None:
            async with gate:
                wid = f"baseline-{uuid.uuid4().hex}"
                handle = await client.start_workflow(
                    baseline.BaselineWorkflow.run, shape, id=wid, task_queue=baseline.TASK_QUEUE
                )
                for n in range(shape.updates):
                    _ = await handle.execute_update(baseline.BaselineWorkflow.update, n)
                for n in range(shape.signals):
                    await handle.signal(baseline.BaselineWorkflow.signal, n)
            await handle.result()
            done[wid] = time.time()

        before = cpu_seconds(self.cluster)
        started = time.monotonic()
        await asyncio.gather(*(one() for _ in range(count)))
        mode.submit_seconds = time.monotonic() - started
        mode.completed_at = done
        mode.placed = [Placed(w, "baseline", 0.0, 0.0) for w in done]
        mode.cpu = difference(cpu_seconds(self.cluster), before)
        report = mode.report()
        report["shape"] = shape.model_dump()
        return report


async def one_run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    cluster = Cluster(workdir, env=dict(BENCH_ENV))
    baseline_child: Child | None = None
    try:
        await cluster.start(workers=args.workers)
        since = await database_now(cluster.sessions)
        baseline_child = start_child(
            [sys.executable, "-m", "bench.baseline"],
            workdir / "baseline.log",
            env=cluster.child_env(),
        )
        async with httpx.AsyncClient(base_url=cluster.api_url, timeout=60) as http:
            traffic = Traffic(http, cluster.tokens(), carrier_webhooks=True)
            await traffic.prepare(skus=8, stock=10**6, customers=50)
            bench = Bench(cluster, traffic)
            modes: dict[str, Any] = {}
            modes["cod_fast"] = await bench.fast("cod_fast", {"cod": 1.0}, args.orders)
            cod_ids = [p.order_id for p in traffic.orders.values() if p.kind == "cod"]
            counted = await baseline.shape_of(
                await cluster.client(), [workflow_id(o) for o in cod_ids[:20]]
            )
            # Its CPU belongs to the baseline's worker, counted apart from the order worker.
            cluster.workers.append(baseline_child)
            try:
                modes["baseline"] = await bench.baseline_fast(counted.shape, args.orders)
            finally:
                cluster.workers.remove(baseline_child)
            for rate in args.rates:
                modes[f"mix_{rate:g}"] = await bench.fixed(rate, args.duration)
            modes["mix_fast"] = await bench.fast("mix_fast", REALISTIC_MIX, args.orders)
            size = await database_bytes(cluster)
            # Nothing lost, nothing done twice (with several workers on one task queue too).
            placed = list(traffic.orders)
            lost = [o for o in placed if traffic.orders[o].status != "COMPLETED"]
            books = await books_findings(cluster, placed, since, parcels_each=None)
        ratio = modes["cod_fast"]["completed_per_s"] / max(
            modes["baseline"]["completed_per_s"], 1e-9
        )
        return {
            "modes": modes,
            "ratio_to_baseline": round(ratio, 3),
            "database_bytes_per_order": size // max(len(traffic.orders), 1),
            "workers": args.workers,
            "orders_not_completed": lost,
            "books_findings": books,
        }
    finally:
        if baseline_child is not None:
            baseline_child.stop()
        await cluster.stop()


def median_of(runs: list[dict[str, Any]], *path: str) -> float:
    values = []
    for run in runs:
        node: Any = run
        for key in path:
            node = node[key]
        values.append(float(node))
    return round(statistics.median(values), 3)


def table(runs: list[dict[str, Any]], rates: list[float]) -> str:
    names = ["cod_fast", "baseline", *[f"mix_{r:g}" for r in rates], "mix_fast"]
    rows = [
        "| mode | accepted/s | completed/s | POST /orders p50 / p95 / p99 ms | approval p99 ms "
        "| COD start-to-completion p50 ms "
        "| CPU s/order temporal / worker / api / postgres / generator "
        "| worker peak MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        m = ("modes", name)
        cpu = "/".join(
            f"{median_of(runs, *m, 'cpu_seconds_per_order', part):.3f}"
            for part in ("temporal", "worker", "api", "postgres", "generator")
        )
        rows.append(
            f"| {name} | {median_of(runs, *m, 'accepted_per_s')} "
            f"| {median_of(runs, *m, 'completed_per_s')} "
            f"| {median_of(runs, *m, 'post_orders_ms', 'p50')} / "
            f"{median_of(runs, *m, 'post_orders_ms', 'p95')} / "
            f"{median_of(runs, *m, 'post_orders_ms', 'p99')} "
            f"| {median_of(runs, *m, 'approval_ms', 'p99')} "
            f"| {median_of(runs, *m, 'cod_start_to_completion_ms', 'p50')} "
            f"| {cpu} | {median_of(runs, *m, 'peak_worker_mb')} |"
        )
    rows.append("")
    rows.append(
        f"Ratio to the same-shape baseline (cod_fast / baseline, median of {len(runs)}): "
        f"{median_of(runs, 'ratio_to_baseline')}; database bytes per order: "
        f"{median_of(runs, 'database_bytes_per_order'):.0f}."
    )
    return "\n".join(rows)


async def main(args: argparse.Namespace) -> None:
    runs = []
    for n in range(args.runs):
        workdir = Path(tempfile.mkdtemp(prefix="orderflow-bench-"))
        print(f"run {n + 1} of {args.runs} in {workdir}", flush=True)
        if args.mode == "open_orders":
            runs.append(await open_orders.one_run(args, workdir, BENCH_ENV))
            print(json.dumps(runs[-1]["reads_ms"]), flush=True)
        else:
            runs.append(await one_run(args, workdir))
            print(json.dumps(runs[-1]["modes"]["cod_fast"]["completed_per_s"]), flush=True)
    result = {
        "machine": {
            "cores": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
        },
        "settings": vars(args),
        "runs": runs,
    }
    await asyncio.to_thread(_write, Path(args.out), json.dumps(result, indent=2, default=str))
    if args.mode == "open_orders":
        print(open_orders.table(runs, median_of))
    else:
        print(table(runs, args.rates))
    print(f"\n{os.cpu_count()} cores; every run in {args.out}")


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.run")
    parser.add_argument("--mode", choices=["throughput", "open_orders"], default="throughput")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orders", type=int, default=300, help="per as-fast mode")
    parser.add_argument("--rates", type=float, nargs="*", default=[5, 10, 15, 20])
    parser.add_argument("--duration", type=float, default=40, help="seconds per fixed rate")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and short")
    parser.add_argument("--out", default="bench/results/latest.json")
    open_mode = parser.add_argument_group("open_orders mode (bench/open_orders.py)")
    open_mode.add_argument("--open", type=int, default=100_000, help="orders open at once")
    open_mode.add_argument("--workflows", type=int, default=3000, help="of them with workflows")
    open_mode.add_argument("--cache", type=int, default=1000, help="workflows a worker caches")
    open_mode.add_argument("--calls", type=int, default=100, help="timed calls per endpoint")
    open_mode.add_argument("--wake", type=int, default=100, help="evicted orders approved")
    args = parser.parse_args(argv)
    if args.quick:
        args.orders, args.rates, args.duration = 60, [5], 10
        args.open, args.workflows, args.cache, args.calls, args.wake = 5000, 150, 50, 20, 10
    if args.mode == "open_orders" and args.out == parser.get_default("out"):
        args.out = "bench/results/open_orders.json"
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
