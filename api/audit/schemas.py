"""Response bodies of the audit routes."""

from datetime import datetime

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


class NotificationOut(BaseModel):
    id: int
    order_id: str | None
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: datetime
