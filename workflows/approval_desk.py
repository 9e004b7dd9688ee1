"""The approval desk inside an order workflow: which levels are open, who may decide, and
when reminders, escalations and the final timeout fall due.

Plain state and rules, no activities: OrderWorkflow drives it. Runs in the sandbox, so it
reads time only from the values the workflow hands in.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from temporalio.exceptions import ApplicationError

from domain.authority import (
    check_four_eyes,
    check_level,
    check_second_person,
    parties_of,
    people,
)
from domain.messages import (
    ApprovalDecisionInput,
    ApprovalStep,
    Decision,
    OrderWorkflowInput,
    StepEventKind,
)
from domain.policy import open_levels
from domain.refusals import FORBIDDEN, NOT_ALLOWED_NOW
from domain.roles import ApprovalLevel
from workflows.approval_path import permitted


class StepStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass
class Step:
    spec: ApprovalStep
    current: ApprovalLevel
    status: StepStatus = StepStatus.PENDING
    approved_by: list[str] = field(default_factory=list)
    opened_at: datetime | None = None
    reminded: bool = False
    escalated: bool = False

    def due(self, kind: StepEventKind | None) -> datetime | None:
        """When the step's next event of this kind falls due (None: never)."""
        assert self.opened_at is not None
        if kind == StepEventKind.REMIND:
            return None if self.reminded else self.opened_at + self.spec.remind_after
        if kind == StepEventKind.ESCALATE:
            after = self.spec.escalate_after
            if self.escalated or after is None or self.spec.escalate_to is None:
                return None
            return self.opened_at + after
        return self.opened_at + self.spec.expire_after


class ApprovalDesk:
    def __init__(self, order: OrderWorkflowInput, steps: list[ApprovalStep]) -> None:
        self.order = order
        self.steps = [Step(spec=s, current=s.level) for s in steps]
        self.rejection: ApprovalDecisionInput | None = None
        # Bumped by every decision, so the desk's wait wakes up to look again.
        self.changes = 0

    def step(self, level: ApprovalLevel) -> Step | None:
        return next((s for s in self.steps if s.spec.level == level), None)

    def pending(self) -> list[Step]:
        return [s for s in self.steps if s.status == StepStatus.PENDING]

    def open_steps(self) -> list[Step]:
        """Parallel levels are open at once; sequential ones one after another, in order."""
        pending = self.pending()
        opened = open_levels([(s.spec.level, s.spec.mode) for s in pending])
        return [s for s in pending if s.spec.level in opened]

    def settled(self) -> bool:
        return self.rejection is not None or not self.pending()

    def check(
        self, d: ApprovalDecisionInput, final: bool, now: datetime, via_link: bool = False
    ) -> Step:
        """Raises an ApplicationError naming why this decision may not be taken now.

        via_link: the customer's answer through their signed confirmation link.
        """
        who = people(d.decided_by, d.on_behalf_of)
        permitted(lambda: check_four_eyes(who, parties_of(self.order)))
        if final or self.rejection is not None:
            raise ApplicationError("the order is no longer awaiting approval", type=NOT_ALLOWED_NOW)
        step = self.step(d.level)
        if step is None or step.status != StepStatus.PENDING:
            raise ApplicationError(f"no pending {d.level} approval", type=NOT_ALLOWED_NOW)
        deadline = step.due(None) if step.opened_at is not None else None
        if deadline is not None and deadline < now + _EPSILON:
            # Its timer has fired; the workflow is rejecting the order for the timeout.
            raise ApplicationError(
                f"the {step.current} approval has timed out", type=NOT_ALLOWED_NOW
            )
        if step not in self.open_steps():
            raise ApplicationError(
                f"the {d.level} approval is not open yet: earlier levels decide first",
                type=NOT_ALLOWED_NOW,
            )
        customer_turn = step.current == ApprovalLevel.CUSTOMER
        if via_link and not customer_turn:
            raise ApplicationError(
                "the confirmation link has expired: customer service holds the order",
                type=NOT_ALLOWED_NOW,
            )
        if customer_turn and not via_link:
            raise ApplicationError("only the customer confirms, through their link", type=FORBIDDEN)
        if not via_link:
            permitted(lambda: check_level(d.role, step.current))
        permitted(lambda: check_second_person(who, step.approved_by))
        return step

    def apply(self, step: Step, d: ApprovalDecisionInput) -> None:
        self.changes += 1
        if d.decision == Decision.REJECT:
            step.status = StepStatus.REJECTED
            self.rejection = d
            return
        step.approved_by.append(d.on_behalf_of or d.decided_by)
        if len(step.approved_by) >= step.spec.approvers:
            step.status = StepStatus.APPROVED

    def next_due(self) -> datetime | None:
        times = [
            t
            for s in self.open_steps()
            for kind in (StepEventKind.REMIND, StepEventKind.ESCALATE, None)
            if s.opened_at is not None and (t := s.due(kind)) is not None
        ]
        return min(times, default=None)

    def expired(self, now: datetime) -> Step | None:
        for s in self.open_steps():
            deadline = s.due(None) if s.opened_at is not None else None
            if deadline is not None and deadline < now + _EPSILON:
                return s
        return None

    def due_events(self, now: datetime) -> list[tuple[Step, StepEventKind]]:
        """Escalations before reminders: an escalated step reminds its new level anyway."""
        events: list[tuple[Step, StepEventKind]] = []
        for s in self.open_steps():
            if s.opened_at is None:
                continue  # opened (and its clock started) by the run loop first
            for kind in (StepEventKind.ESCALATE, StepEventKind.REMIND):
                t = s.due(kind)
                if t is not None and t < now + _EPSILON:
                    events.append((s, kind))
        return events

    def levels(self, status: StepStatus) -> list[ApprovalLevel]:
        return [s.spec.level for s in self.steps if s.status == status]


# Timers fire on the due time; compare with a millisecond's slack.
_EPSILON = timedelta(milliseconds=1)
