"""The desk's KPIs over a period (`GET /reports/kpis`, the console's dashboard), computed in
SQL over the orders created in it and their history: orders per day and channel, time in
each status, the auto-approval rate and approval turnaround, cancellations and their reasons,
backorders and their age, on-time delivery, revenue. The period is whole UTC days."""

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ARRAY, String, bindparam, text

from db.engine import SessionFactory
from domain.status import OrderStatus

# The orders of the period: every query below starts from it (orders_created index).
PERIOD = "SELECT id FROM orders WHERE created_at >= :start AND created_at < :end"

PER_DAY = text(f"""
SELECT (o.created_at AT TIME ZONE 'UTC')::date AS day, o.channel, count(*) AS orders
FROM orders o WHERE o.id IN ({PERIOD})
GROUP BY 1, 2 ORDER BY 1, 2
""")

# How long an order stayed in a status: from the status change that moved it there to the
# next one, which wrote `left_at` (a status it is still in is not counted: its time is not
# over; events recorded within a status neither start nor end a stay). Each row carries its
# order's creation time, so a status's stays in the period are one range of the index
# order_history_stays, read status by status (no sort but each percentile's own; a double's
# sort, not a numeric's: `python -m bench.kpis` 141 ms against 470 ms grouped over numerics).
IN_STATUS = text("""
SELECT s.status, x.stays, x.percentiles
FROM unnest(:statuses) AS s(status)
CROSS JOIN LATERAL (
  SELECT count(*) AS stays,
         percentile_cont(ARRAY[0.5, 0.9])
           WITHIN GROUP (ORDER BY date_part('epoch', left_at - at)) AS percentiles
  FROM order_history
  WHERE to_status = s.status AND left_at IS NOT NULL
    AND order_created_at >= :start AND order_created_at < :end
) x
WHERE x.stays > 0 ORDER BY s.status
""").bindparams(bindparam("statuses", [str(s) for s in OrderStatus], type_=ARRAY(String)))

REVIEW = text(f"""
SELECT count(*) FILTER (WHERE review_decision IS NOT NULL) AS reviewed,
       count(*) FILTER (WHERE review_decision = 'pass') AS auto_approved,
       count(*) AS orders,
       count(*) FILTER (WHERE status = 'CANCELLED') AS cancelled,
       count(*) FILTER (WHERE shipped_on_time IS NOT NULL) AS shipped_promised,
       count(*) FILTER (WHERE shipped_on_time) AS shipped_on_time,
       coalesce(sum(total) FILTER (WHERE status NOT IN ('CANCELLED', 'REJECTED')), 0) AS booked
FROM orders WHERE id IN ({PERIOD})
""")

TURNAROUND = text(f"""
SELECT count(*) AS decided,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - opened_at)),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - opened_at))
FROM approvals
WHERE order_id IN ({PERIOD}) AND status IN ('approved', 'rejected')
  AND decided_at IS NOT NULL AND opened_at IS NOT NULL
""")

REASONS = text(f"""
SELECT cancel_reason_code, count(*) FROM orders
WHERE id IN ({PERIOD}) AND status = 'CANCELLED' AND cancel_reason_code IS NOT NULL
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5
""")

# Waiting for stock now, aged from when it last started waiting.
BACKORDERS = text(f"""
SELECT count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM now() - waiting.since)),
       max(extract(epoch FROM now() - waiting.since))
FROM orders o
CROSS JOIN LATERAL (
  SELECT max(h.at) AS since FROM order_history h
  WHERE h.order_id = o.id AND h.to_status = 'AWAITING_STOCK'
) waiting
WHERE o.id IN ({PERIOD}) AND o.status = 'AWAITING_STOCK'
""")

DELIVERED = text("""
SELECT count(*), count(*) FILTER (WHERE NOT o.late)
FROM orders o
WHERE o.created_at >= :start AND o.created_at < :end
  AND EXISTS (SELECT FROM order_history h
              WHERE h.to_status = 'DELIVERED' AND h.order_id = o.id)
""")

INVOICED = text(f"""
SELECT coalesce((SELECT sum(total) FROM invoices WHERE order_id IN ({PERIOD})), 0)
     - coalesce((SELECT sum(total) FROM credit_notes WHERE order_id IN ({PERIOD})), 0)
""")


