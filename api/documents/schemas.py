"""Invoices and credit notes as documents."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


class DocumentLineOut(BaseModel):
    sku: str
    quantity: int
    unit_price: Decimal
    discount_pct: Decimal
    net: Decimal
    tax_rate: Decimal
    tax: Decimal


class TaxRateOut(BaseModel):
    rate: Decimal
    net: Decimal
    tax: Decimal


class InvoiceDocument(BaseModel):
    number: str
    order_id: str
    shipment_id: str | None
    issued_at: datetime
    due_date: date
    currency: str
    payment_terms: str | None
    seller: dict[str, Any] | None
    buyer: dict[str, Any] | None
    lines: list[DocumentLineOut]
    tax_by_rate: list[TaxRateOut]
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    # What credit notes took back, and what the invoice still asks.
    credited: Decimal
    open_amount: Decimal
    # issued | overdue | paid | credited
    status: str
    credit_notes: list[str]


class CreditNoteDocument(BaseModel):
    number: str
    invoice_number: str
    order_id: str
    reason: str
    reference: str
    issued_at: datetime
    lines: list[DocumentLineOut]
    tax_by_rate: list[TaxRateOut]
    net: Decimal
    tax: Decimal
    total: Decimal
