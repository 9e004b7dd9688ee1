"""A customer's account as intake and the routes build and read it."""

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.customers.schemas import AddressIn, CustomerContactOut, CustomerIn, CustomerOut
from api.errors import Forbidden
from db.models import ADDRESS_FIELDS, Customer
from db.policies import current_policy
from domain.money import to_money
from domain.roles import Action, Role, is_allowed


def new_customer(data: CustomerIn, owner: Principal, default_limit: Decimal) -> Customer:
    """A customer as this user may create one: a credit limit only from finance or admin."""
    if data.credit_limit is not None and not is_allowed(owner.role, Action.SET_CREDIT):
        raise Forbidden(f"role {owner.role} may not set a credit limit")
    return Customer(
        id=str(uuid.uuid4()),
        name=data.name,
        email=str(data.email),
        phone=data.phone,
        **data.address.model_dump(include=set(ADDRESS_FIELDS)),
        credit_limit=to_money(default_limit if data.credit_limit is None else data.credit_limit),
        tier=data.tier,
        vat_id=data.vat_id,
        language=data.language,
        on_credit_hold=False,
        owner=owner.username if owner.role == Role.SALES else None,
        created_by=owner.username,
    )


async def default_credit_limit(session: AsyncSession) -> Decimal:
    return (await current_policy(session))[1].credit.default_limit


def customer_address(customer: Customer) -> AddressIn:
    return AddressIn.model_validate(customer.address)


async def customer_owner(session: AsyncSession, customer_id: str) -> str | None:
    owner: str | None = await session.scalar(
        select(Customer.owner).where(Customer.id == customer_id)
    )
    return owner


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut.model_validate(c, from_attributes=True)


def customer_contact(c: Customer) -> CustomerContactOut:
    return CustomerContactOut.model_validate(c, from_attributes=True)
