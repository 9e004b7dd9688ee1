"""Request and response models of the approval desk, access and audit endpoints."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from api.schemas import In, Instant
from domain.policy import PolicyDocument
from domain.roles import Role

Username = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class PolicyOut(BaseModel):
    version: int
    document: PolicyDocument
    comment: str
    created_by: str
    created_at: datetime | None


class PolicyIn(In):
    document: PolicyDocument
    comment: Annotated[str, StringConstraints(max_length=500)] = ""


class CustomerAccount(BaseModel):
    name: str
    tier: str
    open_balance: Decimal
    orders_placed: int
    orders_value: Decimal


class InboxItem(BaseModel):
    order_id: str
    level: str
    current_level: str
    # Set when this user decides as a stand-in for that approver.
    on_behalf_of: str | None
    reasons: list[str]
    approvers_needed: int
    approvers_given: int
    opened_at: datetime | None
    deadline: datetime | None
    seconds_left: int | None
    escalated: bool
    total: Decimal
    currency: str
    channel: str
    payment_method: str
    created_by: str
    created_at: datetime
    customer_id: str
    customer: CustomerAccount


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_offset: int | None


class DelegationIn(In):
    stand_in: Username
    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        return self


class DelegationOut(BaseModel):
    id: int
    delegator: str
    stand_in: str
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None


class UserIn(In):
    """Create or change a person: their role, whether they may sign in, their approval limit."""

    role: Role
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    active: bool = True
    approval_limit: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None


class UserOut(BaseModel):
    username: str
    role: str
    display_name: str
    active: bool
    approval_limit: Decimal | None


class ApiKeyIn(In):
    """Keys are for upstream systems only: a person signs in with their own token."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")]


class ApiKeyOut(BaseModel):
    id: str
    name: str
    role: str
    created_by: str
    created_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    # Shown once: only its hash is stored.
    key: str


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


class ConfirmationAnswer(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"


class ConfirmationIn(In):
    decision: ConfirmationAnswer
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class RelayedAnswerIn(In):
    """The customer's answer as customer service heard it (by phone, say)."""

    decision: ConfirmationAnswer
    comment: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    decision_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class ConfirmationOut(BaseModel):
    order_id: str
    decision: ConfirmationAnswer
    status: str


class OwnerIn(In):
    owner: Username


class ApprovalKpis(BaseModel):
    reviewed: int
    auto_approved: int
    needed_approval: int
    rejected_at_review: int
    auto_approved_share: Decimal | None = Field(description="auto_approved / reviewed, 0..1")
    pending_by_level: dict[str, int]


class NotificationOut(BaseModel):
    id: int
    order_id: str | None
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: datetime
