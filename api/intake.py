"""Order intake: validate against the catalogue, price, and record in one transaction."""

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import Forbidden, InvalidFields, NotAllowedNow
from api.schemas import AddressIn, CustomerIn, CustomerRef, OrderIn
from api.scope import customers_orderable_by
from db.models import Customer, Order, OrderHistory, OrderLine, Product
from db.policies import current_policy
from domain.money import to_money
from domain.pricing import LineRequest, order_totals, price_line
from domain.roles import Action, Role, is_allowed
from domain.status import INTAKE_STATUS
from domain.text import MAX_MONEY


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


def request_hash(data: OrderIn) -> str:
    """A fingerprint of the request as validated: a retry carries the same one."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def find_existing(
    session: AsyncSession, user: Principal, idempotency_key: str | None, data: OrderIn
) -> Order | None:
    """The order an earlier attempt of this same request by this same caller created, if any.

    Keys and external references are the caller's own: another caller's are not a retry. The
    same key or reference with a different body is a mistake the caller must hear of (409).
    """
    mine = Order.created_by == user.username
    matches: list[tuple[str, Any]] = []
    if idempotency_key:
        matches.append(("Idempotency-Key", Order.idempotency_key == idempotency_key))
    if data.external_ref:
        matches.append(
            (
                "external_ref",
                and_(Order.channel == data.channel, Order.external_ref == data.external_ref),
            )
        )
    for name, match in matches:
        found = await session.scalar(select(Order).where(mine, match))
        if found is not None:
            if found.request_hash is not None and found.request_hash != request_hash(data):
                raise NotAllowedNow(
                    f"{name} was already used by this caller for a different order "
                    f"({found.id}); send a new {name} for a new order"
                )
            return found
    return None


async def customer_owner(session: AsyncSession, customer_id: str) -> str | None:
    owner: str | None = await session.scalar(
        select(Customer.owner).where(Customer.id == customer_id)
    )
    return owner


async def record_order(
    session: AsyncSession,
    data: OrderIn,
    user: Principal,
    idempotency_key: str | None,
    currency: str,
    tax_rate_pct: Decimal,
) -> tuple[Order, str | None]:
    """Adds the order, its lines, a new customer if any and the first history row to session.

    Returns the order and its customer's owner (the workflow's four-eyes check needs it)."""
    errors: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(data.customer, CustomerRef):
        # Out of the user's scope (another rep's customer) reads as unknown, as on GET.
        customer = await session.scalar(
            select(Customer).where(Customer.id == data.customer.id, customers_orderable_by(user))
        )
        if customer is None:
            errors.append((("customer", "id"), f"unknown customer {data.customer.id}"))
    else:
        customer = new_customer(data.customer, user, await default_credit_limit(session))
    skus = {line.sku for line in data.lines}
    products = {
        p.sku: p for p in await session.scalars(select(Product).where(Product.sku.in_(skus)))
    }
    for i, line in enumerate(data.lines):
        if line.sku not in products:
            errors.append((("lines", i, "sku"), f"unknown sku {line.sku}"))
    if errors or customer is None:
        raise InvalidFields(errors)
    priced = [
        price_line(
            LineRequest(
                sku=line.sku,
                quantity=line.quantity,
                catalogue_price=products[line.sku].unit_price,
                supplied_price=line.unit_price,
                discount_pct=line.discount_pct,
            )
        )
        for line in data.lines
    ]
    totals = order_totals(priced, tax_rate_pct)
    # Checked before the write: NUMERIC(14, 2) would refuse these inside the transaction.
    for i, p in enumerate(priced):
        if p.gross > MAX_MONEY:
            errors.append((("lines", i, "quantity"), f"line amount exceeds {MAX_MONEY}"))
    if not errors and max(totals.subtotal, totals.total) > MAX_MONEY:
        errors.append((("lines",), f"order total exceeds {MAX_MONEY}"))
    if errors:
        raise InvalidFields(errors)
    ship_to = data.ship_to or customer_address(customer)
    order = Order(
        id=str(uuid.uuid4()),
        external_ref=data.external_ref,
        channel=data.channel,
        idempotency_key=idempotency_key,
        request_hash=request_hash(data),
        customer_id=customer.id,
        status=INTAKE_STATUS,
        payment_method=data.payment.method,
        shipping_method=data.shipping.method,
        ship_to=ship_to.model_dump(),
        notes=data.notes,
        currency=currency,
        subtotal=totals.subtotal,
        discount=totals.discount,
        tax=totals.tax,
        total=totals.total,
        review_reasons=[],
        created_by=user.username,
    )
    # Flushed in dependency order: the rows reference each other by foreign key.
    if not isinstance(data.customer, CustomerRef):
        session.add(customer)
        await session.flush()
    session.add(order)
    await session.flush()
    for no, p in enumerate(priced, start=1):
        session.add(
            OrderLine(
                order_id=order.id,
                line_no=no,
                sku=p.sku,
                quantity=p.quantity,
                catalogue_price=p.catalogue_price,
                unit_price=p.unit_price,
                discount_pct=p.discount_pct,
                gross=p.gross,
                discount=p.discount,
                net=p.net,
            )
        )
    session.add(
        OrderHistory(
            order_id=order.id,
            actor=user.username,
            from_status=None,
            to_status=INTAKE_STATUS,
            reason=f"received via {data.channel}",
        )
    )
    return order, customer.owner
