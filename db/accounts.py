"""A customer's account with us, from the documents and payments themselves: what is
invoiced and not paid, what is overdue, what approved credit orders will add, and the
statement of every document and payment with its running balance.

Every function runs inside the caller's transaction; nothing is cached, so the account
moves in the same transaction as the invoice or payment that moves it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.installments import schedule_of
from db.models import CreditNote, Customer, Invoice, Order, Payment
from db.payments import OVERDUE
from domain.installments import InstallmentStatus
from domain.money import ZERO
from domain.payment import ON_ACCOUNT
from domain.settlement_report import OrderMoney
from domain.status import APPROVED_STATUSES, FINAL_STATUSES


@dataclass(frozen=True)
class Account:
    credit_limit: Decimal
    # Invoiced, less credit notes, not yet paid.
    open_balance: Decimal
    # The open balance plus approved credit-terms orders not invoiced yet.
    exposure: Decimal
    overdue: Decimal
    on_credit_hold: bool


def _sum(column: Any) -> Any:
    return func.coalesce(func.sum(column), 0)


async def _per_order(session: AsyncSession, customer_id: str) -> dict[str, tuple[Decimal, Decimal]]:
    """Per order of the customer: what its documents ask and what was paid."""
    mine = select(Order.id).where(Order.customer_id == customer_id).scalar_subquery()
    return await _money_of(session, mine)


async def order_money(session: AsyncSession, order_ids: list[str]) -> dict[str, OrderMoney]:
    """Per order: what its documents ask (invoices less credit notes) and what it was paid
    (payments less refunds)."""
    found = await _money_of(session, order_ids)
    return {o: OrderMoney(*found.get(o, (ZERO, ZERO))) for o in order_ids}


async def _money_of(session: AsyncSession, mine: Any) -> dict[str, tuple[Decimal, Decimal]]:
    asked: dict[str, Decimal] = {}
    for order_id, total in await session.execute(
        select(Invoice.order_id, _sum(Invoice.total))
        .where(Invoice.order_id.in_(mine))
        .group_by(Invoice.order_id)
    ):
        asked[order_id] = Decimal(total)
    for order_id, total in await session.execute(
        select(CreditNote.order_id, _sum(CreditNote.total))
        .where(CreditNote.order_id.in_(mine))
        .group_by(CreditNote.order_id)
    ):
        asked[order_id] = asked.get(order_id, ZERO) - Decimal(total)
    paid: dict[str, Decimal] = {}
    for order_id, total in await session.execute(
        select(Payment.order_id, _sum(Payment.amount))
        .where(Payment.order_id.in_(mine), Payment.kind.in_(["payment", "refund"]))
        .group_by(Payment.order_id)
    ):
        paid[order_id] = Decimal(total)
    return {o: (asked.get(o, ZERO), paid.get(o, ZERO)) for o in set(asked) | set(paid)}


async def account_of(session: AsyncSession, customer: Customer) -> Account:
    per_order = await _per_order(session, customer.id)
    open_by_order = {o: max(a - p, ZERO) for o, (a, p) in per_order.items()}
    overdue_orders = set(
        await session.scalars(
            select(Invoice.order_id)
            .join(Order, Order.id == Invoice.order_id)
            .where(Order.customer_id == customer.id, Invoice.status == OVERDUE)
        )
    )
    invoiced = select(_sum(Invoice.total)).where(Invoice.order_id == Order.id).scalar_subquery()
    uninvoiced = await session.scalar(
        select(_sum(Order.total - invoiced)).where(
            Order.customer_id == customer.id,
            Order.payment_method.in_(ON_ACCOUNT),
            Order.status.in_(APPROVED_STATUSES),
            Order.status.not_in(FINAL_STATUSES),
        )
    )
    open_balance = sum(open_by_order.values(), ZERO)
    overdue = sum((v for o, v in open_by_order.items() if o in overdue_orders), ZERO)
    # Installments fall due one by one: what the overdue ones still ask.
    owing = [o for o, v in open_by_order.items() if v > 0 and o not in overdue_orders]
    for order in await session.scalars(
        select(Order).where(Order.id.in_(owing), Order.installment_count.is_not(None))
    ):
        states = await schedule_of(session, order)
        overdue += sum((x.open for x in states if x.status == InstallmentStatus.OVERDUE), ZERO)
    return Account(
        credit_limit=customer.credit_limit,
        open_balance=open_balance,
        exposure=open_balance + max(Decimal(uninvoiced or 0), ZERO),
        overdue=overdue,
        on_credit_hold=customer.on_credit_hold,
    )


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # invoice | credit_note | payment | refund
    document: str
    order_id: str
    # What the entry adds to what the customer owes (payments and credit notes subtract).
    amount: Decimal


async def entries_of(session: AsyncSession, customer_id: str) -> list[Entry]:
    """Every invoice, credit note, payment and refund of the customer, oldest first."""
    mine = select(Order.id).where(Order.customer_id == customer_id).scalar_subquery()
    entries = [
        Entry(i.issued_at, "invoice", i.number, i.order_id, i.total)
        for i in await session.scalars(select(Invoice).where(Invoice.order_id.in_(mine)))
    ]
    entries += [
        Entry(c.issued_at, "credit_note", c.number, c.order_id, -c.total)
        for c in await session.scalars(select(CreditNote).where(CreditNote.order_id.in_(mine)))
    ]
    entries += [
        Entry(p.created_at, p.kind, p.reference, p.order_id, -p.amount)
        for p in await session.scalars(
            select(Payment).where(
                Payment.order_id.in_(mine), Payment.kind.in_(["payment", "refund"])
            )
        )
    ]
    return sorted(entries, key=lambda e: (e.at, e.document))
