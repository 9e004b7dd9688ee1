"""A customer's account and statement (finance, admin, the owning sales rep), and the credit
hold finance sets and lifts."""

from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.customers.schemas import AccountOut, CreditHoldIn, StatementEntryOut, StatementOut
from api.errors import InvalidFields, NotFound
from api.scope import customers_visible_to
from db.accounts import account_of, entries_of
from db.audit import Who, audit
from db.models import Customer
from domain.money import ZERO


async def _customer(
    session: AsyncSession, customer_id: str, user: Principal, lock: bool = False
) -> Customer:
    stmt = select(Customer).where(Customer.id == customer_id, customers_visible_to(user))
    customer = await session.scalar(stmt.with_for_update() if lock else stmt)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


async def account(session: AsyncSession, customer_id: str, user: Principal) -> AccountOut:
    async with session.begin():
        customer = await _customer(session, customer_id, user)
        a = await account_of(session, customer)
    return AccountOut(customer_id=customer_id, **a.__dict__)


async def statement(
    session: AsyncSession,
    customer_id: str,
    user: Principal,
    since: date | None,
    until: date | None,
) -> StatementOut:
    if since is not None and until is not None and until < since:
        raise InvalidFields([(("to",), "must not be before from")], where="query")
    start = datetime.combine(since, time.min, UTC) if since else None
    end = datetime.combine(until, time.max, UTC) if until else None
    async with session.begin():
        await _customer(session, customer_id, user)
        entries = await entries_of(session, customer_id)
    opening = sum((e.amount for e in entries if start and e.at < start), ZERO)
    balance, out = opening, []
    for e in entries:
        if (start and e.at < start) or (end and e.at > end):
            continue
        balance += e.amount
        out.append(
            StatementEntryOut(
                at=e.at,
                kind=e.kind,
                document=e.document,
                order_id=e.order_id,
                amount=e.amount,
                balance=balance,
            )
        )
    return StatementOut(
        customer_id=customer_id,
        opening_balance=opening,
        entries=out,
        closing_balance=balance,
    )


async def set_credit_hold(
    session: AsyncSession, w: Who, user: Principal, customer_id: str, body: CreditHoldIn
) -> AccountOut:
    async with session.begin():
        customer = await _customer(session, customer_id, user, lock=True)
        before = customer.on_credit_hold
        customer.on_credit_hold = body.on_hold
        audit(
            session,
            w,
            "customer.credit_hold",
            "on_hold" if body.on_hold else "lifted",
            detail=f"customer {customer_id}: hold {before} -> {body.on_hold}: {body.reason}",
        )
        a = await account_of(session, customer)
    return AccountOut(customer_id=customer_id, **a.__dict__)
