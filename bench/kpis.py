"""How fast `GET /reports/kpis` answers over 100,000 orders (the issue asks well under a
second). No Temporal: the report reads rows only, so the rows are made in SQL.

    .venv/bin/python -m bench.kpis --orders 100000 --runs 5

On a fresh embedded PostgreSQL, migrated: N orders over 30 days across channels, each with a
history of 4 to 6 status changes minutes to hours apart, a third reviewed to need an approval
(decided), some cancelled, some delivered late, some waiting for stock. Then the report of
the whole 30 days, and of the last 7, is computed --runs times; medians and the slowest are
printed and written to bench/results/kpis.json.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from api.reports import kpis as report_sql
from api.reports.kpis import kpis
from db.engine import SessionFactory, make_engine, make_sessions
from db.migrate import upgrade_head_async
from stack.postgres import admin_url, database_url, ensure_database, start_embedded

QUERIES = ("PER_DAY", "IN_STATUS", "REVIEW", "TURNAROUND", "REASONS", "BACKORDERS", "DELIVERED",
           "INVOICED")  # fmt: skip
RESULTS = Path(__file__).parent / "results" / "kpis.json"
# The status paths of the made-up orders, by share (their history follows the path).
FILL = """
INSERT INTO customers (id, name, email, phone, line1, city, postal_code, country, credit_limit,
                       tier, on_credit_hold)
VALUES ('bench-customer', 'Bench GmbH', 'b@bench.example', '+4930123456', 'Str 1', 'Berlin',
        '10115', 'DE', 1000000, 'standard', false);

INSERT INTO orders (id, channel, customer_id, status, payment_method, shipping_method, ship_to,
                    currency, subtotal, discount, tax, total, review_reasons, created_by,
                    review_decision, cancel_reason_code, late, created_at, updated_at)
SELECT 'bench-' || n,
       (ARRAY['web', 'phone', 'email', 'sales', 'store'])[1 + n % 5],
       'bench-customer',
       CASE WHEN n % 10 = 0 THEN 'CANCELLED' WHEN n % 17 = 0 THEN 'AWAITING_STOCK'
            ELSE 'COMPLETED' END,
       'prepaid', 'standard', '{}', 'EUR', 100 + n % 900, 0, 19, 119 + n % 900, '[]', 'bench',
       CASE WHEN n % 3 = 0 THEN 'needs_approval' ELSE 'pass' END,
       CASE WHEN n % 10 = 0 THEN (ARRAY['customer_request', 'duplicate', 'other'])[1 + n % 3] END,
       n % 11 = 0,
       now() - (n % (30 * 24 * 60)) * interval '1 minute',
       now()
FROM generate_series(1, :orders) AS n;

INSERT INTO order_history (order_id, actor, from_status, to_status, reason, at)
SELECT o.id, 'bench', step.from_status, step.to_status, 'bench',
       o.created_at + step.after * (1 + (hashtext(o.id) & 7)) * interval '1 minute'
FROM orders o
CROSS JOIN LATERAL (VALUES
  (NULL, 'RECEIVED', 0), ('RECEIVED', 'UNDER_REVIEW', 1), ('UNDER_REVIEW', 'READY_TO_SHIP', 2),
  ('READY_TO_SHIP', 'SHIPPED', 30), ('SHIPPED', 'DELIVERED', 600), ('DELIVERED', 'COMPLETED', 700)
) AS step(from_status, to_status, after)
WHERE o.id LIKE 'bench-%' AND (o.status = 'COMPLETED' OR step.after <= 2);

INSERT INTO order_history (order_id, actor, from_status, to_status, reason, at)
SELECT id, 'bench', 'UNDER_REVIEW', status, 'bench', created_at + interval '5 minutes'
FROM orders WHERE id LIKE 'bench-%' AND status IN ('CANCELLED', 'AWAITING_STOCK');

-- A payment recorded within READY_TO_SHIP for a third: an event, not a status change.
INSERT INTO order_history (order_id, actor, from_status, to_status, reason, at)
SELECT id, 'bench', 'READY_TO_SHIP', 'READY_TO_SHIP', 'payment', created_at + interval '3 minutes'
FROM orders WHERE id LIKE 'bench-%' AND status = 'COMPLETED' AND hashtext(id) % 3 = 0;

-- Each stay ends at the order's next status change, as db/status.change_status writes it.
UPDATE order_history h SET left_at = next.at
FROM (SELECT id, lead(at) OVER (PARTITION BY order_id ORDER BY at, id) AS at
      FROM order_history WHERE from_status IS DISTINCT FROM to_status) next
WHERE h.id = next.id AND next.at IS NOT NULL;

INSERT INTO approvals (order_id, level, status, reasons, opened_at, decided_at, decided_by)
SELECT id, 'sales_supervisor', 'approved', '[]', created_at + interval '2 minutes',
       created_at + (2 + hashtext(id) & 255) * interval '1 minute', 'supervisor'
FROM orders WHERE id LIKE 'bench-%' AND review_decision = 'needs_approval';
ANALYZE;
"""


async def per_query(sessions: SessionFactory, today: date) -> dict[str, float]:
    """Each query of the report alone (where its time goes)."""
    bounds = {"start": today - timedelta(days=29), "end": today + timedelta(days=1)}
    spent = {}
    for name in QUERIES:
        async with sessions.begin() as session:
            await session.execute(report_sql.SORT_MEMORY)
            started = time.perf_counter()
            await session.execute(getattr(report_sql, name), bounds)
            spent[name] = round((time.perf_counter() - started) * 1000, 1)
    return spent


async def main(orders: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = start_embedded(Path(folder) / "pg")
        try:
            await ensure_database(admin_url(server), "kpis")
            url = database_url(server, "kpis")
            await upgrade_head_async(url)
            # Filling 100,000 orders takes longer than the API's statement bound.
            engine = make_engine(url, 2, command_timeout=600)
            sessions = make_sessions(engine)
            async with sessions.begin() as session:
                for statement in FILL.split(";\n"):
                    if statement.strip():
                        await session.execute(text(statement), {"orders": orders})
            # As autovacuum leaves a live desk's tables: the fill's updates vacuumed away.
            async with engine.connect() as connection:
                vacuuming = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await vacuuming.execute(text("VACUUM ANALYZE"))
            today = datetime.now(UTC).date()
            result: dict[str, object] = {"orders": orders, "runs": runs}
            for days in (30, 7):
                timings = []
                for _ in range(runs):
                    started = time.perf_counter()
                    report = await kpis(sessions, today - timedelta(days=days - 1), today)
                    timings.append(time.perf_counter() - started)
                result[f"last_{days}_days"] = {
                    "orders_in_period": report.orders,
                    "median_ms": round(statistics.median(timings) * 1000, 1),
                    "max_ms": round(max(timings) * 1000, 1),
                }
                print(f"{days} days, {report.orders} orders: {result[f'last_{days}_days']}")
            result["per_query_ms_30_days"] = await per_query(sessions, today)
            print(result["per_query_ms_30_days"])
            await engine.dispose()
        finally:
            server.cleanup()
    RESULTS.write_text(json.dumps({**result, "day": date.today().isoformat()}, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.runs))
