"""Invoices and credit notes as records (figures from domain/documents.py): gapless numbers,
a shipment's invoice, a credit note against an invoice, and invoices' payment status.

Every function runs inside the caller's transaction: a number is taken from its counter row
in the same transaction that issues the document, so a rollback gives the number back.
"""

from collections import defaultdict
from dataclasses import asdict
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.customer_messages import tell_of_invoice
from db.installments import date_schedule
from db.models import (
    CreditNote,
    CreditNoteLine,
    Customer,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
)
from db.payments import open_excess_case, settle_invoices
from db.webhooks import emit
from domain.documents import (
    Billed,
    DocumentLine,
    InvoiceTerms,
    bill,
    charge_label,
    reprice,
    take_back,
    totals,
    write_down,
)
from domain.money import ZERO
from domain.pricing import Charge
from domain.review import PaymentMethod
from domain.webhooks import WebhookEvent

INVOICE, CREDIT_NOTE = "INV", "CN"
# Why a credit note is issued (besides cancellation and return).
CORRECTION = "correction"
# An underpayment finance gave up on: the customer is not asked for it any more.
WRITE_OFF = "write_off"
# Finance refunded money the invoices had asked (goodwill): they ask that much less.
REFUND = "refund"
ISSUED = "issued"


async def next_number(session: AsyncSession, series: str) -> str:
    """The next number of the series this year (INV-2026-000001): the counter row is locked
    until the transaction ends, so concurrent issuers queue and a rollback leaves no gap."""
    year = await session.scalar(select(func.extract("year", func.now())))
    assert year is not None
    taken = await session.scalar(
        insert(DocumentCounter)
        .values(series=series, year=int(year), last=1)
        .on_conflict_do_update(
            index_elements=[DocumentCounter.series, DocumentCounter.year],
            set_={"last": DocumentCounter.last + 1},
        )
        .returning(DocumentCounter.last)
    )
    assert taken is not None
    return f"{series}-{int(year)}-{taken:06d}"


async def _billed(session: AsyncSession, order_id: str) -> dict[int, Billed]:
    rows = await session.execute(
        select(
            InvoiceLine.order_line_no,
            func.sum(InvoiceLine.quantity),
            func.sum(InvoiceLine.net),
            func.sum(InvoiceLine.tax),
        )
        .join(Invoice, Invoice.number == InvoiceLine.invoice_number)
        .where(Invoice.order_id == order_id)
        .group_by(InvoiceLine.order_line_no)
    )
    return {no: Billed(int(q), Decimal(n), Decimal(t)) for no, q, n, t in rows}


async def issue_invoice(
    session: AsyncSession,
    order: Order,
    shipment_id: str,
    shipped: dict[str, int],
    terms: InvoiceTerms,
) -> Invoice | None:
    """The shipment's invoice (once): what it ships of the order's lines not billed yet.
    None when it bills nothing (a reshipped parcel, an exchange)."""
    found = await session.scalar(select(Invoice).where(Invoice.shipment_id == shipment_id))
    if found is not None:
        return found
    lines = {
        x.line_no: x.priced()
        for x in await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    charge = Charge(order.shipping_charge, order.shipping_tax_rate)
    billed = await _billed(session, order.id)
    billing = bill(lines, shipped, billed, charge, charge_label(order.shipping_method))
    if not billing:
        return None
    figures = totals(billing)
    customer = await session.get_one(Customer, order.customer_id)
    today = await session.scalar(select(func.now()))
    assert today is not None
    due_date = today.date() + timedelta(
        days=terms.credit_days if order.payment_method == PaymentMethod.CREDIT else 0
    )
    if order.payment_method == PaymentMethod.INSTALLMENTS:
        # Due with the schedule's last installment (dated by the first invoice).
        due_date = await date_schedule(session, order, today.date()) or due_date
    invoice = Invoice(
        number=await next_number(session, INVOICE),
        order_id=order.id,
        shipment_id=shipment_id,
        issued_at=today,
        due_date=due_date,
        currency=order.currency,
        payment_terms=order.payment_method,
        seller=terms.seller,
        buyer={
            "customer_id": customer.id,
            "name": customer.name,
            "address": order.ship_to,
            "vat_id": customer.vat_id,
        },
        subtotal=figures.subtotal,
        discount=figures.discount,
        tax=figures.tax,
        total=figures.total,
        status=ISSUED,
        reverse_charge=order.reverse_charge,
    )
    session.add(invoice)
    await session.flush()
    for no, line in enumerate(billing, start=1):
        session.add(InvoiceLine(invoice_number=invoice.number, line_no=no, **asdict(line)))
    await session.flush()
    await settle_invoices(session, order)
    await tell_of_invoice(session, order, invoice)
    await emit(
        session,
        WebhookEvent.INVOICE_ISSUED,
        {
            "order_id": order.id,
            "invoice": invoice.number,
            "total": str(invoice.total),
            "currency": invoice.currency,
            "due_date": invoice.due_date.isoformat(),
        },
    )
    return invoice


async def _still_billed(session: AsyncSession, invoice: Invoice) -> list[DocumentLine]:
    """The invoice's lines less what credit notes took back from them."""
    credited: dict[int, tuple[int, Decimal, Decimal]] = defaultdict(lambda: (0, ZERO, ZERO))
    rows = await session.execute(
        select(CreditNoteLine)
        .join(CreditNote, CreditNote.number == CreditNoteLine.credit_note_number)
        .where(CreditNote.invoice_number == invoice.number)
    )
    for (c,) in rows:
        q, n, t = credited[c.order_line_no]
        credited[c.order_line_no] = (q + c.quantity, n + c.net, t + c.tax)
    out = []
    for line in await session.scalars(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_number == invoice.number)
        .order_by(InvoiceLine.line_no)
    ):
        q, n, t = credited[line.order_line_no]
        if line.quantity > q:
            f = line.figures()
            out.append(
                DocumentLine(
                    order_line_no=f.order_line_no,
                    sku=f.sku,
                    quantity=f.quantity - q,
                    unit_price=f.unit_price,
                    discount_pct=f.discount_pct,
                    net=f.net - n,
                    tax_rate=f.tax_rate,
                    tax=f.tax - t,
                )
            )
    return out


