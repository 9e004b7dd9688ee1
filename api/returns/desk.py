"""Returns: authorized against what the order delivered, within the policy's window, each run
by its own workflow (workflows/return_flow.py); the goods received by the warehouse."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import InvalidFields, NotAllowedNow, NotFound
from api.orders.views import load_order
from api.returns.schemas import ReceiveIn, ReturnIn, ReturnOut
from api.returns.views import listed
from api.workflow_calls import start_return, update_return
from config import Settings
from db.audit import Who, audit
from db.models import Order, Return, ReturnLine, Warehouse
from db.policies import current_policy
from db.returns import delivered_at, delivered_quantities, new_rma, returned_quantities
from db.status import record_event
from domain.messages import ReturnedItem, ReturnInput, ReturnReceipt
from domain.returns import (
    Condition,
    Resolution,
    ReturnStatus,
    over_return,
    returnable,
    within_window,
)
from domain.status import RETURNABLE_STATUSES
from temporal_client import ReturnWorkflow

Errors = list[tuple[tuple[str | int, ...], str]]


def workflow_input(ret: Return, settings: Settings) -> ReturnInput:
    timeouts = settings.process.timeouts()
    wait = (ret.goods_due_by - ret.created_at) if ret.goods_due_by else timedelta(days=30)
    return ReturnInput(
        rma=ret.rma,
        order_id=ret.order_id,
        resolution=Resolution(ret.resolution),
        goods_wait=wait,
        auto_pack_after=timeouts.auto_pack_after,
        stock_recheck=timeouts.stock_recheck,
    )


async def authorize(
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    w: Who,
    user: Principal,
    order_id: str,
    body: ReturnIn,
) -> ReturnOut:
    async with session.begin():
        await load_order(session, order_id, user)
        # Locked: two returns at once cannot both claim the same goods.
        order = await session.get_one(Order, order_id, with_for_update=True)
        if order.status not in RETURNABLE_STATUSES:
            raise NotAllowedNow(
                f"the order is {order.status}: returns are taken once it is delivered"
            )
        rules = (await current_policy(session))[1].returns
        now = await session.scalar(select(func.now()))
        assert now is not None
        if not within_window(await delivered_at(session, order.id), now, rules.window_days):
            raise NotAllowedNow(
                f"the return window ({rules.window_days} days from delivery) has closed"
            )
        left = returnable(
            await delivered_quantities(session, order.id),
            await returned_quantities(session, order.id),
        )
        asked = [(x.sku, x.quantity) for x in body.lines]
        errors: Errors = [(("lines", i, "quantity"), why) for i, why in over_return(asked, left)]
        if errors:
            raise InvalidFields(errors)
        ret = Return(
            rma=new_rma(),
            order_id=order.id,
            status=ReturnStatus.AUTHORIZED,
            reason_code=body.reason_code,
            resolution=body.resolution,
            comment=body.comment,
            created_by=user.username,
            created_at=now,
            goods_due_by=now + timedelta(days=rules.goods_wait_days),
        )
        session.add(ret)
        await session.flush()
        for line in body.lines:
            session.add(ReturnLine(rma=ret.rma, sku=line.sku, quantity=line.quantity))
        what = ", ".join(f"{x.quantity} x {x.sku}" for x in body.lines)
        why = f"return {ret.rma} authorized ({body.reason_code}, {body.resolution}): {what}"
        await record_event(session, order, user.username, why)
        audit(session, w, "return.authorize", "authorized", order_id=order.id, detail=why)
    # Started after the commit; if Temporal is down the receipt starts it (503 meanwhile).
    await start_return(temporal, settings, workflow_input(ret, settings))
    return await read(session, ret.rma, user)


async def _same_receipt(
    session: AsyncSession, ret: Return, user: Principal, body: ReceiveIn
) -> bool:
    if ret.warehouse != body.warehouse or ret.received_by != user.username:
        return False
    asked: dict[tuple[str, str], int] = defaultdict(int)
    for line in body.lines:
        asked[(line.sku, line.condition)] += line.quantity
    booked: dict[tuple[str, str], int] = {}
    for row in await session.scalars(select(ReturnLine).where(ReturnLine.rma == ret.rma)):
        for condition, quantity in (
            (Condition.SELLABLE, row.sellable),
            (Condition.DAMAGED, row.damaged),
        ):
            if quantity:
                booked[(row.sku, condition)] = quantity
    return dict(asked) == booked


async def receive(
    session: AsyncSession,
    temporal: Client,
    settings: Settings,
    w: Who,
    user: Principal,
    rma: str,
    body: ReceiveIn,
) -> ReturnOut:
    async with session.begin():
        ret = await _visible(session, rma, user)
        # A client retrying a receipt whose answer it lost (the API or a worker died after the
        # workflow took it) gets the return as it is, not a 409.
        repeated = ret.status != ReturnStatus.AUTHORIZED and await _same_receipt(
            session, ret, user, body
        )
        if ret.status != ReturnStatus.AUTHORIZED and not repeated:
            raise NotAllowedNow(f"the return is {ret.status}")
        errors: Errors = []
        if await session.get(Warehouse, body.warehouse) is None:
            errors.append((("warehouse",), f"unknown warehouse {body.warehouse}"))
        authorized = {
            x.sku: x.quantity
            for x in await session.scalars(select(ReturnLine).where(ReturnLine.rma == rma))
        }
        came: dict[str, int] = defaultdict(int)
        for i, line in enumerate(body.lines):
            came[line.sku] += line.quantity
            if line.sku not in authorized:
                errors.append((("lines", i, "sku"), f"{line.sku} is not on this return"))
            elif came[line.sku] > authorized[line.sku]:
                errors.append(
                    (
                        ("lines", i, "quantity"),
                        f"{authorized[line.sku]} x {line.sku} authorized, "
                        f"{came[line.sku]} received",
                    )
                )
        if errors:
            raise InvalidFields(errors)
        given = workflow_input(ret, settings)
    if repeated:
        return await read(session, rma, user)
    receipt = ReturnReceipt(
        warehouse=body.warehouse,
        lines=[ReturnedItem(**x.model_dump()) for x in body.lines],
        actor=user.username,
        role=user.role,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
    )
    try:
        await update_return(temporal, settings, given, ReturnWorkflow.receive, receipt)
    except NotAllowedNow:
        # A retry can overtake the call whose answer was lost: both reach the workflow while
        # the return is authorized, and the later finds it received. The same receipt booked
        # is the answer to both; any other is refused.
        async with session.begin():
            ret = await _visible(session, rma, user)
            if ret.status == ReturnStatus.AUTHORIZED or not await _same_receipt(
                session, ret, user, body
            ):
                raise
    return await read(session, rma, user)


async def read(session: AsyncSession, rma: str, user: Principal) -> ReturnOut:
    async with session.begin():
        return (await listed(session, [await _visible(session, rma, user)]))[0]


async def _visible(session: AsyncSession, rma: str, user: Principal) -> Return:
    ret = await session.get(Return, rma, populate_existing=True)
    if ret is None:
        raise NotFound(f"return {rma} not found")
    await load_order(session, ret.order_id, user)  # out of the user's scope: not found
    return ret
