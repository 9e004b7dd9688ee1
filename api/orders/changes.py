"""Changing a running order: the request checked against the records (skus, amounts, who may
set prices, what the stage allows), its impact answered on a dry run, otherwise sent to the
order's workflow as one update, which makes the new version (workflows/change_stage.py)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.errors import Forbidden, InvalidFields, NotAllowedNow
from api.orders.intake import check_terms, database_today, installment_terms, pricing_fields
from api.orders.schemas import (
    ChangeImpact,
    ChangeIn,
    ChangeOut,
    DiffOut,
    StockMoveOut,
    TotalsOut,
    VersionOut,
)
from api.orders.views import load_order
from api.scope import sees_prices
from api.starter import WorkflowStarter
from api.workflow_calls import update_order
from config import ProcessSettings
from db import stock
from db.audit import Who
from db.models import Customer, Order, Product
from db.review_facts import judge
from db.versions import propose, versions_of
from domain.changes import LineChange, OrderChange, OrderVersion, diff, refusal, sets_prices
from domain.changes import stock_moves as moves_by_difference
from domain.messages import ChangeInput
from domain.order_types import OrderType
from domain.pricing import Totals
from domain.roles import DECIDERS, Action, ApprovalLevel, is_allowed
from domain.status import OrderStatus
from temporal_client import OrderWorkflow

CHANGE_REQUESTED = "change_requested"
# Once the warehouse picks, only the address changes, with a supervisor's approval.
PICKING = OrderStatus.PICKING


def order_change(body: ChangeIn) -> OrderChange:
    return OrderChange(
        lines=None
        if body.lines is None
        else [
            LineChange(
                sku=x.sku,
                quantity=x.quantity,
                unit_price=x.unit_price,
                discount_pct=x.discount_pct,
            )
            for x in body.lines
        ],
        ship_to=None if body.ship_to is None else body.ship_to.model_dump(),
        shipping_method=None if body.shipping is None else body.shipping.method,
        payment_method=None if body.payment is None else body.payment.method,
        **({} if body.payment is None else installment_terms(body.payment)),
        requested_delivery_date=body.requested_delivery_date,
        reason=body.reason,
    )


async def _checked(
    session: AsyncSession, order: Order, body: ChangeIn, user: Principal, seller_country: str
) -> tuple[OrderChange, OrderVersion, OrderVersion]:
    change = order_change(body)
    # (the workflow knows when a pre-sale order in approval is still before its release)
    before_release = order.order_type == OrderType.PRESALE and order.status in (
        OrderStatus.RECEIVED,
        OrderStatus.UNDER_REVIEW,
    )
    why = refusal(
        order.status, False, order.status == PICKING, change, before_release, order.order_type
    )
    if why is not None:
        raise NotAllowedNow(why)
    skus = [x.sku for x in change.lines or []]
    known = set(await session.scalars(select(Product.sku).where(Product.sku.in_(skus))))
    unknown: list[tuple[tuple[str | int, ...], str]] = [
        (("lines", i, "sku"), f"unknown sku {sku}")
        for i, sku in enumerate(skus)
        if sku not in known
    ]
    if unknown:
        raise InvalidFields(unknown)
    with pricing_fields():
        current, after = await propose(session, order, change, seller_country)
    if sets_prices(current, after) and not is_allowed(user.role, Action.SET_PRICES):
        raise Forbidden(f"role {user.role} may not set prices or discounts")
    check_terms(
        after.lines,
        Totals(after.subtotal, after.discount, after.tax, after.total, after.shipping_charge),
        change.requested_delivery_date,
        await database_today(session),
    )
    return change, current, after


async def change(
    session: AsyncSession,
    temporal: Client,
    starter: WorkflowStarter,
    w: Who,
    user: Principal,
    order_id: str,
    body: ChangeIn,
    process: ProcessSettings,
) -> ChangeImpact | ChangeOut:
    async with session.begin():
        order = await load_order(session, order_id, user)
        change_, current, after = await _checked(session, order, body, user, process.home_country)
        if body.dry_run:
            return await _impact(session, order, user, current, after)
    request = ChangeInput(
        change=change_,
        actor=user.username,
        role=user.role,
        request_id=w.request_id or "",
        client_addr=w.client_addr or "",
    )
    state = await update_order(temporal, order_id, OrderWorkflow.change, request, starter)
    status = CHANGE_REQUESTED if state.change_requested else str(state.status)
    return ChangeOut(order_id=order_id, version=state.version, status=status)


async def _impact(
    session: AsyncSession,
    order: Order,
    user: Principal,
    current: OrderVersion,
    after: OrderVersion,
) -> ChangeImpact:
    """What the change would do, from the same rules the workflow applies."""
    customer = await session.get_one(Customer, order.customer_id)
    if order.status == PICKING:
        # No review again: a supervisor's confirmation, unless a supervisor asks.
        needed = (
            []
            if user.role in DECIDERS[ApprovalLevel.ADDRESS_CHANGE]
            else [ApprovalLevel.ADDRESS_CHANGE]
        )
        decision, reasons = "unchanged", []
        moves = []
    else:
        _, _, verdict = await judge(session, order, customer, after)
        needed, decision, reasons = verdict.levels, verdict.decision, verdict.reasons
        moves = moves_by_difference(await stock.held_now(session, order.id), after.quantities())
    short = [m.sku for m in moves if m.reserve]
    free = await stock.available(session, short)
    missing = [m.sku for m in moves if m.reserve > free.get(m.sku, 0)]
    ships_on = (
        await database_today(session)
        if not missing
        else await stock.expected_arrival(session, missing)
    )
    return ChangeImpact(
        diff=[DiffOut(**d.model_dump()) for d in diff(current, after)],
        totals_before=TotalsOut.of(current, order.currency),
        totals_after=TotalsOut.of(after, order.currency),
        approvals_needed=[str(level) for level in needed],
        review_decision=str(decision),
        review_reasons=reasons,
        stock=[StockMoveOut(**m.model_dump()) for m in moves],
        expected_ship_date=ships_on,
    )


# What the warehouse does not see of a diff: prices, totals and terms.
PRICED = (
    "unit_price",
    "discount_pct",
    "subtotal",
    "discount",
    "tax",
    "total",
    "payment_method",
    "installment_count",
    "installment_interval_days",
    "shipping_charge",
)


async def versions(session: AsyncSession, order_id: str, user: Principal) -> list[VersionOut]:
    async with session.begin():
        order = await load_order(session, order_id, user)
        rows = await versions_of(session, order)
    return [
        VersionOut(
            version=v.version,
            created_by=v.created_by,
            created_at=v.created_at,
            reason=v.reason,
            diff=[
                DiffOut(**d)
                for d in v.diff
                if sees_prices(user) or not str(d["field"]).endswith(PRICED)
            ],
        )
        for v in rows
    ]
