"""What the desk knows of a customer's account: open balance and order history."""

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Invoice, Order, OrderLine, Payment
from domain.payment import ON_ACCOUNT
from domain.risks import PastOrders
from domain.status import APPROVED_STATUSES, FINAL_STATUSES


def _unpaid_on_account(*columns: Any) -> Select[Any]:
    """The unpaid value of live orders on account, including those placed but not yet
    reviewed: orders sent at the same moment see each other (the review holds the customer's
    row, so reviews of one customer run in turn)."""
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.order_id == Order.id)
        .scalar_subquery()
    )
    return select(*columns, func.coalesce(func.sum(Order.total - paid), 0)).where(
        Order.payment_method.in_(ON_ACCOUNT), Order.status.not_in(FINAL_STATUSES)
    )


async def open_balance(
    session: AsyncSession, customer_id: str, except_order: str | None = None
) -> Decimal:
    """The customer's unpaid value on account (other than except_order)."""
    stmt = _unpaid_on_account().where(Order.customer_id == customer_id)
    if except_order is not None:
        stmt = stmt.where(Order.id != except_order)
    return Decimal(await session.scalar(stmt) or 0)


async def open_balances(session: AsyncSession, customer_ids: Collection[str]) -> dict[str, Decimal]:
    """open_balance for a page of customers in one grouped query."""
    rows = await session.execute(
        _unpaid_on_account(Order.customer_id)
        .where(Order.customer_id.in_(customer_ids))
        .group_by(Order.customer_id)
    )
    found = {customer: Decimal(value) for customer, value in rows}
    return {customer: found.get(customer, Decimal(0)) for customer in customer_ids}


async def order_histories(
    session: AsyncSession, customer_ids: Collection[str]
) -> dict[str, tuple[int, Decimal]]:
    """Per customer, how many orders they have placed and their value, all time."""
    rows = await session.execute(
        select(Order.customer_id, func.count(), func.coalesce(func.sum(Order.total), 0))
        .where(Order.customer_id.in_(customer_ids))
        .group_by(Order.customer_id)
    )
    found = {customer: (int(count), Decimal(value)) for customer, count, value in rows}
    return {customer: found.get(customer, (0, Decimal(0))) for customer in customer_ids}


# Recent habits, and bounded reads however long the customer's history.
HISTORY_LINES = 200
HISTORY_ADDRESSES = 100


async def customer_history(
    session: AsyncSession, customer_id: str, except_order: str
) -> PastOrders:
    earlier = (Order.customer_id == customer_id, Order.id != except_order)
    lines = (
        await session.execute(
            select(OrderLine.quantity, OrderLine.net)
            .join(Order, Order.id == OrderLine.order_id)
            .where(*earlier)
            .order_by(Order.created_at.desc())
            .limit(HISTORY_LINES)
        )
    ).all()
    orders, credit_orders = (
        await session.execute(
            select(
                func.count(),
                # A credit track record: credit orders that passed review and approval. Ones
                # still in review or waiting for approval (say, sent at the same moment) are
                # no track record yet, so each of them is still a "first" credit order.
                func.count().filter(
                    Order.payment_method.in_(ON_ACCOUNT),
                    Order.status.in_(APPROVED_STATUSES),
                ),
            ).where(*earlier)
        )
    ).one()
    ship_tos = await session.scalars(
        select(Order.ship_to)
        .where(*earlier)
        .order_by(Order.created_at.desc())
        .limit(HISTORY_ADDRESSES)
    )
    overdue = await session.scalar(
        select(func.count())
        .select_from(Invoice)
        .join(Order, Order.id == Invoice.order_id)
        .where(Order.customer_id == customer_id, Invoice.status == "overdue")
    )
    return PastOrders(
        line_quantities=[q for q, _ in lines],
        line_nets=[n for _, n in lines],
        orders=int(orders),
        credit_orders=int(credit_orders),
        ship_tos=list(ship_tos),
        overdue_invoices=int(overdue or 0),
    )
