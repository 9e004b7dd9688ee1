"""Reading invoices and credit notes (in the reader's scope: out of it reads as not found)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.documents.schemas import (
    CorrectionIn,
    CreditNoteDocument,
    DocumentLineOut,
    InvoiceDocument,
    TaxRateOut,
)
from api.errors import InvalidFields, NotFound
from api.orders.views import load_order
from db.audit import Who, audit
from db.documents import correct
from db.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from db.payments import credited_total, open_amounts
from db.status import lock_order
from domain.documents import CHARGE_LINE, DocumentLine, tax_by_rate
from domain.money import ZERO
from domain.tax import REVERSE_CHARGE_NOTE


def _rates(lines: list[DocumentLine]) -> list[TaxRateOut]:
    return [
        TaxRateOut(rate=rate, net=net, tax=tax)
        for rate, (net, tax) in sorted(tax_by_rate(lines).items())
    ]


def _line(x: DocumentLine) -> DocumentLineOut:
    line = DocumentLineOut.model_validate(x, from_attributes=True)
    return line.model_copy(update={"kind": "charge" if x.order_line_no == CHARGE_LINE else "goods"})


async def invoice_document(session: AsyncSession, number: str, user: Principal) -> InvoiceDocument:
    async with session.begin():
        invoice = await session.get(Invoice, number)
        if invoice is None:
            raise NotFound(f"invoice {number} not found")
        order = await load_order(session, invoice.order_id, user)
        left = (await open_amounts(session, order)).get(number, ZERO)
        lines = [
            x.figures()
            for x in await session.scalars(
                select(InvoiceLine)
                .where(InvoiceLine.invoice_number == number)
                .order_by(InvoiceLine.line_no)
            )
        ]
        credited = await credited_total(session, number)
        notes = list(
            await session.scalars(
                select(CreditNote.number)
                .where(CreditNote.invoice_number == number)
                .order_by(CreditNote.number)
            )
        )
    return InvoiceDocument(
        number=invoice.number,
        order_id=invoice.order_id,
        shipment_id=invoice.shipment_id,
        issued_at=invoice.issued_at,
        due_date=invoice.due_date,
        currency=invoice.currency,
        payment_terms=invoice.payment_terms,
        seller=invoice.seller,
        buyer=invoice.buyer,
        lines=[_line(x) for x in lines],
        tax_by_rate=_rates(lines),
        subtotal=invoice.subtotal,
        discount=invoice.discount,
        tax=invoice.tax,
        total=invoice.total,
        credited=credited,
        open_amount=left,
        status=invoice.status,
        credit_notes=notes,
        reverse_charge=invoice.reverse_charge,
        tax_note=REVERSE_CHARGE_NOTE if invoice.reverse_charge else None,
    )


async def credit_note_document(
    session: AsyncSession, number: str, user: Principal
) -> CreditNoteDocument:
    async with session.begin():
        note = await session.get(CreditNote, number)
        if note is None:
            raise NotFound(f"credit note {number} not found")
        await load_order(session, note.order_id, user)
        lines = [
            x.figures()
            for x in await session.scalars(
                select(CreditNoteLine)
                .where(CreditNoteLine.credit_note_number == number)
                .order_by(CreditNoteLine.line_no)
            )
        ]
    return CreditNoteDocument(
        number=note.number,
        invoice_number=note.invoice_number,
        order_id=note.order_id,
        reason=note.reason,
        reference=note.reference,
        issued_at=note.issued_at,
        lines=[_line(x) for x in lines],
        tax_by_rate=_rates(lines),
        net=note.net,
        tax=note.tax,
        total=note.total,
    )


async def correct_invoice(
    session: AsyncSession, w: Who, user: Principal, number: str, body: CorrectionIn
) -> CreditNoteDocument:
    """A price correction's credit note (once per reference); paid already, the excess opens
    an overpayment case for finance."""
    async with session.begin():
        invoice = await session.get(Invoice, number)
        if invoice is None:
            raise NotFound(f"invoice {number} not found")
        await load_order(session, invoice.order_id, user)
        # The order first, as every writer of its money does (no deadlock with a payment).
        await lock_order(session, invoice.order_id)
        amounts = {x.sku: x.amount for x in body.lines}
        try:
            note = await correct(session, invoice, body.reference, user.username, amounts)
        except ValueError as refusal:
            sku = str(refusal).split(":", 1)[0]
            i = next(i for i, x in enumerate(body.lines) if x.sku == sku)
            raise InvalidFields([(("lines", i, "amount"), str(refusal))]) from None
        if note is None:
            raise InvalidFields([(("lines",), "nothing to correct")])
        audit(
            session,
            w,
            "invoice.correct",
            note.number,
            order_id=invoice.order_id,
            detail=f"{note.number} on {number}: {note.total} ({body.reason})",
        )
        created = note.number
    return await credit_note_document(session, created, user)
