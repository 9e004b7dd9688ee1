"""Invoices and credit notes as documents."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from api.fields import In, Sku


class DocumentLineOut(BaseModel):
    # goods, or a charge (the shipping charge: sku "shipping:<method>")
    kind: Literal["goods", "charge"] = "goods"
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
    # What credit notes took back, and what the invoice still asks (less what payments
    # cover of it: they pay the oldest invoice first).
    credited: Decimal
    open_amount: Decimal
    # issued | overdue | paid | credited
    status: str
    credit_notes: list[str]
    # No tax charged: the buyer (a business in another EU member state) accounts for it.
    reverse_charge: bool = False
    tax_note: str | None = None


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


class CorrectionLineIn(In):
    sku: Sku
    # The net amount taken back from what the invoice bills for the sku (its tax with it).
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]


class CorrectionIn(In):
    lines: Annotated[list[CorrectionLineIn], Field(min_length=1, max_length=200)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    # The same reference again is the same correction (given once).
    reference: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$")]

    @model_validator(mode="after")
    def _one_line_per_sku(self) -> Self:
        skus = [x.sku for x in self.lines]
        if len(set(skus)) != len(skus):
            raise PydanticCustomError("duplicate_sku", "lines: one line per sku")
        return self
