"""An order's versions (domain/changes.py) as records: the version in force read off the order
and its lines, the next one proposed from the catalogue, and a change written with its diff.

Every function runs inside the caller's transaction.
"""

from dataclasses import asdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, Order, OrderLine, OrderVersionRow, Product
from db.price_rules import rules_on
from db.pricing import pricing_basis
from domain.changes import DiffEntry, OrderChange, OrderVersion, diff, revise
from domain.price_rules import CartLine, PriceRules, PromotionScope, RulePrice, price_cart


async def version_in_force(session: AsyncSession, order: Order) -> OrderVersion:
    lines = await session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
    )
    return OrderVersion(
        lines=[line.priced() for line in lines],
        ship_to=order.ship_to,
        shipping_method=order.shipping_method,
        payment_method=order.payment_method,
        requested_delivery_date=order.requested_delivery_date,
        subtotal=order.subtotal,
        discount=order.discount,
        tax=order.tax,
        total=order.total,
        shipping_charge=order.shipping_charge,
        shipping_tax_rate=order.shipping_tax_rate,
        reverse_charge=order.reverse_charge,
        installment_count=order.installment_count,
        installment_interval_days=order.installment_interval_days,
    )


async def catalogue_prices(session: AsyncSession, skus: list[str]) -> dict[str, Decimal]:
    rows = await session.execute(
        select(Product.sku, Product.unit_price).where(Product.sku.in_(sorted(set(skus))))
    )
    return {sku: price for sku, price in rows}


async def propose(
    session: AsyncSession, order: Order, change: OrderChange, seller_country: str
) -> tuple[OrderVersion, OrderVersion]:
    """The version in force and the one the change would make (every sku must exist).
    Raises NoTaxRate or TooHeavy (domain/pricing.price_order)."""
    current = await version_in_force(session, order)
    skus = [line.sku for line in change.lines or []]
    customer = await session.get_one(Customer, order.customer_id)
    basis = await pricing_basis(
        session,
        current.ship_to if change.ship_to is None else change.ship_to,
        customer.vat_id,
        [*skus, *(x.sku for x in current.lines)],
        seller_country,
    )
    ruled = await rule_prices(session, customer, change)
    return current, revise(current, change, await catalogue_prices(session, skus), basis, ruled)


async def rule_prices(
    session: AsyncSession, customer: Customer, change: OrderChange
) -> dict[str, RulePrice]:
    """What the price lists and line promotions in force today give the changed lines (a
    new sku sells at it; order promotions stay as they were agreed)."""
    if not change.lines:
        return {}
    products = {
        p.sku: p
        for p in await session.scalars(
            select(Product).where(Product.sku.in_({x.sku for x in change.lines}))
        )
    }
    cart = [
        CartLine(x.sku, x.quantity, products[x.sku].unit_price, products[x.sku].category)
        for x in change.lines
    ]
    today = await session.scalar(select(func.current_date()))
    assert today is not None
    rules = await rules_on(session, today, customer.id, customer.tier, sorted(products))
    per_line = PriceRules(
        rules.price_lists, [p for p in rules.promotions if p.scope != PromotionScope.ORDER]
    )
    ruled = price_cart(cart, per_line, customer.id, customer.tier, today)
    return {x.sku: r for x, r in zip(cart, ruled, strict=True)}


async def versions_of(session: AsyncSession, order: Order) -> list[OrderVersionRow]:
    """Every version, oldest first; an order never changed has its one version in force."""
    rows = list(
        await session.scalars(
            select(OrderVersionRow)
            .where(OrderVersionRow.order_id == order.id)
            .order_by(OrderVersionRow.version)
        )
    )
    if rows:
        return rows
    return [await _first(session, order)]


async def _first(session: AsyncSession, order: Order) -> OrderVersionRow:
    current = await version_in_force(session, order)
    return OrderVersionRow(
        order_id=order.id,
        version=1,
        created_by=order.created_by,
        created_at=order.created_at,
        reason="received",
        diff=[],
        snapshot=current.model_dump(mode="json"),
    )


async def write_change(
    session: AsyncSession, order: Order, after: OrderVersion, actor: str, reason: str
) -> tuple[int, list[DiffEntry]]:
    """Makes `after` the version in force (lines, totals, terms), recorded as the next
    version with its diff; the first change also records version 1 as it was."""
    before = await version_in_force(session, order)
    if order.version == 1:
        session.add(await _first(session, order))
    changes = diff(before, after)
    rows = list(
        await session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
        )
    )
    for row in rows[len(after.lines) :]:
        await session.delete(row)
    for no, line in enumerate(after.lines, start=1):
        if no <= len(rows):
            for name, value in asdict(line).items():
                setattr(rows[no - 1], name, value)
        else:
            session.add(OrderLine(order_id=order.id, line_no=no, **asdict(line)))
    order.ship_to = after.ship_to
    order.shipping_method = after.shipping_method
    order.payment_method = after.payment_method
    order.requested_delivery_date = after.requested_delivery_date
    for name in (
        "subtotal",
        "discount",
        "tax",
        "total",
        "shipping_charge",
        "shipping_tax_rate",
        "reverse_charge",
        "installment_count",
        "installment_interval_days",
    ):
        setattr(order, name, getattr(after, name))
    order.version += 1
    if actor not in order.changed_by:
        order.changed_by = [*order.changed_by, actor]
    order.updated_at = func.now()
    session.add(
        OrderVersionRow(
            order_id=order.id,
            version=order.version,
            created_by=actor,
            reason=reason,
            diff=[d.model_dump() for d in changes],
            snapshot=after.model_dump(mode="json"),
        )
    )
    return order.version, changes
