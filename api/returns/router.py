"""The return routes: authorize (customer service), receive (warehouse), read."""

from typing import Annotated

from fastapi import APIRouter, Path, Request

from api.deps import SessionDep, SettingsDep, TemporalDep, who
from api.permissions import CanAuthorizeReturn, CanReadOrders, CanReceiveReturn
from api.returns import desk
from api.returns.schemas import ReceiveIn, ReturnIn, ReturnOut

router = APIRouter(tags=["returns"])

Rma = Annotated[str, Path(pattern=r"^RMA-[0-9A-F]{10}$")]


@router.post("/orders/{order_id}/returns", status_code=201)
async def authorize_return(
    order_id: str,
    body: ReturnIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    user: CanAuthorizeReturn,
) -> ReturnOut:
    """Authorize a return of delivered goods within the policy's window (30 days): no more
    than was delivered less what earlier returns claimed (422 naming the line). The return's
    own workflow waits for the goods, then refunds or sends the same goods again."""
    return await desk.authorize(
        session, temporal, settings, who(request, user), user, order_id, body
    )


@router.post("/returns/{rma}/receive")
async def receive_return(
    rma: Rma,
    body: ReceiveIn,
    request: Request,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    user: CanReceiveReturn,
) -> ReturnOut:
    """The goods arrived: sellable ones back in stock (serving waiting orders), damaged ones
    written off; then the refund or the exchange goes ahead."""
    return await desk.receive(session, temporal, settings, who(request, user), user, rma, body)


@router.get("/returns/{rma}")
async def get_return(rma: Rma, session: SessionDep, user: CanReadOrders) -> ReturnOut:
    """One return: its lines as authorized and received, its status, refund or exchange."""
    return await desk.read(session, rma, user)
