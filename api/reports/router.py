"""Reports: the desk's KPIs over a period, and finance's daily settlement run."""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import SessionDep, SessionFactoryDep
from api.errors import InvalidFields, NotFound
from api.permissions import CanReadKpis, CanReconcile
from api.reports.kpis import Kpis, kpis
from db.models import SettlementReport
from domain.settlement_report import SettlementReportOut

router = APIRouter(tags=["reports"])


@router.get("/reports/settlement")
async def settlement_report(
    session: SessionDep,
    user: CanReconcile,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> SettlementReportOut:
    """The settlement run's report of a day (the latest one without a date): the day's
    payments matched to invoices, and the unmatched ones with why."""
    async with session.begin():
        stmt = select(SettlementReport)
        stmt = (
            stmt.where(SettlementReport.day == day)
            if day is not None
            else stmt.order_by(SettlementReport.day.desc()).limit(1)
        )
        found = await session.scalar(stmt)
    if found is None:
        raise NotFound(f"no settlement report for {day or 'any day yet'}")
    return SettlementReportOut.model_validate(found.report)


# A year at most: the dashboard's periods are days to months; longer is an export's job.
MAX_PERIOD_DAYS = 366


@router.get("/reports/kpis")
async def desk_kpis(
    sessions: SessionFactoryDep,
    user: CanReadKpis,
    from_: Annotated[date | None, Query(alias="from", description="first day (UTC)")] = None,
    to: Annotated[date | None, Query(description="last day, included (UTC); default today")] = None,
) -> Kpis:
    """The KPIs of the orders created from `from` through `to` (default: the last 30 days):
    orders per day and channel, time in each status (median, 90th percentile), auto-approval
    rate, approval turnaround, cancellations and top reasons, backorders and their age,
    on-time delivery, revenue booked and invoiced."""
    last = to or datetime.now(UTC).date()
    first = from_ or last - timedelta(days=29)
    if first > last:
        raise InvalidFields([(("from",), "is after to")], where="query")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidFields(
            [(("from",), f"more than {MAX_PERIOD_DAYS} days before to")], where="query"
        )
    return await kpis(sessions, first, last)
