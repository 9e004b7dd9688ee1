"""The customer routes: create, read, credit limit, owner."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select, true

from api.customers import ledger
from api.customers.accounts import (
    customer_contact,
    customer_out,
    default_credit_limit,
    new_customer,
)
from api.customers.schemas import (
    AccountOut,
    CreditHoldIn,
    CreditIn,
    CustomerContactOut,
    CustomerIn,
    CustomerOut,
    OwnerIn,
    StatementOut,
)
from api.deps import SessionDep, who
from api.errors import InvalidFields, NotFound
from api.permissions import (
    CanAssignCustomerOwner,
    CanManageCustomers,
    CanReadAccounts,
    CanReadOrders,
    CanSetCredit,
)
from api.scope import customers_visible_to, sees_prices
from db.audit import audit
from db.models import Customer, User
from domain.money import to_money
from domain.roles import Role

router = APIRouter(tags=["customers"])


@router.post("/customers", status_code=201)
async def create_customer(
    body: CustomerIn,
    session: SessionDep,
    user: CanManageCustomers,
) -> CustomerOut:
    """Create a customer; a sales rep who creates one owns it."""
    async with session.begin():
        customer = new_customer(body, user, await default_credit_limit(session))
        session.add(customer)
    return customer_out(customer)


@router.put("/customers/{customer_id}/credit")
async def set_credit(
    customer_id: str,
    body: CreditIn,
    request: Request,
    session: SessionDep,
    user: CanSetCredit,
) -> CustomerOut:
    """Set a customer's credit limit and credit hold (finance)."""
    async with session.begin():
        customer = await session.scalar(
            select(Customer).where(Customer.id == customer_id).with_for_update()
        )
        if customer is None:
            raise NotFound(f"customer {customer_id} not found")
        before = f"{customer.credit_limit} hold={customer.on_credit_hold}"
        customer.credit_limit = to_money(body.credit_limit)
        customer.on_credit_hold = body.on_credit_hold
        audit(
            session,
            who(request, user),
            "customer.credit",
            "changed",
            detail=f"customer {customer_id}: {before} -> {body.credit_limit} "
            f"hold={body.on_credit_hold}",
        )
    return customer_out(customer)


@router.get("/customers")
async def list_customers(
    session: SessionDep,
    user: CanReadOrders,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="part of the name or email")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CustomerOut] | list[CustomerContactOut]:
    """Customers in this user's scope (a sales rep: their own), by name; `q` finds them by
    part of the name or email."""
    found = (
        Customer.name.icontains(q, autoescape=True) | Customer.email.icontains(q, autoescape=True)
        if q
        else true()
    )
    rows = await session.scalars(
        select(Customer)
        .where(customers_visible_to(user), found)
        .order_by(Customer.name, Customer.id)
        .limit(limit)
        .offset(offset)
    )
    if not sees_prices(user):
        return [customer_contact(c) for c in rows]
    return [customer_out(c) for c in rows]


@router.get("/customers/{customer_id}/account")
async def get_account(customer_id: str, session: SessionDep, user: CanReadAccounts) -> AccountOut:
    """Credit limit, open balance (invoiced, not paid), exposure (with approved credit orders
    not invoiced yet), overdue amount and credit hold, from the documents themselves."""
    return await ledger.account(session, customer_id, user)


@router.get("/customers/{customer_id}/statement")
async def get_statement(
    customer_id: str,
    session: SessionDep,
    user: CanReadAccounts,
    since: Annotated[
        date | None, Query(alias="from", ge=date(2000, 1, 1), le=date(9999, 12, 31))
    ] = None,
    until: Annotated[
        date | None, Query(alias="to", ge=date(2000, 1, 1), le=date(9999, 12, 31))
    ] = None,
) -> StatementOut:
    """Invoices, credit notes, payments and refunds (from and to: dates, both included), with
    the balance before, after each, and at the end."""
    return await ledger.statement(session, customer_id, user, since, until)


@router.put("/customers/{customer_id}/credit-hold")
async def set_credit_hold(
    customer_id: str,
    body: CreditHoldIn,
    request: Request,
    session: SessionDep,
    user: CanSetCredit,
) -> AccountOut:
    """Put a customer on credit hold (new credit-terms orders are rejected in review) or lift
    it; audited with the reason."""
    return await ledger.set_credit_hold(session, who(request, user), user, customer_id, body)


@router.get("/customers/{customer_id}")
async def get_customer(
    customer_id: str,
    session: SessionDep,
    user: CanReadOrders,
) -> CustomerOut | CustomerContactOut:
    """One customer (without credit data for the warehouse)."""
    customer = await session.scalar(
        select(Customer).where(Customer.id == customer_id, customers_visible_to(user))
    )
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    if not sees_prices(user):
        return customer_contact(customer)
    return customer_out(customer)


@router.put("/customers/{customer_id}/owner")
async def assign_owner(
    customer_id: str,
    body: OwnerIn,
    request: Request,
    session: SessionDep,
    user: CanAssignCustomerOwner,
) -> CustomerOut:
    """Give a customer (and so its orders) to a sales rep."""
    async with session.begin():
        customer = await session.get(Customer, customer_id, with_for_update=True)
        if customer is None:
            raise NotFound(f"customer {customer_id} not found")
        rep = await session.get(User, body.owner)
        if rep is None or not rep.active or rep.role != Role.SALES:
            raise InvalidFields([(("owner",), f"{body.owner} is not an active sales rep")])
        previous = customer.owner
        customer.owner = body.owner
        audit(
            session,
            who(request, user),
            "customer.owner",
            "assigned",
            detail=f"{customer_id}: {previous} -> {body.owner}",
        )
    return customer_out(customer)
