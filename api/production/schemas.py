"""Request and response bodies of the production routes."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from api.fields import In
from domain.custom import ProductionEventKind, ProductionStatus


class ProductionEventIn(In):
    """One of the plant's events: started, material_short, finished, quality_passed,
    quality_failed (with what was wrong in `detail`)."""

    event: ProductionEventKind
    detail: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ProductionEventOut(BaseModel):
    event: ProductionEventKind
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
