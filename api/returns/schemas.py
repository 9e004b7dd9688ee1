"""Request and response bodies of the return routes."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from api.fields import In, Sku, WarehouseCode
from domain.returns import Condition, Resolution, ReturnReason

Quantity = Annotated[int, Field(gt=0, le=100_000)]


def _one_per_sku(skus: list[str]) -> None:
    seen: set[str] = set()
    for i, sku in enumerate(skus):
        if sku in seen:
            raise PydanticCustomError(
                "duplicate_sku", f"lines.{i}.sku: {sku} appears twice; one line per sku"
            )
        seen.add(sku)


class ReturnLineIn(In):
    sku: Sku
    quantity: Quantity


class ReturnIn(In):
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=200)]
    reason_code: ReturnReason
    resolution: Resolution
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""

    @model_validator(mode="after")
    def _lines_per_sku(self) -> Self:
        _one_per_sku([x.sku for x in self.lines])
        return self


class ReceivedLineIn(In):
    sku: Sku
    quantity: Quantity
    condition: Condition


class ReceiveIn(In):
    warehouse: WarehouseCode
    # A sku may come back in both conditions: one line each.
    lines: Annotated[list[ReceivedLineIn], Field(min_length=1, max_length=400)]


class ReturnLineOut(BaseModel):
    sku: str
    quantity: int
    # As received: back in stock, or written off.
    sellable: int
    damaged: int


class ReturnOut(BaseModel):
    rma: str
    order_id: str
    workflow_id: str
    # authorized | received | refunded | exchanged | expired
    status: str
    reason_code: str
    resolution: str
    comment: str
    created_by: str
    created_at: datetime
    goods_due_by: datetime | None
    warehouse: str | None
    received_by: str | None
    received_at: datetime | None
    refunded: Decimal | None
    exchange_shipment_id: str | None
    lines: list[ReturnLineOut]
