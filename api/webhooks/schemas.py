"""Webhook subscriptions and deliveries as the API shows them (a secret is never shown)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from api.fields import In
from domain.webhooks import WebhookEvent


class SubscriptionIn(In):
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,1990}$", max_length=2000)]
    events: Annotated[list[WebhookEvent], Field(min_length=1, max_length=len(WebhookEvent))]
    # Signs every delivery (HMAC-SHA256); the receiver keeps it to check them.
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)]

    @model_validator(mode="after")
    def _events_once(self) -> Self:
        if len(set(self.events)) != len(self.events):
            raise ValueError("events: each event once")
        return self


class SubscriptionOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_by: str
    created_at: datetime


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    subscription_id: int
    event: str
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    response_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
