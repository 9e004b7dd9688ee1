"""Reading returns: one, or an order's (shown with the order)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.returns.schemas import ReturnLineOut, ReturnOut
from db.models import Return, ReturnLine
from temporal_client import return_workflow_id


async def returns_of(session: AsyncSession, order_id: str) -> list[ReturnOut]:
    """An order's returns, oldest first (inside the caller's transaction)."""
    found = await session.scalars(
        select(Return).where(Return.order_id == order_id).order_by(Return.created_at)
    )
    return await listed(session, list(found))


async def listed(session: AsyncSession, found: list[Return]) -> list[ReturnOut]:
    out = []
    for ret in found:
        lines = await session.scalars(
            select(ReturnLine).where(ReturnLine.rma == ret.rma).order_by(ReturnLine.sku)
        )
        out.append(
            ReturnOut(
                **{k: getattr(ret, k) for k in ReturnOut.model_fields if hasattr(ret, k)},
                workflow_id=return_workflow_id(ret.rma),
                lines=[ReturnLineOut.model_validate(x, from_attributes=True) for x in lines],
            )
        )
    return out
