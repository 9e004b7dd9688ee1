"""Made-to-order rules: the production order's course on the plant's events (rework up to
the limit, then failed for good), and the lead time from the plant's queue."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.custom import (
    ProductionEventKind,
    ProductionState,
    ProductionStatus,
    ServiceDecision,
    after,
    decided,
    decision_refusal,
    estimate_ready,
    refusal,
)

E, P = ProductionEventKind, ProductionStatus


def run(events: list[ProductionEventKind], max_reworks: int = 2) -> ProductionState:
    state = ProductionState()
    for e in events:
        assert refusal(state, e) is None, (state, e)
        state = after(state, e, max_reworks)
    return state


def test_a_production_order_passes_after_a_rework() -> None:
    first = [E.STARTED, E.MATERIAL_SHORT, E.STARTED, E.FINISHED, E.QUALITY_FAILED]
    state = run([*first, E.STARTED, E.FINISHED, E.QUALITY_PASSED])
    assert state == ProductionState(P.PASSED, reworks=1)


def test_past_the_reworks_allowed_customer_service_decides() -> None:
    cycle = [E.STARTED, E.FINISHED, E.QUALITY_FAILED]
    assert run(cycle * 2, max_reworks=2).status == P.REWORK
    held = run(cycle * 3, max_reworks=2)
    assert held == ProductionState(P.HELD, reworks=3)
    assert refusal(held, E.STARTED) is not None  # the plant waits for the decision
    assert decision_refusal(run(cycle, max_reworks=2)) is not None  # nothing to decide
    # One more rework: a further failure is held again.
    again = decided(held, ServiceDecision.REWORK)
    assert again == ProductionState(P.REWORK, reworks=3)
    state = again
    for e in cycle:
        state = after(state, e, 2)
    assert state == ProductionState(P.HELD, reworks=4)
    failed = decided(state, ServiceDecision.CANCEL)
    assert failed.status == P.FAILED
    assert refusal(failed, E.STARTED) == "the production order has failed"


@pytest.mark.parametrize(
    ("events", "event"),
    [
        ([], E.FINISHED),
        ([], E.QUALITY_PASSED),
        ([E.STARTED], E.QUALITY_FAILED),
        ([E.STARTED, E.FINISHED], E.STARTED),
        ([E.STARTED, E.FINISHED, E.QUALITY_PASSED], E.QUALITY_FAILED),
    ],
)
def test_an_event_out_of_turn_is_refused(
    events: list[ProductionEventKind], event: ProductionEventKind
) -> None:
    assert refusal(run(events), event) is not None


@given(st.lists(st.sampled_from(list(E)), max_size=30), st.integers(0, 3))
def test_whatever_the_plant_sends_the_state_stays_sound(
    events: list[ProductionEventKind], limit: int
) -> None:
    state = ProductionState()
    for e in events:
        if refusal(state, e) is None:
            state = after(state, e, limit)
        assert state.reworks <= limit + 1
        assert (state.status == P.HELD) == (state.reworks > limit)


def test_the_lead_time_counts_the_queue_ahead_over_the_plants_capacity() -> None:
    today = date(2026, 12, 3)
    assert estimate_ready(today, [10, 4], [], 5) == date(2026, 12, 13)
    # 12 production days ahead, worked 5 at a time: 3 days' wait first.
    assert estimate_ready(today, [10], [5, 5, 2], 5) == date(2026, 12, 16)
