"""Request and response bodies of the approval routes."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)

from api.fields import In
from domain.messages import Decision


class ApprovalOut(BaseModel):
    level: str
    current_level: str | None
    status: str
    mode: str
    approvers_needed: int
    approvers_given: int
    reasons: list[str]
    rule_ids: list[str]
    decided_by: str | None
    comment: str | None
    decided_at: datetime | None
    opened_at: datetime | None
    deadline: datetime | None


class DecisionIn(In):
    decision: Decision
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""
    decision_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class DecisionOut(BaseModel):
    order_id: str
    level: str
    decision: Decision
    decision_id: str
    status: str
    pending_levels: list[str]


class MyDecision(BaseModel):
    order_id: str
    level: str
    decision: str
    on_behalf_of: str | None
    comment: str
    decided_at: datetime


class PendingApproval(BaseModel):
    order_id: str
    level: str
    reasons: list[str]
    total: Decimal
    customer_id: str
    created_by: str
    requested_at: datetime


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


class ApprovalKpis(BaseModel):
    reviewed: int
    auto_approved: int
    needed_approval: int
    rejected_at_review: int
    auto_approved_share: Decimal | None = Field(description="auto_approved / reviewed, 0..1")
    pending_by_level: dict[str, int]
