"""Request and response bodies of the warehouse routes."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.fields import In
from domain.messages import ExceptionAction, Packaging

Centimetres = Annotated[Decimal, Field(gt=0, le=1000, max_digits=7, decimal_places=1)]


class PackageIn(In):
    weight_kg: Annotated[Decimal, Field(gt=0, le=1000, max_digits=8, decimal_places=3)]
    length_cm: Centimetres
    width_cm: Centimetres
    height_cm: Centimetres


class PackedIn(In):
    packages: Annotated[list[PackageIn], Field(min_length=1, max_length=50)]
    packaging: Packaging = Packaging.STANDARD


class ResolutionIn(In):
    action: ExceptionAction
    comment: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ShipmentExceptionOut(BaseModel):
    order_id: str
    shipment_id: str
    warehouse: str | None
    tracking_number: str
    detail: str
    reported_at: datetime
    customer_id: str
    shipping_method: str


class FulfilmentKpis(BaseModel):
    # Orders in each stage where goods wait or stall (stock, customer, picking, ...).
    orders_by_stage: dict[str, int]
    open_shipment_exceptions: int
    late_orders: int
    # Of the orders delivered, the share flagged late first.
    late_share: Decimal | None


class PackedOut(BaseModel):
    shipment_id: str
    order_id: str
    warehouse: str | None
    status: str
    order_status: str


class PickListLine(BaseModel):
    sku: str
    name: str
    quantity: int
    bin_location: str | None


class PickListOut(BaseModel):
    shipment_id: str
    order_id: str
    warehouse: str
    shipping_method: str
    priority: str
    requested_delivery_date: date | None
    issued_at: datetime
    lines: list[PickListLine]
