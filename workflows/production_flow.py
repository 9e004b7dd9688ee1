"""ProductionWorkflow (`production-{order_id}`): a custom order's production at the plant,
a child of its order's workflow.

It follows the plant's events (`event` updates from `POST /production-orders/{id}/events`)
through domain/custom.py's course: started, material short, finished, then quality passed
(the goods are received into stock held for the order) or failed (rework, up to the limit;
past it, held for customer service's `decide`: one more rework, or given up). An event out
of turn is refused (409) and changes nothing.
"""

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.production import ProductionActivities
    from domain.custom import (
        FINAL,
        ProductionState,
        ProductionStatus,
        after,
        decided,
        decision_refusal,
        refusal,
    )
    from domain.messages import (
        ProductionEventInput,
        ProductionEventRecord,
        ProductionOutcome,
        ProductionStart,
        ServiceDecisionInput,
    )
    from domain.refusals import NOT_ALLOWED_NOW
    from workflows.host import refuse_unstorable, run_activity


def production_workflow_id(order_id: str) -> str:
    return f"production-{order_id}"


@workflow.defn(name="ProductionWorkflow")
class ProductionWorkflow:
    @workflow.init
    def __init__(self, start: ProductionStart) -> None:
        self.start = start
        self.state = ProductionState()
        # One event at a time: each is judged against the state the one before left.
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: ProductionStart) -> ProductionOutcome:
        await workflow.wait_condition(lambda: self.state.status in FINAL)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.status == ProductionStatus.PASSED:
            return await run_activity(ProductionActivities.receive_production, start)
        return self.outcome()

    def outcome(self) -> ProductionOutcome:
        return ProductionOutcome(status=self.state.status, reworks=self.state.reworks)

    @workflow.query(name="production_state")
    def production_state(self) -> ProductionOutcome:
        return self.outcome()

    @workflow.update(name="event")
    async def event(self, e: ProductionEventInput) -> ProductionOutcome:
        async with self.lock:
            why = refusal(self.state, e.event)
            if why is not None:
                raise ApplicationError(why, type=NOT_ALLOWED_NOW)
            then = after(self.state, e.event, self.start.max_reworks)
            await self._record(e.event, e.detail, e.actor, then)
            self.state = then
        return self.outcome()

    @event.validator
    def _validate_event(self, e: ProductionEventInput) -> None:
        refuse_unstorable(e)
        why = refusal(self.state, e.event)
        if why is not None:
            raise ApplicationError(why, type=NOT_ALLOWED_NOW)

    @workflow.update(name="decide")
    async def decide(self, d: ServiceDecisionInput) -> ProductionOutcome:
        """Customer service on a production order held past its reworks: one more rework,
        or given up (the order is cancelled)."""
        async with self.lock:
            why = decision_refusal(self.state)
            if why is not None:
                raise ApplicationError(why, type=NOT_ALLOWED_NOW)
            then = decided(self.state, d.decision)
            await self._record(f"service_{d.decision}", d.comment, d.actor, then)
            self.state = then
        return self.outcome()

    @decide.validator
    def _validate_decision(self, d: ServiceDecisionInput) -> None:
        refuse_unstorable(d)
        why = decision_refusal(self.state)
        if why is not None:
            raise ApplicationError(why, type=NOT_ALLOWED_NOW)

    async def _record(
        self, event: str, detail: str | None, actor: str, then: ProductionState
    ) -> None:
        await run_activity(
            ProductionActivities.record_production_event,
            ProductionEventRecord(
                production_order_id=self.start.production_order_id,
                order_id=self.start.order_id,
                event=event,
                detail=detail,
                actor=actor,
                status=then.status,
                reworks=then.reworks,
            ),
        )


__all__ = ["ProductionWorkflow", "production_workflow_id"]
