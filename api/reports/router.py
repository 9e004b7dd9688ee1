"""Finance's reports: the daily settlement run's."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import SessionDep
from api.errors import NotFound
from api.permissions import CanReconcile
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
