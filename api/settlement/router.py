"""Finance's routes: refunds, and the reconciliation cases payments open."""

import hashlib
import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Request

from api.auth import Principal
from api.deps import SessionDep, SettingsDep, StarterDep, TemporalDep, who
from api.errors import Unauthenticated
from api.orders.messages import pay
from api.orders.schemas import PaymentIn, PaymentResult
from api.permissions import CanReconcile, CanRefund
from api.settlement import desk
from api.settlement.schemas import (
    CaseOut,
    CaseResolutionIn,
    PaymentWebhookIn,
    RefundIn,
    RefundOut,
)
from domain.roles import Role

router = APIRouter(tags=["settlement"])

# Who a signed webhook's payment is recorded by (its signature is the credential).
GATEWAY = Principal(username="payment-gateway", role=Role.FINANCE, via="webhook")


@router.post("/orders/{order_id}/refunds")
async def refund(
    order_id: str,
    body: RefundIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    user: CanRefund,
) -> RefundOut:
    """Pay back (part of) what the order was paid, through the payment gateway, once per
    reference; never more than was paid and not refunded yet (422 naming the amount). Only
    once the goods have left or the order ended: before, cancel or change it."""
    w = who(request, user)
    return await desk.refund(session, temporal, settings, w, user, order_id, body)


@router.post("/payments/webhook")
async def payment_webhook(
    body: PaymentWebhookIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    starter: StarterDep,
    signature: Annotated[str, Header(alias="X-Signature", max_length=200)] = "",
) -> PaymentResult:
    """The payment gateway's notice of a payment: the body signed with HMAC-SHA256 and the
    shared secret (`X-Signature: sha256=<hex>`, else 401); a payment like any other, once
    per reference."""
    expected = hmac.new(
        settings.auth.payment_webhook_secret.encode(), await request.body(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(signature, f"sha256={expected}"):
        raise Unauthenticated("invalid signature")
    payment = PaymentIn(**body.model_dump(exclude={"order_id"}))
    return await pay(session, temporal, starter, GATEWAY, body.order_id, payment)


@router.get("/reconciliation/cases")
async def list_cases(
    session: SessionDep,
    user: CanReconcile,
    status: Literal["open", "resolved"] | None = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CaseOut]:
    """Money that did not match what was owed (an overpayment...), oldest first."""
    return await desk.cases(session, status, limit)


@router.post("/reconciliation/cases/{case_id}")
async def resolve_case(
    case_id: Annotated[int, Path(ge=1, le=2**62)],
    body: CaseResolutionIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    user: CanReconcile,
) -> CaseOut:
    """Resolve a case: refund the excess (through the gateway), write it off, or keep it as
    the customer's credit; recorded and audited."""
    w = who(request, user)
    return await desk.resolve(session, temporal, settings, w, user, case_id, body)
