"""Response bodies of the audit routes."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    order_id: str | None
    decision_id: str | None
    result: str
    detail: str
    request_id: str | None
    client_addr: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: int | None


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Every retry used up: listed for operations, sent again by POST /notifications/{id}/retry.
    DEAD = "dead"
    SKIPPED = "skipped"


class NotificationOut(BaseModel):
    id: int
    order_id: str | None
    kind: str
    recipient: str
    language: str
    subject: str
    body: str
    created_at: datetime
    status: NotificationStatus
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
