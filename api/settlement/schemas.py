"""Request and response bodies of finance's routes."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.fields import In
from api.orders.schemas import PaymentIn

Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$")]


class RefundIn(In):
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    # The refund's own reference: the same one again is the same refund (given once).
    reference: Reference | None = None


class RefundOut(BaseModel):
    order_id: str
    reference: str
    refunded: Decimal
    paid_total: Decimal


class CaseAction(StrEnum):
    REFUND = "refund"
    WRITE_OFF = "write_off"
    KEEP_AS_CREDIT = "keep_as_credit"


class CaseResolutionIn(In):
    action: CaseAction
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class CaseOut(BaseModel):
    id: int
    order_id: str
    # overpayment | underpayment
    kind: str
    reference: str
    amount: Decimal
    # open | resolved
    status: str
    action: str | None
    comment: str
    resolved_by: str | None
    resolved_at: datetime | None
    created_at: datetime


class PaymentWebhookIn(PaymentIn):
    """The payment gateway's notice of a payment (signed: X-Signature)."""

    order_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}$")]
