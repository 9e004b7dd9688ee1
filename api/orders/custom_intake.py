"""Intake of custom (made-to-order) orders: every line a made-to-order product (and no other
type orders one), the specification recorded, and the lead time estimated from the plant's
queue (domain/custom.py)."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidFields
from api.orders.schemas import OrderIn
from db.models import Product, ProductionOrder
from domain.custom import FINAL, estimate_ready
from domain.order_types import OrderType
from domain.policy import PolicyDocument


async def custom_columns(
    session: AsyncSession,
    data: OrderIn,
    products: dict[str, Product],
    policy: PolicyDocument,
    today: date,
) -> dict[str, Any]:
    """The specification and estimated ready day of a custom order (nothing for others);
    InvalidFields (422) naming the line whose product does not fit the order's type."""
    custom = data.type == OrderType.CUSTOM
    errors: list[tuple[tuple[str | int, ...], str]] = []
    for i, line in enumerate(data.lines):
        made = products[line.sku].production_days is not None
        if made and not custom:
            errors.append((("lines", i, "sku"), f"{line.sku} is made to order: type custom"))
        elif custom and not made:
            errors.append((("lines", i, "sku"), f"{line.sku} is not made to order"))
    if errors:
        raise InvalidFields(errors)
    if not custom:
        return {}
    assert data.specification is not None  # OrderIn requires it of a custom order
    queue = await session.scalars(
        select(ProductionOrder.production_days).where(ProductionOrder.status.not_in(FINAL))
    )
    days = [products[line.sku].production_days or 0 for line in data.lines]
    return {
        "specification": data.specification.model_dump(),
        "estimated_ready": estimate_ready(today, days, list(queue), policy.custom.plant_capacity),
    }
