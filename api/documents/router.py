"""The document routes: invoices (JSON, or PDF when asked for) and credit notes."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response

from api.deps import SessionDep, who
from api.documents import views
from api.documents.pdf import invoice_pdf
from api.documents.schemas import CorrectionIn, CreditNoteDocument, InvoiceDocument
from api.documents.views import credit_note_document, invoice_document
from api.permissions import CanCorrectInvoices, CanReadDocuments

router = APIRouter(tags=["documents"])

InvoiceNumber = Annotated[str, Path(pattern=r"^INV-[0-9]{4}-[0-9]{6,}$")]
CreditNoteNumber = Annotated[str, Path(pattern=r"^CN-[0-9]{4}-[0-9]{6,}$")]
PDF = "application/pdf"


@router.get(
    "/invoices/{number}",
    responses={200: {"content": {PDF: {}}, "description": "JSON, or a PDF for Accept: " + PDF}},
)
async def get_invoice(
    number: InvoiceNumber,
    session: SessionDep,
    user: CanReadDocuments,
    accept: Annotated[str, Header(max_length=500)] = "application/json",
) -> InvoiceDocument:
    """One invoice: seller, buyer, lines, tax per rate, totals, terms, its credit notes."""
    doc = await invoice_document(session, number, user)
    if PDF in accept:
        return Response(  # type: ignore[return-value]
            invoice_pdf(doc),
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
        )
    return doc


@router.post("/invoices/{number}/corrections", status_code=201)
async def correct_invoice(
    number: InvoiceNumber,
    body: CorrectionIn,
    request: Request,
    session: SessionDep,
    user: CanCorrectInvoices,
) -> CreditNoteDocument:
    """A price correction: a credit note taking net amounts (with their tax) back from what
    the invoice bills per sku (beyond it: 422 naming the line); the invoice itself never
    changes. Paid already, the excess opens an overpayment case."""
    return await views.correct_invoice(session, who(request, user), user, number, body)


@router.get("/credit-notes/{number}")
async def get_credit_note(
    number: CreditNoteNumber, session: SessionDep, user: CanReadDocuments
) -> CreditNoteDocument:
    """One credit note: the invoice it credits, why, its lines and totals."""
    return await credit_note_document(session, number, user)
