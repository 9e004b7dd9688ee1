"""Custom (made-to-order) orders: the specification the customer signs off, the lead time
estimated at intake, and the production order's course through the plant's events.

A made-to-order product names its production time in days. An order's lead time is the
wait for the plant (the production days of the orders ahead, over the orders the plant works
on at once) plus its own longest production time. A production order moves on the plant's
events: started, material short (and started again once the material is in), finished, then
quality passed (the goods go into stock for the order) or failed: back to production for
rework, up to the policy's limit; past it, held for customer service, who sends it back for
one more rework or gives it up (failed for good: the order is cancelled).
Pure rules; the workflow and the rows use them.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

DEFAULT_PLANT_CAPACITY = 5
DEFAULT_MAX_REWORKS = 2


class ProductionEventKind(StrEnum):
    STARTED = "started"
    MATERIAL_SHORT = "material_short"
    FINISHED = "finished"
    QUALITY_PASSED = "quality_passed"
    QUALITY_FAILED = "quality_failed"


class ProductionStatus(StrEnum):
    CREATED = "created"  # sent to the plant, not started
    IN_PROGRESS = "in_progress"
    MATERIAL_SHORT = "material_short"
    FINISHED = "finished"  # waiting for quality control
    REWORK = "rework"  # quality failed: back to production
    HELD = "held"  # quality failed past the reworks allowed: customer service decides
    PASSED = "passed"  # final: the goods are received
    FAILED = "failed"  # final: customer service gave it up


class ServiceDecision(StrEnum):
    """Customer service's answer to a production order held past its reworks."""

    REWORK = "rework"
    CANCEL = "cancel"


E, P = ProductionEventKind, ProductionStatus
FINAL = frozenset({P.PASSED, P.FAILED})

_NEXT: dict[tuple[ProductionStatus, ProductionEventKind], ProductionStatus] = {
    (P.CREATED, E.STARTED): P.IN_PROGRESS,
    (P.CREATED, E.MATERIAL_SHORT): P.MATERIAL_SHORT,
    (P.IN_PROGRESS, E.MATERIAL_SHORT): P.MATERIAL_SHORT,
    (P.MATERIAL_SHORT, E.STARTED): P.IN_PROGRESS,
    (P.IN_PROGRESS, E.FINISHED): P.FINISHED,
    (P.FINISHED, E.QUALITY_PASSED): P.PASSED,
    (P.REWORK, E.STARTED): P.IN_PROGRESS,
    (P.REWORK, E.MATERIAL_SHORT): P.MATERIAL_SHORT,
}


@dataclass(frozen=True)
class ProductionState:
    status: ProductionStatus = P.CREATED
    reworks: int = 0


def refusal(state: ProductionState, event: ProductionEventKind) -> str | None:
    """Why the plant's event does not fit the production order now (None: it does)."""
    if state.status in FINAL:
        return f"the production order has {state.status}"
    if state.status == P.HELD:
        return "the production order is held for customer service's decision"
    if event == E.QUALITY_FAILED:
        return None if state.status == P.FINISHED else "quality is checked once it is finished"
    if (state.status, event) not in _NEXT:
        return f"{event} does not follow {state.status}"
    return None


def after(state: ProductionState, event: ProductionEventKind, max_reworks: int) -> ProductionState:
    """The state once the event is taken (refusal(state, event) is None)."""
    if event == E.QUALITY_FAILED:
        reworks = state.reworks + 1
        return ProductionState(P.HELD if reworks > max_reworks else P.REWORK, reworks)
    return ProductionState(_NEXT[(state.status, event)], state.reworks)


def decision_refusal(state: ProductionState) -> str | None:
    """Why customer service cannot decide now (None: the order is held for it)."""
    if state.status != P.HELD:
        return f"the production order is {state.status}: nothing waits for a decision"
    return None


def decided(state: ProductionState, decision: ServiceDecision) -> ProductionState:
    """One more rework (the next failure is held again), or failed for good."""
    status = P.REWORK if decision == ServiceDecision.REWORK else P.FAILED
    return ProductionState(status, state.reworks)


def estimate_ready(
    today: date, production_days: Sequence[int], queue_days: Sequence[int], capacity: int
) -> date:
    """When the goods should be ready: the plant's queue (the production days of the orders
    ahead, worked `capacity` at a time) and then the longest of the order's own."""
    wait = math.ceil(sum(queue_days) / max(capacity, 1))
    return today + timedelta(days=wait + max(production_days, default=0))