class DayCount(BaseModel):
    day: date
    channel: str
    orders: int


class StatusTime(BaseModel):
    status: str
    stays: int
    median_seconds: float
    p90_seconds: float


class Kpis(BaseModel):
    from_: date = Field(serialization_alias="from")
    to: date
    orders: int
    orders_per_day: list[DayCount]
    time_in_status: list[StatusTime]
    reviewed: int
    auto_approved: int
    auto_approval_rate: Decimal | None
    approvals_decided: int
    approval_turnaround_median_seconds: float | None
    approval_turnaround_p90_seconds: float | None
    cancelled: int
    cancellation_rate: Decimal | None
    top_cancel_reasons: dict[str, int]
    backorders: int
    backorder_age_median_seconds: float | None
    backorder_age_max_seconds: float | None
    delivered: int
    delivered_on_time: int
    on_time_rate: Decimal | None
    # Orders whose first parcel left, promised a day when confirmed; those that left by it.
    shipped: int
    shipped_on_time: int
    ship_on_time_rate: Decimal | None
    revenue_booked: Decimal
    revenue_invoiced: Decimal


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


# The stays of a month at 100,000 orders are about half a million rows to sort; in memory
# that sort takes a third of the time it takes on disk (`python -m bench.kpis`).
SORT_MEMORY = text("SET LOCAL work_mem = '64MB'")


async def kpis(sessions: SessionFactory, start: date, end: date) -> Kpis:
    """The KPIs of the orders created from `start` through `end` (whole days, UTC). Time in
    status, most of the work, runs on a connection of its own beside the rest."""
    bounds = {"start": start, "end": end + timedelta(days=1)}

    async def stays() -> list[Any]:
        async with sessions.begin() as session:
            await session.execute(SORT_MEMORY)
            return list((await session.execute(IN_STATUS, bounds)).all())

    in_status, rest = await asyncio.gather(stays(), _counts(sessions, start, end, bounds))
    assert isinstance(rest, Kpis)
    rest.time_in_status = [
        StatusTime(
            status=s, stays=n, median_seconds=_seconds(median) or 0, p90_seconds=_seconds(p90) or 0
        )
        for s, n, (median, p90) in in_status
    ]
    return rest


async def _counts(sessions: SessionFactory, start: date, end: date, bounds: dict[str, Any]) -> Kpis:
    """Every KPI but time in status, in one transaction."""
    async with sessions.begin() as session:

        async def rows(query: Any) -> list[Any]:
            return list((await session.execute(query, bounds)).all())

        review = (await rows(REVIEW))[0]
        decided, turn_median, turn_p90 = (await rows(TURNAROUND))[0]
        waiting, wait_median, wait_max = (await rows(BACKORDERS))[0]
        delivered, on_time = (await rows(DELIVERED))[0]
        return Kpis(
            from_=start,
            to=end,
            orders=review.orders,
            orders_per_day=[
                DayCount(day=d, channel=c, orders=n) for d, c, n in await rows(PER_DAY)
            ],
            time_in_status=[],
            reviewed=review.reviewed,
            auto_approved=review.auto_approved,
            auto_approval_rate=_share(review.auto_approved, review.reviewed),
            approvals_decided=decided,
            approval_turnaround_median_seconds=_seconds(turn_median),
            approval_turnaround_p90_seconds=_seconds(turn_p90),
            cancelled=review.cancelled,
            cancellation_rate=_share(review.cancelled, review.orders),
            top_cancel_reasons={r: n for r, n in await rows(REASONS)},
            backorders=waiting,
            backorder_age_median_seconds=_seconds(wait_median),
            backorder_age_max_seconds=_seconds(wait_max),
            delivered=delivered,
            delivered_on_time=on_time,
            on_time_rate=_share(on_time, delivered),
            shipped=review.shipped_promised,
            shipped_on_time=review.shipped_on_time,
            ship_on_time_rate=_share(review.shipped_on_time, review.shipped_promised),
            revenue_booked=review.booked,
            revenue_invoiced=(await rows(INVOICED))[0][0],
        )
