"""An order's priority from rules as data: the first rule that matches, in the order of the
priorities (urgent before high); normal when none does.

The priority orders the warehouse's pick lists and the stock queue, and rides on the
order's workflow as Temporal task priority (a backlog serves urgent orders first).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"


# Temporal's priority key: 1 is served first; the SDK's default (unset) counts as 3.
TASK_PRIORITY_KEY = {Priority.URGENT: 1, Priority.HIGH: 2, Priority.NORMAL: 3}
RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2}


class PriorityRule(BaseModel):
    """Any given criterion matching gives the rule's priority."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    priority: Priority
    customer_tiers: list[Annotated[str, StringConstraints(max_length=16)]] = []
    min_total: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None
    shipping_methods: list[Annotated[str, StringConstraints(max_length=16)]] = []
    # A requested delivery date at most this many days ahead.
    delivery_within_days: Annotated[int, Field(ge=0, le=365)] | None = None


DEFAULT_PRIORITY_RULES: tuple[PriorityRule, ...] = (
    PriorityRule(priority=Priority.URGENT, delivery_within_days=2),
    PriorityRule(priority=Priority.URGENT, shipping_methods=["express"]),
    PriorityRule(priority=Priority.HIGH, customer_tiers=["vip"]),
    PriorityRule(priority=Priority.HIGH, min_total=Decimal("10000")),
)


@dataclass(frozen=True)
class PriorityFacts:
    tier: str
    total: Decimal
    shipping_method: str
    requested_delivery: date | None
    today: date


def _matches(rule: PriorityRule, f: PriorityFacts) -> bool:
    soon = (
        rule.delivery_within_days is not None
        and f.requested_delivery is not None
        and (f.requested_delivery - f.today).days <= rule.delivery_within_days
    )
    return (
        f.tier in rule.customer_tiers
        or (rule.min_total is not None and f.total >= rule.min_total)
        or f.shipping_method in rule.shipping_methods
        or soon
    )


def priority_of(rules: list[PriorityRule] | tuple[PriorityRule, ...], f: PriorityFacts) -> Priority:
    matched = [r.priority for r in rules if _matches(r, f)]
    return min(matched, key=RANK.__getitem__, default=Priority.NORMAL)
