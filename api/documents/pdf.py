"""Invoices as printable PDF (fpdf2): seller and buyer, lines, tax per rate, totals, terms."""

from decimal import Decimal

from fpdf import FPDF

from api.documents.schemas import InvoiceDocument

# The PDF core fonts carry Latin-1; other characters print as "?" rather than fail.
ENCODING = "latin-1"


def _text(value: object) -> str:
    return str(value).encode(ENCODING, "replace").decode(ENCODING)


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_text(f"Invoice {doc.number}"))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, _text(f"Invoice {doc.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    seller = doc.seller or {}
    buyer = doc.buyer or {}
    address = buyer.get("address") or {}
    buyer_address = ", ".join(
        str(address[k])
        for k in ("line1", "line2", "postal_code", "city", "country")
        if address.get(k)
    )
    for line in [
        f"Seller: {seller.get('name', '')}, {seller.get('address', '')}",
        f"Seller VAT id: {seller.get('vat_id', '')}",
        f"Buyer: {buyer.get('name', '')}, {buyer_address}",
        *([f"Buyer VAT id: {buyer['vat_id']}"] if buyer.get("vat_id") else []),
        f"Order: {doc.order_id}",
        f"Issued: {doc.issued_at:%Y-%m-%d}    Due: {doc.due_date:%Y-%m-%d}    "
        f"Terms: {doc.payment_terms or ''}",
    ]:
        pdf.multi_cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (50, 18, 30, 22, 30, 20, 25)
    pdf.set_font("helvetica", "B", 9)
    heads = ("SKU", "Qty", "Unit price", "Disc. %", "Net", "Tax %", "Tax")
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("helvetica", size=9)
    for x in doc.lines:
        cells = (x.sku, x.quantity, x.unit_price, x.discount_pct, x.net, x.tax_rate, x.tax)
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 7, _text(value), border=1)
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("helvetica", size=10)
    for rate in doc.tax_by_rate:
        pdf.cell(
            0,
            6,
            _text(
                f"Tax {rate.rate} % on {_money(rate.net, doc.currency)}: "
                f"{_money(rate.tax, doc.currency)}"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    for label, amount in (
        ("Subtotal", doc.subtotal),
        ("Discount", doc.discount),
        ("Tax", doc.tax),
        ("Total", doc.total),
    ):
        pdf.cell(
            0, 6, _text(f"{label}: {_money(amount, doc.currency)}"), new_x="LMARGIN", new_y="NEXT"
        )
    if doc.tax_note:
        pdf.multi_cell(0, 6, _text(doc.tax_note), new_x="LMARGIN", new_y="NEXT")
    if doc.credit_notes:
        pdf.cell(
            0,
            6,
            _text(
                f"Credited by {', '.join(doc.credit_notes)}: {_money(doc.credited, doc.currency)}"
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())
