"""Intake of pre-sale orders: which products may be ordered how, the cap on pre-sale units,
and the deposit and release day the order records."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidFields, NotAllowedNow
from api.orders.schemas import OrderIn
from db.models import Order, OrderLine, Product
from domain.order_types import OrderType
from domain.presale import PresaleTerms, order_deposit, over_cap, release_date
from domain.pricing import PricedLine
from domain.review import PaymentMethod
from domain.status import OrderStatus

# Orders that no longer hold a pre-sale place.
_GAVE_UP = (OrderStatus.CANCELLED, OrderStatus.REJECTED)


def terms_of(product: Product) -> PresaleTerms | None:
    if product.presale_release_date is None:
        return None
    return PresaleTerms(
        release_date=product.presale_release_date,
        deposit_pct=product.presale_deposit_pct,
        deposit_amount=product.presale_deposit_amount,
        cap=product.presale_cap,
    )


def pre_sold(product: Product, today: date) -> PresaleTerms | None:
    """The product's pre-sale terms while it is not yet released (None: it sells as usual)."""
    terms = terms_of(product)
    return terms if terms is not None and today < terms.release_date else None


async def presale_columns(
    session: AsyncSession,
    data: OrderIn,
    products: dict[str, Product],
    priced: list[PricedLine],
    total: Decimal,
    today: date,
) -> dict[str, Any]:
    """The order's type, deposit and release day; InvalidFields (422) naming the field for a
    pre-sold product ordered as another type, or a product not on pre-sale ordered as presale;
    NotAllowedNow (409) past a product's cap."""
    terms = [pre_sold(products[line.sku], today) for line in data.lines]
    errors: list[tuple[tuple[str | int, ...], str]] = []
    if data.type != OrderType.PRESALE:
        for i, (line, t) in enumerate(zip(data.lines, terms, strict=True)):
            if t is not None:
                errors.append(
                    (
                        ("lines", i, "sku"),
                        f"{line.sku} is on pre-sale until {t.release_date.isoformat()}: "
                        "order it with type presale",
                    )
                )
        if errors:
            raise InvalidFields(errors)
        return {"order_type": data.type}
    for i, (line, t) in enumerate(zip(data.lines, terms, strict=True)):
        if t is None:
            errors.append((("lines", i, "sku"), f"{line.sku} is not on pre-sale"))
    if data.payment.method != PaymentMethod.PREPAID:
        errors.append(
            (("payment", "method"), "a pre-sale order is prepaid: its deposit takes its place")
        )
    if errors:
        raise InvalidFields(errors)
    held = [t for t in terms if t is not None]
    await _check_caps(session, data, products)
    return {
        "order_type": OrderType.PRESALE,
        "deposit": order_deposit(list(zip(held, priced, strict=True)), total),
        "release_date": release_date(held),
    }


async def _check_caps(session: AsyncSession, data: OrderIn, products: dict[str, Product]) -> None:
    """Each capped product's row locked (in sku order: two intakes never wait on each other
    crosswise), so concurrent orders count each other's units."""
    wanted: dict[str, int] = {}
    for line in data.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    for sku in sorted(wanted):
        cap = products[sku].presale_cap
        if cap is None:
            continue
        await session.execute(select(Product.sku).where(Product.sku == sku).with_for_update())
        taken = await session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.sku == sku,
                Order.order_type == OrderType.PRESALE,
                Order.status.not_in(_GAVE_UP),
            )
        )
        if over_cap(cap, int(taken or 0), wanted[sku]):
            left = max(cap - int(taken or 0), 0)
            raise NotAllowedNow(f"{sku}: the pre-sale is capped at {cap} units and {left} are left")
