"""The approval path of orders started before the approval desk (`approval-desk-v1`): one wait
for every level, one decision each, the creator kept from deciding.

Kept only so that such orders replay and finish; the README's operations section says how to
find them and when this module can go.
"""

from temporalio.exceptions import ApplicationError

from activities.approvals import ApprovalActivities
from domain.authority import Parties, check_four_eyes, check_level
from domain.messages import (
    ApprovalDecisionInput,
    ApprovalState,
    ConfirmationInput,
    Decision,
    DecisionRecord,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.roles import ApprovalLevel
from domain.status import FINAL_STATUSES, OrderStatus, status_after_stock
from workflows.approval_path import permitted, rejection_reason
from workflows.host import OrderHost


class LegacyApprovals:
    def __init__(self, host: OrderHost, levels: list[ApprovalLevel]) -> None:
        self.host = host
        self.pending = list(levels)
        self.approved: list[ApprovalLevel] = []
        self.rejection: ApprovalDecisionInput | None = None

    def pending_levels(self) -> list[ApprovalLevel]:
        return list(self.pending)

    def open_levels(self) -> list[ApprovalLevel]:
        return []

    async def run(self) -> bool:
        host = self.host
        decided = await host.wait(
            lambda: not self.pending or self.rejection is not None,
            host.order.timeouts.approval_wait,
        )
        if self.rejection is not None:
            r = self.rejection
            await host.close(OrderStatus.REJECTED, rejection_reason(r), r.decided_by)
            return False
        if not decided:
            await host.close(OrderStatus.REJECTED, "timeout: no approval decision in time")
            return False
        await host.change_status(
            status_after_stock(False, host.payment_due()), "all approvals given"
        )
        return True

    def validate(self, d: ApprovalDecisionInput) -> None:
        self._check(d)

    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState:
        async with self.host.lock:
            # Checked again under the lock: a decision that arrived first may have settled it.
            self._check(d)
            await self.host.run_activity(
                ApprovalActivities.record_decision,
                DecisionRecord(order_id=self.host.order.order_id, decision=d),
            )
            self.pending.remove(d.level)
            if d.decision == Decision.APPROVE:
                self.approved.append(d.level)
            else:
                self.rejection = d
        return ApprovalState(
            status=self.host.status,
            pending_levels=list(self.pending),
            approved_levels=list(self.approved),
            rejected=self.rejection is not None,
        )

    def validate_confirmation(self, c: ConfirmationInput) -> None:
        raise ApplicationError("this order asks for no confirmation", type=NOT_ALLOWED_NOW)

    async def confirm(self, c: ConfirmationInput) -> ApprovalState:
        raise ApplicationError("this order asks for no confirmation", type=NOT_ALLOWED_NOW)

    def _check(self, d: ApprovalDecisionInput) -> None:
        # As released: the creator only (the customer's owner joined four-eyes with the desk).
        parties = Parties(created_by=self.host.order.created_by)
        permitted(lambda: check_four_eyes([d.decided_by], parties))
        permitted(lambda: check_level(d.role, d.level))
        if self.host.status in FINAL_STATUSES or self.rejection is not None:
            raise ApplicationError(f"order is {self.host.status}", type=NOT_ALLOWED_NOW)
        if d.level not in self.pending:
            raise ApplicationError(f"no pending {d.level} approval", type=NOT_ALLOWED_NOW)
