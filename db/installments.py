"""An installment order's schedule as rows (domain/installments.py): fixed when the order is
approved, dated at its first invoice, and read with what each part has been paid. Every
function runs inside the caller's transaction."""

from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Installment, Invoice, Order
from db.payments import amount_due, paid_total
from domain.installments import InstallmentState, due_dates, plan, split


async def _rows(session: AsyncSession, order_id: str) -> list[Installment]:
    return list(
        await session.scalars(
            select(Installment).where(Installment.order_id == order_id).order_by(Installment.no)
        )
    )


async def fix_schedule(session: AsyncSession, order: Order) -> list[Installment]:
    """The schedule from the order's total as approved; written again while nothing is
    invoiced (a changed order approved again), kept once it is."""
    rows = await _rows(session, order.id)
    count = order.installment_count
    if count is None:
        return rows
    invoiced = await session.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.order_id == order.id)
    )
    amounts = split(order.total, count)
    if invoiced or [r.amount for r in rows] == amounts:
        return rows
    await session.execute(delete(Installment).where(Installment.order_id == order.id))
    rows = [Installment(order_id=order.id, no=no, amount=a) for no, a in enumerate(amounts, 1)]
    session.add_all(rows)
    await session.flush()
    return rows


async def date_schedule(session: AsyncSession, order: Order, first: date) -> date | None:
    """At the first invoice: the first installment due that day, the others every interval
    after. Returns the last one's due date (what the invoices state as due)."""
    rows = await _rows(session, order.id) or await fix_schedule(session, order)
    if not rows or order.installment_interval_days is None:
        return None
    if rows[0].due_date is None:
        dates = due_dates(first, len(rows), order.installment_interval_days)
        for row, when in zip(rows, dates, strict=True):
            row.due_date = when
    return rows[-1].due_date


async def schedule_of(session: AsyncSession, order: Order) -> list[InstallmentState]:
    """Each installment with what it asks now (credit notes taken from the last ones), what it
    has been paid (the oldest first) and its status."""
    rows = await _rows(session, order.id)
    if not rows:
        return []
    today = await session.scalar(select(func.current_date()))
    assert today is not None
    return plan(
        [r.amount for r in rows],
        [r.due_date for r in rows],
        await amount_due(session, order),
        await paid_total(session, order.id),
        today,
    )
