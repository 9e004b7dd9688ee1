"""What price lists and promotions look like on the API."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from api.customers.schemas import CustomerTier
from api.fields import In, MoneyIn, Sku
from domain.price_rules import PromotionKind, PromotionScope

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class PriceBreakIn(In):
    sku: Sku
    min_quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    unit_price: MoneyIn


class PriceListIn(In):
    """For one customer (`customer_id`), a customer group (`customer_group`, their tier) or,
    with neither, everyone; from `valid_from` through `valid_to` (open-ended without)."""

    name: Name
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = None
    customer_group: CustomerTier | None = None
    valid_from: date
    valid_to: date | None = None
    entries: Annotated[list[PriceBreakIn], Field(min_length=1, max_length=5000)]

    @model_validator(mode="after")
    def one_audience(self) -> Self:
        if self.customer_id is not None and self.customer_group is not None:
            raise ValueError("customer_group: give a customer or a group, not both")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to: is before valid_from")
        seen = [(x.sku, x.min_quantity) for x in self.entries]
        if len(set(seen)) != len(seen):
            raise ValueError("entries: a sku's break is listed twice")
        return self


class PriceBreakOut(BaseModel):
    sku: str
    min_quantity: int
    unit_price: Decimal


class PriceListOut(BaseModel):
    id: int
    name: str
    customer_id: str | None
    customer_group: str | None
    valid_from: date
    valid_to: date | None
    entries: list[PriceBreakOut]
    created_by: str
    created_at: datetime


class PromotionIn(In):
    """Percent or amount off: for a product (`target` its sku), a category (`target` it) or
    the order's goods total (`min_order_total` from which it applies). An amount is off each
    unit for a product or category, off the order once for the total. `stackable` ones
    combine with each other; the best of one alone or the stack applies."""

    name: Name
    kind: PromotionKind
    value: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    scope: PromotionScope
    target: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    min_order_total: MoneyIn = Decimal("0")
    stackable: bool = False
    valid_from: date
    valid_to: date | None = None

    @model_validator(mode="after")
    def consistent(self) -> Self:
        if self.kind == PromotionKind.PERCENT and self.value > 100:
            raise ValueError("value: a percentage is at most 100")
        if (self.scope == PromotionScope.ORDER) != (self.target is None):
            raise ValueError("target: a sku or category for those scopes, none for the order")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to: is before valid_from")
        return self


class PromotionOut(BaseModel):
    id: int
    name: str
    kind: str
    value: Decimal
    scope: str
    target: str | None
    min_order_total: Decimal
    stackable: bool
    valid_from: date
    valid_to: date | None
    created_by: str
    created_at: datetime
