"""Request and response bodies of the product and inventory routes."""

from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)

from api.fields import In, MoneyIn, Sku, Text


class ProductIn(In):
    sku: Sku
    name: Text
    unit_price: MoneyIn
    weight_kg: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=3)]
    # Approval rules can match on it (say, hazardous goods need a manager).
    category: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")] = "general"
    # Where pickers find it; printed on pick lists, which list lines in bin order.
    bin_location: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-/]{0,31}$")] | None
    ) = None


class ProductOut(BaseModel):
    sku: str
    name: str
    unit_price: Decimal
    weight_kg: Decimal
    category: str
    bin_location: str | None = None


class ReceiptIn(In):
    sku: Sku
    warehouse: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    quantity: Annotated[int, Field(gt=0, le=1_000_000)]


class WarehouseStock(BaseModel):
    warehouse: str
    on_hand: int
    reserved: int
    available: int


class InventoryOut(BaseModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    warehouses: list[WarehouseStock]
