"""Payments of an order: recording them once, what has been paid, and what paying settles."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CreditNote, Invoice, Order, Payment, ReconciliationCase
from db.status import change_status, record_event
from db.webhooks import emit
from domain.messages import PaymentInput, Transition
from domain.money import ZERO, oldest_first, to_money
from domain.webhooks import WebhookEvent


async def open_excess_case(
    session: AsyncSession, order: Order, reference: str, cap: Decimal | None = None
) -> None:
    """What the order was paid beyond what it asks now (at most cap: this payment's share),
    as an overpayment case finance decides on (refund, write off, keep as credit); the
    excess earlier cases already hold is not counted twice."""
    held = await session.scalar(
        select(func.coalesce(func.sum(ReconciliationCase.amount), 0)).where(
            ReconciliationCase.order_id == order.id,
            ReconciliationCase.kind == OVERPAYMENT,
            ReconciliationCase.action.is_distinct_from("refund"),
        )
    )
    excess = await paid_total(session, order.id) - await amount_due(session, order)
    excess -= Decimal(held or 0)
    if cap is not None:
        excess = min(excess, cap)
    if excess <= 0:
        return
    await record_event(session, order, "system", f"overpaid by {excess}: to refund or credit")
    await session.execute(
        insert(ReconciliationCase)
        .values(
            order_id=order.id, kind=OVERPAYMENT, reference=reference, amount=excess, status=OPEN
        )
        .on_conflict_do_nothing()
    )


async def open_shortfall_case(
    session: AsyncSession, order: Order, reference: str, amount: Decimal
) -> None:
    """What a cash-on-delivery scan collected short of what was owed, as an underpayment
    case: finance writes it off, or the customer's later payment closes it."""
    await record_event(
        session, order, "system", f"cash on delivery short by {amount}: reconciliation case"
    )
    await session.execute(
        insert(ReconciliationCase)
        .values(
            order_id=order.id, kind=UNDERPAYMENT, reference=reference, amount=amount, status=OPEN
        )
        .on_conflict_do_nothing()
    )


async def close_shortfalls(session: AsyncSession, order: Order) -> None:
    """A paid-in-full order's open underpayment cases closed: the customer paid the rest."""
    cases = await session.scalars(
        select(ReconciliationCase).where(
            ReconciliationCase.order_id == order.id,
            ReconciliationCase.kind == UNDERPAYMENT,
            ReconciliationCase.status == OPEN,
        )
    )
    now = await session.scalar(select(func.now()))
    for case in cases:
        case.status, case.action, case.resolved_at = RESOLVED, PAID_LATER, now
        case.resolved_by, case.comment = "system", "the customer paid the rest"


async def amount_due(session: AsyncSession, order: Order) -> Decimal:
    """What the order asks of the customer in all: its invoices less their credit notes once
    invoiced, its total before."""
    counted = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Invoice.total), 0)).where(
                Invoice.order_id == order.id, Invoice.status != "void"
            )
        )
    ).one()
    if not counted[0]:
        return order.total
    credited = await session.scalar(
        select(func.coalesce(func.sum(CreditNote.total), 0)).where(CreditNote.order_id == order.id)
    )
    return to_money(Decimal(counted[1]) - Decimal(credited or 0))


async def paid_total(session: AsyncSession, order_id: str) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.order_id == order_id)
    )
    return to_money(Decimal(total or 0))


class ReferenceInUse(Exception):
    """The provider's payment reference already paid another order, or this order with
    another amount."""


async def recorded_amount(session: AsyncSession, order_id: str, reference: str) -> Decimal | None:
    """The amount this order's payment with this reference was recorded with, if any."""
    return await session.scalar(
        select(Payment.amount).where(
            Payment.order_id == order_id, Payment.kind == "payment", Payment.reference == reference
        )
    )


async def order_paid_with(session: AsyncSession, method: str, reference: str) -> str | None:
    """The order this provider's reference paid, if any."""
    return await session.scalar(
        select(Payment.order_id).where(
            Payment.kind == "payment", Payment.method == method, Payment.reference == reference
        )
    )


