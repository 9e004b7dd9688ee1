"""The approval desk's path through an order: each level opens in its turn, reminds, escalates
and times out on the policy's clock; decisions are checked, recorded and applied once."""

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from activities.approvals import ApprovalActivities
from domain.messages import (
    ApprovalDecisionInput,
    ApprovalState,
    ApprovalStep,
    ConfirmationInput,
    Decision,
    DecisionRecord,
    StepEvent,
    StepEventKind,
    StepOpening,
)
from domain.refusals import FORBIDDEN
from domain.roles import ApprovalLevel
from domain.status import FINAL_STATUSES, OrderStatus
from workflows.approval_desk import ApprovalDesk, Step, StepStatus
from workflows.approval_path import rejection_reason
from workflows.host import OrderHost


def _changed_since(desk: ApprovalDesk, seen: int) -> Callable[[], bool]:
    return lambda: desk.changes != seen


class DeskApprovals:
    def __init__(self, host: OrderHost, steps: list[ApprovalStep]) -> None:
        self.host = host
        self.desk = ApprovalDesk(host.order, steps)
        # The levels still pending, as the workflow reports them; from the review at first.
        self.pending = [s.level for s in steps]
        # Results by decision id: the same decision sent twice is applied once.
        self.decisions: dict[str, ApprovalState] = {}

    def pending_levels(self) -> list[ApprovalLevel]:
        return list(self.pending)

    def open_levels(self) -> list[ApprovalLevel]:
        return [s.current for s in self.desk.open_steps()]

    async def run(self) -> bool:
        """Open each level in its turn; remind, escalate and time out on the policy's clock."""
        desk, host = self.desk, self.host
        while not desk.settled():
            now = workflow.now()
            for step in desk.open_steps():
                if step.opened_at is None:
                    step.opened_at = now
                    await host.run_activity(ApprovalActivities.open_step, self._opening(step))
            host.ops.pending_levels([str(s.current) for s in desk.open_steps()])
            expired = desk.expired(workflow.now())
            if expired is not None:
                reason = f"timeout: {expired.current} approval not given in time"
                await host.close(OrderStatus.REJECTED, reason)
                return False
            for step, kind in desk.due_events(workflow.now()):
                await self._step_event(step, kind)
            due = desk.next_due()
            if due is None:
                # A decision landed while an activity above ran (a worker dying or the
                # database hanging stretches one to 30 s and more): the desk is settled, or
                # the next level opened and is still to be opened here. Look again. (This
                # failed the workflow task for good before; such orders now carry on.)
                continue
            wait = max(due - workflow.now(), timedelta(seconds=1))
            await host.wait(_changed_since(desk, desk.changes), wait)
        if desk.rejection is not None:
            r = desk.rejection
            await host.close(OrderStatus.REJECTED, rejection_reason(r), r.decided_by)
            return False
        await host.change_status(host.after_approvals(), "all approvals given")
        return True

    def validate(self, d: ApprovalDecisionInput) -> None:
        if d.decision_id not in self.decisions:
            self.desk.check(d, self._final(), workflow.now())

    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState:
        return await self._apply(d, via_link=False)

    def validate_confirmation(self, c: ConfirmationInput) -> None:
        if c.decision_id not in self.decisions:
            self.desk.check(self._as_decision(c), self._final(), workflow.now(), via_link=True)

    async def confirm(self, c: ConfirmationInput) -> ApprovalState:
        return await self._apply(self._as_decision(c), via_link=True)

    def _final(self) -> bool:
        return self.host.status in FINAL_STATUSES

    def _as_decision(self, c: ConfirmationInput) -> ApprovalDecisionInput:
        return ApprovalDecisionInput(
            level=ApprovalLevel.CUSTOMER,
            decision=Decision.APPROVE if c.confirm else Decision.REJECT,
            decided_by=f"customer:{self.host.order.customer_id}",
            role=None,
            comment=c.comment,
            decision_id=c.decision_id,
            request_id=c.request_id,
            client_addr=c.client_addr,
        )

    async def _apply(self, d: ApprovalDecisionInput, via_link: bool) -> ApprovalState:
        desk, host = self.desk, self.host
        async with host.lock:
            if d.decision_id in self.decisions:
                return self.decisions[d.decision_id]
            # Checked again under the lock: a decision that arrived first may have settled it.
            step = desk.check(d, self._final(), workflow.now(), via_link)
            record = DecisionRecord(
                order_id=host.order.order_id, decision=d, current_level=step.current
            )
            try:
                await host.run_activity(ApprovalActivities.record_approval_decision, record)
            except ActivityError as err:
                # The database knows the approver's authority and delegations; a refusal
                # there fails this update only.
                cause = err.cause
                if isinstance(cause, ApplicationError) and cause.type == FORBIDDEN:
                    raise ApplicationError(cause.message, type=FORBIDDEN) from None
                raise
            desk.apply(step, d)
            self.pending = [s.spec.level for s in desk.pending()]
            state = ApprovalState(
                status=host.status,
                pending_levels=list(self.pending),
                approved_levels=desk.levels(StepStatus.APPROVED),
                rejected=desk.rejection is not None,
                decision_id=d.decision_id,
                open_levels=[s.current for s in desk.open_steps()],
            )
            if d.decision_id:
                self.decisions[d.decision_id] = state
        return state

    def _opening(self, step: Step) -> StepOpening:
        assert step.opened_at is not None
        return StepOpening(
            order_id=self.host.order.order_id,
            level=step.spec.level,
            current_level=step.current,
            opened_at=step.opened_at,
            remind_at=step.opened_at + step.spec.remind_after,
            escalate_at=step.due(StepEventKind.ESCALATE),
            deadline=step.opened_at + step.spec.expire_after,
        )

    async def _step_event(self, step: Step, kind: StepEventKind) -> None:
        if kind == StepEventKind.ESCALATE:
            assert step.spec.escalate_to is not None
            step.escalated = True
            step.current = step.spec.escalate_to
        else:
            step.reminded = True
        deadline = step.due(None)
        assert deadline is not None
        await self.host.run_activity(
            ApprovalActivities.step_event,
            StepEvent(
                order_id=self.host.order.order_id,
                level=step.spec.level,
                kind=kind,
                at=workflow.now(),
                current_level=step.current,
                deadline=deadline,
            ),
        )
