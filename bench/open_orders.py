"""`make bench BENCH_ARGS="--mode open_orders"`: a desk with 100,000 orders open at once, most
waiting for an approver or for stock.

    .venv/bin/python -m bench.run --mode open_orders --runs 3

Per run, on its own stack (bench/cluster.py, as `make bench`):
1. Real orders (--workflows, 3,000) through the API that stop and wait: 80 % need a sales
   supervisor's approval nobody gives, 20 % are short of stock. The worker keeps at most
   --cache (1,000) workflows in memory (ORDERFLOW_WORKER_CACHED_WORKFLOWS); its resident memory
   is sampled against the number of waiting workflows, so the curve shows where eviction caps
   it. The production default keeps 10,000: the same cap, ten times higher.
2. The database is filled up to --open (100,000) open orders by copying those orders' rows in
   SQL (orders, lines, approvals, history: what intake, review and the desk wrote for them,
   under new ids, with no stock held and no workflow behind them). Starting 100,000 workflows
   through review would take this machine about two hours; the read endpoints only see rows.
3. The inbox, the order list and the KPI endpoints are called (4 at a time) and timed.
4. The oldest waiting orders, long evicted from the worker's cache, are approved: the approval
   call's latency includes replaying the workflow from its history; memory is sampled again.
"""

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import text

from bench.cluster import Cluster
from bench.measure import database_bytes, percentiles
from bench.traffic import Traffic, kinds
from db.engine import SessionFactory

WAITING_MIX = {"one_approval": 0.8, "shortage": 0.2}
AT_REST = ("AWAITING_APPROVAL", "AWAITING_STOCK")
# The rows an order waiting for approval or stock has; keyed by its order id.
CLONED_TABLES = {"orders": "id", "order_lines": "order_id", "approvals": "order_id",
                 "order_history": "order_id"}  # fmt: skip
# Unique per caller: a copy keeps neither the caller's key nor its reference.
CLEARED = {"orders": ("external_ref", "idempotency_key", "request_hash")}


def endpoints(customer_id: str) -> dict[str, tuple[str, str]]:
    """What people read on a full desk: name -> (user, URL)."""
    return {
        "inbox": ("supervisor", "/approvals"),
        "inbox_page_100": ("supervisor", "/approvals?offset=5000&limit=50"),
        "orders_awaiting_approval": ("admin", "/orders?status=AWAITING_APPROVAL&limit=50"),
        "orders_newest": ("admin", "/orders?limit=50"),
        "orders_of_customer": ("admin", f"/orders?customer_id={customer_id}&limit=50"),
        "kpis_approvals": ("admin", "/kpis/approvals"),
        "kpis_fulfilment": ("admin", "/kpis/fulfilment"),
    }


def worker_mb(cluster: Cluster) -> float:
    total = 0.0
    for worker in cluster.workers:
        try:
            total += psutil.Process(worker.pid).memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            continue
    return round(total, 1)


async def resting(sessions: SessionFactory, order_ids: list[str]) -> int:
    """How many of these orders wait where they should: for an opened approval, or stock."""
    async with sessions() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM orders o WHERE o.id = ANY(:ids) AND (o.status = "
                "'AWAITING_STOCK' OR (o.status = 'AWAITING_APPROVAL' AND EXISTS (SELECT 1 "
                "FROM approvals a WHERE a.order_id = o.id AND a.opened_at IS NOT NULL)))"
            ),
            {"ids": order_ids},
        )
    return int(count or 0)


async def _columns(session: Any, table: str) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = :t AND is_identity = 'NO' "
            "AND coalesce(column_default, '') NOT LIKE 'nextval%' ORDER BY ordinal_position"
        ),
        {"t": table},
    )
    return [name for (name,) in rows]


async def clone_open_orders(
    sessions: SessionFactory, template_ids: list[str], total: int
) -> list[str]:
    """Copies of the template orders' rows until `total` orders are open; the copies' ids.
    The column lists are read from the catalogue, so a new column is copied too."""
    copies = max(math.ceil((total - len(template_ids)) / max(len(template_ids), 1)), 0)
    async with sessions.begin() as session:
        await session.execute(
            text(
                "CREATE TEMP TABLE bench_clones ON COMMIT DROP AS SELECT o.id AS src, "
                "md5(o.id || '/' || g)::uuid::text AS dst FROM orders o "
                "CROSS JOIN generate_series(1, :copies) g WHERE o.id = ANY(:ids)"
            ),
            {"copies": copies, "ids": template_ids},
        )
        made = list(await session.scalars(text("SELECT dst FROM bench_clones")))
        for table, key in CLONED_TABLES.items():
            columns = await _columns(session, table)
            values = [
                "m.dst" if c == key else "NULL" if c in CLEARED.get(table, ()) else f"t.{c}"
                for c in columns
            ]
            await session.execute(
                text(
                    f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
                    f"FROM {table} t JOIN bench_clones m ON t.{key} = m.src"
                )
            )
    async with sessions.begin() as session:
        await session.execute(text("ANALYZE"))  # as autovacuum would after such growth
    return made


