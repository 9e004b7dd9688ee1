"""What an approval path offers the order workflow (the workflow side is `workflows/host.py`).

The `approval-desk-v1` patch chooses between two objects with this interface: the approval
desk (`workflows/desk_approvals.py`) and the one-wait path of orders started before it
(`workflows/legacy_approvals.py`). Both run in the workflow sandbox.
"""

from collections.abc import Callable
from typing import Protocol

from temporalio.exceptions import ApplicationError

from domain.authority import NotPermitted, check_four_eyes, check_level, parties_of, people
from domain.messages import (
    ApprovalDecisionInput,
    ApprovalState,
    ConfirmationInput,
    Decision,
    OrderWorkflowInput,
)
from domain.refusals import FORBIDDEN, NOT_ALLOWED_NOW
from domain.roles import ApprovalLevel


class ApprovalPath(Protocol):
    """Waits for the order's approvals and takes the decisions that arrive meanwhile."""

    def pending_levels(self) -> list[ApprovalLevel]: ...

    def open_levels(self) -> list[ApprovalLevel]: ...

    async def run(self) -> bool:
        """True once approved (the order moved on); False when it was closed instead."""
        ...

    def validate(self, d: ApprovalDecisionInput) -> None: ...

    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState: ...

    def validate_confirmation(self, c: ConfirmationInput) -> None: ...

    async def confirm(self, c: ConfirmationInput) -> ApprovalState: ...


def permitted(check: Callable[[], None]) -> None:
    """Runs a domain authority check; its refusal becomes what the workflow's callers receive
    (a Forbidden ApplicationError: 403 at the API)."""
    try:
        check()
    except NotPermitted as refusal:
        raise ApplicationError(str(refusal), type=FORBIDDEN) from None


def check_confirmer(
    d: ApprovalDecisionInput, order: OrderWorkflowInput, requester: str, level: ApprovalLevel
) -> None:
    """Who may confirm a person's request (a cancellation, an address change): the level's
    role, independent of the order (four-eyes) and not the one who asked."""
    who = people(d.decided_by, d.on_behalf_of)
    permitted(lambda: check_level(d.role, level))
    permitted(lambda: check_four_eyes(who, parties_of(order)))

    def not_the_requester() -> None:
        if requester in who:
            raise NotPermitted("nobody confirms a request they made")

    permitted(not_the_requester)


def request_answer(status: str, level: ApprovalLevel, d: ApprovalDecisionInput) -> ApprovalState:
    """What the decider of a person's request (a cancellation, an address change) is told."""
    approved = d.decision == Decision.APPROVE
    return ApprovalState(
        status=status,
        pending_levels=[],
        approved_levels=[level] if approved else [],
        rejected=not approved,
        decision_id=d.decision_id,
    )


def rejection_reason(r: ApprovalDecisionInput) -> str:
    note = f": {r.comment}" if r.comment else ""
    return f"{r.level} rejected{note}"


def no_approval_pending() -> ApplicationError:
    return ApplicationError("no approval is pending for this order", type=NOT_ALLOWED_NOW)
