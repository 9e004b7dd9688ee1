"""A customer's account as intake and the routes build and read it."""

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.customers.schemas import AddressIn, CustomerContactOut, CustomerIn, CustomerOut
from api.errors import Forbidden
from db.models import Customer
from db.policies import current_policy
from domain.money import to_money
from domain.roles import Action, Role, is_allowed


def new_customer(data: CustomerIn, owner: Principal, default_limit: Decimal) -> Customer:
    """A customer as this user may create one: a credit limit only from finance or admin."""
    if data.credit_limit is not None and not is_allowed(owner.role, Action.SET_CREDIT):
        raise Forbidden(f"role {owner.role} may not set a credit limit")
    a = data.address
    return Customer(
        id=str(uuid.uuid4()),
        name=data.name,
        email=str(data.email),
        phone=data.phone,
        line1=a.line1,
        line2=a.line2,
        city=a.city,
        region=a.region,
        postal_code=a.postal_code,
        country=a.country,
        credit_limit=to_money(default_limit if data.credit_limit is None else data.credit_limit),
        tier=data.tier,
        on_credit_hold=False,
        owner=owner.username if owner.role == Role.SALES else None,
        created_by=owner.username,
    )


async def default_credit_limit(session: AsyncSession) -> Decimal:
    return (await current_policy(session))[1].credit.default_limit


def customer_address(customer: Customer) -> AddressIn:
    return AddressIn(
        line1=customer.line1,
        line2=customer.line2,
        city=customer.city,
        region=customer.region,
        postal_code=customer.postal_code,
        country=customer.country,
    )


async def customer_owner(session: AsyncSession, customer_id: str) -> str | None:
    owner: str | None = await session.scalar(
        select(Customer.owner).where(Customer.id == customer_id)
    )
    return owner


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.id,
        name=c.name,
        email=c.email,
        phone=c.phone,
        address=customer_address(c),
        credit_limit=c.credit_limit,
        tier=c.tier,
        on_credit_hold=c.on_credit_hold,
        owner=c.owner,
    )


def customer_contact(c: Customer) -> CustomerContactOut:
    return CustomerContactOut(
        id=c.id, name=c.name, email=c.email, phone=c.phone, address=customer_address(c)
    )
