"""The daily settlement run: the day's payments matched to invoices, the report written
(once per day: a rerun replaces it) for GET /reports/settlement."""

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity

from db.accounts import order_money
from db.engine import SessionFactory
from db.models import Payment, SettlementReport
from domain.settlement_report import ReportLine, SettlementReportOut, match


class SettlementRunActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="settlement_report")
    async def settlement_report(self, day: str | None) -> SettlementReportOut:
        """The report of one day (None: yesterday, by the database's clock)."""
        async with self.sessions.begin() as session:
            if day is None:
                today = await session.scalar(select(func.current_date()))
                assert today is not None
                day = (today - timedelta(days=1)).isoformat()
            start = date.fromisoformat(day)
            rows = list(
                await session.scalars(
                    select(Payment)
                    .where(
                        Payment.kind == "payment",
                        func.date(func.timezone("UTC", Payment.created_at)) == start,
                    )
                    .order_by(Payment.created_at, Payment.reference)
                )
            )
            payments = [
                ReportLine(order_id=p.order_id, reference=p.reference, amount=p.amount)
                for p in rows
            ]
            orders = await order_money(session, sorted({p.order_id for p in rows}))
            report = match(day, payments, orders)
            await session.execute(
                insert(SettlementReport)
                .values(day=start, report=report.model_dump(mode="json"))
                .on_conflict_do_update(
                    index_elements=[SettlementReport.day],
                    set_={"report": report.model_dump(mode="json"), "created_at": func.now()},
                )
            )
            return report
