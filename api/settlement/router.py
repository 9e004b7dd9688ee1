"""Finance's routes: refunds, and the reconciliation cases payments open."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from api.deps import SessionDep, SettingsDep, TemporalDep, who
from api.permissions import CanReconcile, CanRefund
from api.settlement import desk
from api.settlement.schemas import CaseOut, CaseResolutionIn, RefundIn, RefundOut

router = APIRouter(tags=["settlement"])


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