async def add_payment(
    session: AsyncSession, order: Order, p: PaymentInput, when_paid: Transition | None = None
) -> Decimal:
    """Record a payment once per reference on a locked order; settle what it pays for.

    Returns what the order has been paid. Paying in full marks the invoice paid and makes the
    workflow's `when_paid` transition (the order waited for the money). A reference
    that already paid another order raises ReferenceInUse; more than is owed is recorded and
    the excess named in the order's history (settlement decides refund or credit).
    """
    result = await session.execute(
        insert(Payment)
        .values(
            reference=p.reference,
            order_id=order.id,
            amount=p.amount,
            method=p.method,
            kind="payment",
        )
        # Either key: this order's retry, or the provider's reference on another order.
        .on_conflict_do_nothing()
        .returning(Payment.reference)
    )
    added = result.first() is not None
    if not added:
        other = await order_paid_with(session, p.method, p.reference)
        if other is not None and other != order.id:
            raise ReferenceInUse(f"payment reference {p.reference} already paid another order")
        earlier = await recorded_amount(session, order.id, p.reference)
        if earlier is not None and earlier != p.amount:
            raise ReferenceInUse(
                f"payment reference {p.reference} was recorded with {earlier}, not {p.amount}"
            )
    paid = await paid_total(session, order.id)
    due = await amount_due(session, order)
    if added:
        await record_event(
            session, order, p.actor, f"payment {p.reference}: {p.amount} by {p.method}"
        )
        payment = {"order_id": order.id, "reference": p.reference, "amount": str(p.amount)}
        await emit(session, WebhookEvent.PAYMENT_RECORDED, {**payment, "method": p.method})
        await open_excess_case(session, order, p.reference, cap=p.amount)
    await settle_invoices(session, order)
    if paid >= due:
        await close_shortfalls(session, order)
    # The workflow decided where payment in full moves the order; made here, in the payment's
    # transaction, only from the status it expected.
    if when_paid is not None and paid >= due and order.status == when_paid.from_status:
        await change_status(session, order, when_paid.to, "system", "paid in full")
    return paid


OVERPAYMENT, UNDERPAYMENT = "overpayment", "underpayment"
OPEN, RESOLVED = "open", "resolved"
# How a case was closed besides finance's actions (refund, write_off, keep_as_credit).
PAID_LATER = "paid"

# An invoice's payment status (overdue: set by the credit terms' due timer).
ISSUED, OVERDUE, PAID, CREDITED = "issued", "overdue", "paid", "credited"


async def credited_total(session: AsyncSession, invoice_number: str) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(CreditNote.total), 0)).where(
            CreditNote.invoice_number == invoice_number
        )
    )
    return Decimal(total or 0)


async def _asked(session: AsyncSession, order: Order) -> list[tuple[Invoice, Decimal, Decimal]]:
    """Each invoice, oldest first, with what it asks (its total less its credit notes) and
    what of that payments leave open (they cover the oldest invoice first)."""
    invoices = [
        x
        for x in await session.scalars(
            select(Invoice)
            .where(Invoice.order_id == order.id)
            .order_by(Invoice.issued_at, Invoice.number)
        )
        if x.status != "void"  # voided before credit notes existed
    ]
    owed = [x.total - await credited_total(session, x.number) for x in invoices]
    covered = oldest_first(owed, await paid_total(session, order.id))
    return [(x, o, max(o, ZERO) - c) for x, o, c in zip(invoices, owed, covered, strict=True)]


async def open_amounts(session: AsyncSession, order: Order) -> dict[str, Decimal]:
    """What each of the order's invoices still asks of the customer."""
    return {invoice.number: left for invoice, _, left in await _asked(session, order)}


async def settle_invoices(session: AsyncSession, order: Order) -> None:
    """Each invoice's payment status from what was paid, oldest first: paid once payments
    cover what it still asks; credited when credit notes left nothing to ask; otherwise it
    stays issued (or overdue)."""
    for invoice, owed, left in await _asked(session, order):
        if owed <= 0:
            invoice.status = CREDITED
        elif left <= 0:
            invoice.status = PAID
        elif invoice.status == PAID:
            invoice.status = ISSUED