async def credit(
    session: AsyncSession,
    invoice: Invoice,
    reason: str,
    reference: str,
    actor: str,
    quantities: dict[str, int] | None = None,
) -> CreditNote | None:
    """A credit note taking back these quantities per sku (None: all still billed) from the
    invoice, once per invoice, reason and reference. None when nothing is left to take."""
    found = await _issued(session, invoice, reason, reference)
    if found is not None:
        return found
    billed = await _still_billed(session, invoice)
    wanted = quantities if quantities is not None else {x.sku: x.quantity for x in billed}
    return await _issue(session, invoice, reason, reference, actor, take_back(billed, wanted))


async def correct(
    session: AsyncSession,
    invoice: Invoice,
    reference: str,
    actor: str,
    amounts: dict[str, Decimal],
) -> CreditNote | None:
    """A price correction: these net amounts per sku taken back from the invoice (no goods
    come back), with their tax; once per invoice and reference. Refused (ValueError naming
    the sku) beyond what the invoice still bills for a sku."""
    found = await _issued(session, invoice, CORRECTION, reference)
    if found is not None:
        return found
    billed = {x.sku: x for x in await _still_billed(session, invoice)}
    lines = []
    for sku, amount in amounts.items():
        line = billed.get(sku)
        if line is None or amount > line.net:
            left = line.net if line is not None else ZERO
            raise ValueError(f"{sku}: {left} of it is still billed on {invoice.number}")
        lines.append(reprice(line, amount))
    note = await _issue(session, invoice, CORRECTION, reference, actor, lines)
    if note is not None:
        # Paid already: what was paid beyond what is now asked is finance's to settle (a
        # cancellation or a return refunds it in its own next step instead).
        order = await session.get_one(Order, invoice.order_id)
        await open_excess_case(session, order, note.number)
    return note


async def _issued(
    session: AsyncSession, invoice: Invoice, reason: str, reference: str
) -> CreditNote | None:
    """The credit note already issued for this invoice, reason and reference (a retry)."""
    return await session.scalar(
        select(CreditNote).where(
            CreditNote.invoice_number == invoice.number,
            CreditNote.reason == reason,
            CreditNote.reference == reference,
        )
    )


async def _issue(
    session: AsyncSession,
    invoice: Invoice,
    reason: str,
    reference: str,
    actor: str,
    lines: list[DocumentLine],
) -> CreditNote | None:
    if not lines:
        return None
    figures = totals(lines)
    note = CreditNote(
        number=await next_number(session, CREDIT_NOTE),
        invoice_number=invoice.number,
        order_id=invoice.order_id,
        reason=reason,
        reference=reference,
        net=figures.subtotal - figures.discount,
        tax=figures.tax,
        total=figures.total,
        created_by=actor,
    )
    session.add(note)
    await session.flush()
    for no, line in enumerate(lines, start=1):
        session.add(CreditNoteLine(credit_note_number=note.number, line_no=no, **asdict(line)))
    await session.flush()
    order = await session.get_one(Order, invoice.order_id)
    await settle_invoices(session, order)
    return note


async def write_off(
    session: AsyncSession,
    order: Order,
    amount: Decimal,
    reference: str,
    actor: str,
    reason: str = WRITE_OFF,
) -> list[CreditNote]:
    """Credit notes taking this amount (tax included) off what the order's invoices bill,
    the newest invoice first (payments cover the oldest first); once per reference. Reason:
    a write-off, or a refund of money the invoices had asked (goodwill)."""
    notes = []
    left = amount
    for invoice in await session.scalars(
        select(Invoice)
        .where(Invoice.order_id == order.id)
        .order_by(Invoice.issued_at.desc(), Invoice.number.desc())
    ):
        found = await _issued(session, invoice, reason, reference)
        if found is None:
            lines = write_down(await _still_billed(session, invoice), left)
            found = await _issue(session, invoice, reason, reference, actor, lines)
        if found is not None:
            notes.append(found)
            left -= found.total
        if left <= 0:
            break
    return notes


async def credit_goods(
    session: AsyncSession,
    order: Order,
    quantities: dict[str, int],
    reason: str,
    reference: str,
    actor: str,
) -> list[CreditNote]:
    """Credit notes taking back these goods (per sku) from the invoices that billed them,
    oldest invoice first."""
    left = {sku: q for sku, q in quantities.items() if q > 0}
    notes = []
    for invoice in await session.scalars(
        select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.issued_at)
    ):
        if not left:
            break
        billed = {x.sku: x.quantity for x in await _still_billed(session, invoice)}
        here = {sku: min(q, billed.get(sku, 0)) for sku, q in left.items()}
        here = {sku: q for sku, q in here.items() if q > 0}
        if not here:
            continue
        note = await credit(session, invoice, reason, reference, actor, here)
        if note is not None:
            notes.append(note)
            left = {sku: q - here.get(sku, 0) for sku, q in left.items() if q > here.get(sku, 0)}
    return notes
