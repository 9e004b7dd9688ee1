"""The document routes: invoices (JSON, or PDF when asked for) and credit notes."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response

from api.deps import SessionDep
from api.documents.pdf import invoice_pdf
from api.documents.schemas import CreditNoteDocument, InvoiceDocument
from api.documents.views import credit_note_document, invoice_document
from api.permissions import CanReadDocuments

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


@router.get("/credit-notes/{number}")
async def get_credit_note(
    number: CreditNoteNumber, session: SessionDep, user: CanReadDocuments
) -> CreditNoteDocument:
    """One credit note: the invoice it credits, why, its lines and totals."""
    return await credit_note_document(session, number, user)
