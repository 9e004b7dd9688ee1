"""Request and response bodies of the production routes."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from api.fields import In
from domain.custom import ProductionEventKind, ProductionStatus, ServiceDecision


class ProductionEventIn(In):
    """One of the plant's events: started, material_short, finished, quality_passed,
    quality_failed (with what was wrong in `detail`)."""

    event: ProductionEventKind
    detail: Annotated[str, StringConstraints(max_length=2000)] | None = None


class DecisionIn(In):
    """Customer service on a production order held past its reworks (after talking to the
    customer): `rework` once more, or `cancel` (the order is cancelled, what was paid
    refunded)."""

    decision: ServiceDecision
    comment: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ProductionEventOut(BaseModel):
    # One of the plant's events, or customer service's decision (service_rework, service_cancel).
    event: str
    detail: str | None
    actor: str
    at: datetime


class ProductionOrderOut(BaseModel):
    id: str
    order_id: str
    plant_ref: str
    status: ProductionStatus
    reworks: int
    estimated_ready: date
    finished_at: datetime | None
    events: list[ProductionEventOut]
