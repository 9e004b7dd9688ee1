"""Intake: turning an order request into its rows (idempotently, per caller) in one transaction."""

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.customers.accounts import (
    customer_address,
    customer_owner,
    default_credit_limit,
    new_customer,
)
from api.customers.schemas import AddressIn, CustomerChoice, CustomerRef
from api.errors import InvalidFields, NotAllowedNow
from api.orders.bulk_intake import batch_rows, check_bulk
from api.orders.custom_intake import custom_columns
from api.orders.presale_intake import presale_columns
from api.orders.schemas import InstallmentTermsIn, OrderIn, OrderLineIn, PaymentTermsIn
from api.scope import customers_orderable_by
from config import ProcessSettings
from db.audit import Who, audit
from db.models import Customer, Order, OrderHistory, OrderLine, Product
from db.policies import current_policy
from db.price_rules import rules_on
from db.pricing import basis_of
from domain.carrier import ShippingMethod
from domain.policy import PolicyDocument
from domain.price_rules import CartLine, price_cart
from domain.pricing import LineRequest, PricedLine, PricedOrder, Totals, price_order
from domain.priority import PriorityFacts, priority_of
from domain.shipping_charges import TooHeavy
from domain.status import INTAKE_STATUS
from domain.tax import NoTaxRate
from domain.text import MAX_MONEY


def installment_terms(terms: PaymentTermsIn) -> dict[str, int | None]:
    """The order's installment columns for these terms (None unless paid in installments)."""
    if isinstance(terms, InstallmentTermsIn):
        return {"installment_count": terms.count, "installment_interval_days": terms.interval_days}
    return {"installment_count": None, "installment_interval_days": None}


@contextmanager
def pricing_fields() -> Iterator[None]:
    """The pricing rules' refusals as 422s naming the field they come from."""
    try:
        yield
    except NoTaxRate as e:
        raise InvalidFields([(("ship_to", "country"), str(e))]) from e
    except TooHeavy as e:
        raise InvalidFields([(("shipping", "method"), str(e))]) from e


async def database_today(session: AsyncSession) -> date:
    return (await session.scalar(select(func.current_date()))) or date.today()


def check_terms(priced: list[PricedLine], totals: Totals, wanted: date | None, today: date) -> None:
    """Amounts the records can hold and a delivery date within a year of today (as the
    database knows it); InvalidFields naming the field otherwise."""
    errors: list[tuple[tuple[str | int, ...], str]] = []
    # Checked before the write: NUMERIC(14, 2) would refuse these inside the transaction.
    for i, p in enumerate(priced):
        if p.gross > MAX_MONEY:
            errors.append((("lines", i, "quantity"), f"line amount exceeds {MAX_MONEY}"))
    if not errors and max(totals.subtotal, totals.total) > MAX_MONEY:
        errors.append((("lines",), f"order total exceeds {MAX_MONEY}"))
    if wanted is not None and not today <= wanted <= today + timedelta(days=365):
        errors.append((("requested_delivery_date",), "must be between today and a year ahead"))
    if errors:
        raise InvalidFields(errors)


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


@dataclass(frozen=True)
class Quoted:
    """An order request priced as intake prices it: its customer (a new one not yet added to
    the session; none for a quote to an address only), where it goes, and its lines, charge
    and totals; with the policy and the day it was priced on (read once: each read is a round
    trip, and a 100,000-row import makes 5,000 orders)."""

    customer: Customer | None
    ship_to: AddressIn
    priced: PricedOrder
    policy: PolicyDocument
    today: date
    products: dict[str, Product]


async def price_request(
    session: AsyncSession,
    choice: CustomerChoice | None,
    ship_to: AddressIn | None,
    lines: list[OrderLineIn],
    method: ShippingMethod,
    user: Principal,
    process: ProcessSettings,
) -> Quoted:
    """The customer (one in the user's scope, or a new one), the products and the order's
    pricing basis, priced; InvalidFields naming each unknown customer or sku."""
    errors: list[tuple[tuple[str | int, ...], str]] = []
    customer: Customer | None
    if isinstance(choice, CustomerRef):
        # Out of the user's scope (another rep's customer) reads as unknown, as on GET.
        customer = await session.scalar(
            select(Customer).where(Customer.id == choice.id, customers_orderable_by(user))
        )
        if customer is None:
            errors.append((("customer", "id"), f"unknown customer {choice.id}"))
    elif choice is not None:
        customer = new_customer(choice, user, await default_credit_limit(session))
    else:
        customer = None
        if ship_to is None:
            errors.append((("ship_to",), "a customer or an address to ship to is needed"))
    skus = {line.sku for line in lines}
    products = {
        p.sku: p for p in await session.scalars(select(Product).where(Product.sku.in_(skus)))
    }
    for i, line in enumerate(lines):
        if line.sku not in products:
            errors.append((("lines", i, "sku"), f"unknown sku {line.sku}"))
    if errors:
        raise InvalidFields(errors)
    cart = [
        CartLine(x.sku, x.quantity, products[x.sku].unit_price, products[x.sku].category)
        for x in lines
    ]
    who, group = (customer.id, customer.tier) if customer is not None else (None, "")
    today = await database_today(session)
    in_force = await rules_on(session, today, who, group, sorted(skus))
    ruled = price_cart(cart, in_force, who or "", group, today)
    requests = [
        LineRequest(
            sku=line.sku,
            quantity=line.quantity,
            catalogue_price=products[line.sku].unit_price,
            supplied_price=line.unit_price,
            discount_pct=line.discount_pct,
            rule=rule,
        )
        for line, rule in zip(lines, ruled, strict=True)
    ]
    if customer is not None:
        ship_to = ship_to or customer_address(customer)
    assert ship_to is not None
    vat_id = customer.vat_id if customer is not None else None
    policy = (await current_policy(session))[1]
    basis = basis_of(
        policy,
        ship_to.model_dump(),
        vat_id,
        [(p.sku, p.tax_class, p.weight_kg) for p in products.values()],
        process.home_country,
    )
    with pricing_fields():
        priced = price_order(requests, method, basis)
    return Quoted(customer, ship_to, priced, policy, today, products)


