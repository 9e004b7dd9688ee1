"""Products and customers."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from api.auth import Principal
from api.deps import SessionDep, allowed, who
from api.errors import NotFound
from api.intake import customer_address, default_credit_limit, new_customer
from api.schemas import (
    CreditIn,
    CustomerContactOut,
    CustomerIn,
    CustomerOut,
    ProductIn,
    ProductOut,
)
from api.scope import customers_visible_to, sees_prices
from db.audit import audit
from db.models import Customer, Product
from domain.money import to_money
from domain.roles import Action

router = APIRouter(tags=["catalogue"])


@router.post("/products", status_code=201)
async def upsert_product(
    body: ProductIn,
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.MANAGE_PRODUCTS))],
) -> ProductOut:
    """Create a product, or change its name, price and weight."""
    values = body.model_dump()
    async with session.begin():
        await session.execute(
            insert(Product)
            .values(**values)
            .on_conflict_do_update(index_elements=[Product.sku], set_=values)
        )
    return ProductOut(**values)


@router.get("/products")
async def list_products(
    session: SessionDep, user: Annotated[Principal, Depends(allowed(Action.READ_CATALOGUE))]
) -> list[ProductOut]:
    """The catalogue, by sku."""
    rows = await session.scalars(select(Product).order_by(Product.sku))
    return [ProductOut.model_validate(p, from_attributes=True) for p in rows]


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


@router.post("/customers", status_code=201)
async def create_customer(
    body: CustomerIn,
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.MANAGE_CUSTOMERS))],
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
    user: Annotated[Principal, Depends(allowed(Action.SET_CREDIT))],
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
    user: Annotated[Principal, Depends(allowed(Action.READ_ORDERS))],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CustomerOut] | list[CustomerContactOut]:
    """Customers in this user's scope (a sales rep: their own), by name."""
    rows = await session.scalars(
        select(Customer)
        .where(customers_visible_to(user))
        .order_by(Customer.name, Customer.id)
        .limit(limit)
        .offset(offset)
    )
    if not sees_prices(user):
        return [customer_contact(c) for c in rows]
    return [customer_out(c) for c in rows]


@router.get("/customers/{customer_id}")
async def get_customer(
    customer_id: str,
    session: SessionDep,
    user: Annotated[Principal, Depends(allowed(Action.READ_ORDERS))],
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


def customer_contact(c: Customer) -> CustomerContactOut:
    return CustomerContactOut(
        id=c.id, name=c.name, email=c.email, phone=c.phone, address=customer_address(c)
    )