async def timed(traffic: Traffic, user: str, url: str, calls: int, parallel: int) -> list[float]:
    gate, latencies = asyncio.Semaphore(parallel), []

    async def one() -> None:
        async with gate:
            started = time.monotonic()
            response = await traffic.call(user, "GET", url)
            latencies.append(time.monotonic() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code} {response.text[:200]}")

    await asyncio.gather(*(one() for _ in range(calls)))
    return latencies


async def place_waiting(
    cluster: Cluster, traffic: Traffic, count: int, curve: list[tuple[int, float]]
) -> list[str]:
    """Orders that stop and wait (nobody acts on them), placed 20 at a time, with the worker's
    memory as they come to rest."""
    stream, gate, ids = kinds(WAITING_MIX), asyncio.Semaphore(20), []

    async def one(n: int) -> None:
        async with gate:
            ids.append((await traffic.place(next(stream), n)).order_id)

    placing = asyncio.ensure_future(asyncio.gather(*(one(n) for n in range(count))))
    while True:
        done = placing.done()
        curve.append((await resting(cluster.sessions, ids), worker_mb(cluster)))
        if done and curve[-1][0] == len(ids):
            break
        await asyncio.sleep(2)
    placing.result()
    return ids


async def approve_oldest(traffic: Traffic, order_ids: list[str], count: int) -> list[float]:
    """The supervisor approves the oldest orders waiting for approval: evicted workflows."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(4)
    oldest = [o for o in order_ids if traffic.orders[o].kind == "one_approval"][:count]

    async def one(order_id: str) -> None:
        async with gate:
            started = time.monotonic()
            response = await traffic.call(
                "supervisor",
                "POST",
                f"/orders/{order_id}/approvals",
                json={"decision": "approve", "decision_id": f"bench-open-{order_id}"},
            )
            latencies.append(time.monotonic() - started)
            if response.status_code >= 300:
                raise RuntimeError(f"approval of {order_id}: {response.status_code}")

    await asyncio.gather(*(one(o) for o in oldest))
    return latencies


async def one_run(args: Any, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    cluster = Cluster(workdir, env={**env, "ORDERFLOW_WORKER_CACHED_WORKFLOWS": str(args.cache)})
    try:
        await cluster.start(workers=args.workers)
        async with httpx.AsyncClient(base_url=cluster.api_url, timeout=120) as http:
            traffic = Traffic(http, cluster.tokens())
            await traffic.prepare(skus=4, stock=10**6, customers=50)
            idle_mb = worker_mb(cluster)
            curve: list[tuple[int, float]] = []
            started = time.monotonic()
            ids = await place_waiting(cluster, traffic, args.workflows, curve)
            placing_s = time.monotonic() - started
            made = len(await clone_open_orders(cluster.sessions, ids, args.open))
            reads = {
                name: percentiles(await timed(traffic, user, url, args.calls, parallel=4))
                for name, (user, url) in endpoints(traffic.customers[0]).items()
            }
            woken = percentiles(await approve_oldest(traffic, ids, args.wake))
            await asyncio.sleep(5)
            size = await database_bytes(cluster)
        return {
            "workflows_waiting": len(ids),
            "orders_open": len(ids) + made,
            "cache": args.cache,
            "placing_seconds": round(placing_s, 1),
            "worker_mb": {
                "idle": idle_mb,
                "at_rest": curve[-1][1],
                "after_wake": worker_mb(cluster),
                "peak": max(mb for _, mb in curve),
            },
            "memory_curve": curve,
            "reads_ms": reads,
            "approval_of_evicted_ms": woken,
            "database_bytes": size,
        }
    finally:
        await cluster.stop()


def mb_at(curve: list[tuple[int, float]], waiting: int) -> float:
    """The worker's memory when `waiting` workflows had come to rest (the first sample past)."""
    return next((mb for n, mb in curve if n >= waiting), curve[-1][1])


def table(runs: list[dict[str, Any]], median: Any) -> str:
    first = runs[0]
    rows = ["| endpoint | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|"]
    for name in first["reads_ms"]:
        cells = " | ".join(f"{median(runs, 'reads_ms', name, p)}" for p in ("p50", "p95", "p99"))
        rows.append(f"| GET {name} | {cells} |")
    cells = " | ".join(
        f"{median(runs, 'approval_of_evicted_ms', p)}" for p in ("p50", "p95", "p99")
    )
    rows.append(f"| POST approval of an evicted order | {cells} |")
    cache, n = first["cache"], first["workflows_waiting"]
    marks = sorted({n // 4, min(cache, n), n // 2, n})
    memory = ", ".join(f"{m} waiting: {mb_at(first['memory_curve'], m)} MB" for m in marks)
    rows += [
        "",
        f"{median(runs, 'orders_open'):.0f} orders open ({n} with workflows, cache {cache}); "
        f"worker memory idle {median(runs, 'worker_mb', 'idle')} MB, at rest "
        f"{median(runs, 'worker_mb', 'at_rest')} MB, peak {median(runs, 'worker_mb', 'peak')} MB, "
        f"after waking evicted orders {median(runs, 'worker_mb', 'after_wake')} MB "
        f"(first run: {memory}); database {median(runs, 'database_bytes') / 2**20:.0f} MB.",
    ]
    return "\n".join(rows)