async def record_order(
    session: AsyncSession,
    data: OrderIn,
    user: Principal,
    idempotency_key: str | None,
    process: ProcessSettings,
) -> tuple[Order, str | None]:
    """Adds the order, its lines, a new customer if any and the first history row to session.

    Returns the order and its customer's owner (the workflow's four-eyes check needs it)."""
    quoted = await price_request(
        session, data.customer, data.ship_to, data.lines, data.shipping.method, user, process
    )
    customer, ship_to, priced = quoted.customer, quoted.ship_to, quoted.priced
    assert customer is not None  # an order always names its customer (OrderIn)
    totals = priced.totals
    wanted = data.requested_delivery_date
    today = quoted.today
    check_terms(priced.lines, totals, wanted, today)
    priority = priority_of(
        quoted.policy.priority,
        PriorityFacts(customer.tier, totals.total, data.shipping.method, wanted, today),
    )
    kind = await presale_columns(session, data, quoted.products, priced.lines, totals.total, today)
    batches = await check_bulk(session, data, customer, today)
    kind |= await custom_columns(session, data, quoted.products, quoted.policy, today)
    order = Order(
        id=str(uuid.uuid4()),
        external_ref=data.external_ref,
        channel=data.channel,
        idempotency_key=idempotency_key,
        request_hash=request_hash(data),
        customer_id=customer.id,
        status=INTAKE_STATUS,
        payment_method=data.payment.method,
        **installment_terms(data.payment),
        shipping_method=data.shipping.method,
        ship_to=ship_to.model_dump(),
        notes=data.notes,
        currency=process.currency,
        subtotal=totals.subtotal,
        discount=totals.discount,
        tax=totals.tax,
        total=totals.total,
        shipping_charge=priced.charge.net,
        shipping_tax_rate=priced.charge.tax_rate,
        reverse_charge=priced.reverse_charge,
        review_reasons=[],
        created_by=user.username,
        priority=priority,
        requested_delivery_date=wanted,
        on_shortage=data.on_shortage,
        set_aside_warehouse=data.set_aside.warehouse if data.set_aside else None,
        **kind,
    )
    # Flushed in dependency order: the rows reference each other by foreign key.
    if not isinstance(data.customer, CustomerRef):
        session.add(customer)
        await session.flush()
    session.add(order)
    await session.flush()
    for no, p in enumerate(priced.lines, start=1):
        session.add(OrderLine(order_id=order.id, line_no=no, **asdict(p)))
    session.add_all(batch_rows(order, batches, quoted.policy.bulk.reserve_days_before, today))
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


async def take_order(
    session: AsyncSession,
    w: Who,
    body: OrderIn,
    user: Principal,
    idempotency_key: str | None,
    process: ProcessSettings,
) -> tuple[Order, str | None, bool]:
    """The order of this request, its customer's owner, and whether it was found from an
    earlier attempt (a retry, answered 200) rather than recorded now."""
    try:
        async with session.begin():
            order = await find_existing(session, user, idempotency_key, body)
            if order is not None:
                return order, await customer_owner(session, order.customer_id), True
            order, owner = await record_order(session, body, user, idempotency_key, process)
            audit(
                session,
                w,
                "order.create",
                "created",
                order_id=order.id,
                detail=f"via {body.channel}",
            )
        return order, owner, False
    except IntegrityError:
        # A concurrent retry of the same request won the unique key: answer with its order.
        async with session.begin():
            order = await find_existing(session, user, idempotency_key, body)
            if order is None:
                raise
            return order, await customer_owner(session, order.customer_id), True
