"""Cancelling an order: at once, or, for an approved order above the policy's threshold, once
the cancellation level (a sales supervisor or a manager) confirms it on the approval desk.
Until then the order does not ship; a refusal lets it go on."""

from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from activities.cancellations import CancellationActivities
from activities.orders import OrderActivities
from domain.cancellation import CancelReason
from domain.messages import (
    ApprovalDecisionInput,
    ApprovalState,
    CancelInput,
    CancellationDecision,
    CancellationRequest,
    CloseRequest,
    CompensationRequest,
    CompensationStep,
    Decision,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.roles import ApprovalLevel
from domain.status import (
    APPROVED_STATUSES,
    CANCELLABLE_STATUSES,
    FINAL_STATUSES,
    WITHDRAWABLE_STATUSES,
    OrderStatus,
)
from workflows.approval_path import check_confirmer, request_answer
from workflows.host import OrderHost

LEVEL = ApprovalLevel.CANCELLATION
# Closing undoes the order's effects as separate, recorded compensation steps; before it, the
# closing activity undid them all in one transaction.
SAGA_PATCH = "compensation-saga-v1"


class Cancelled(Exception):
    """Raised inside the workflow when an accepted cancellation interrupts a stage."""


class Cancellation:
    def __init__(self, host: OrderHost) -> None:
        self.host = host
        # The cancellation the order carries out (it interrupts whatever the order waits for).
        self.accepted: CancelInput | None = None
        # A costly one, waiting for its confirmation.
        self.requested: CancelInput | None = None
        # From the policy version that reviewed the order; None: never asks.
        self.confirm_above: Decimal | None = None

    def check(self) -> None:
        if self.accepted is not None:
            raise Cancelled()

    def closing(
        self, to: OrderStatus, reason: str, actor: str, code: CancelReason | None
    ) -> CloseRequest:
        """How the order closes; a person's cancellation is audited with the close."""
        request = CloseRequest(
            order_id=self.host.order.order_id,
            to=to,
            reason=reason,
            actor=actor,
            reason_code=code,
            compensate_separately=workflow.patched(SAGA_PATCH),
        )
        c = self.accepted
        if c is not None and actor == c.actor:
            request.role, request.request_id, request.client_addr = (
                c.role or "unknown",
                c.request_id,
                c.client_addr,
            )
        return request

    async def compensate(self, request: CloseRequest) -> list[str]:
        """The closing order's effects undone step by step before its final status (each
        retried until it succeeds, none twice); returns the waiting orders its released stock
        went to."""
        allocated: list[str] = []
        if request.compensate_separately:
            for step in CompensationStep:
                done = await self.host.run_activity(
                    OrderActivities.compensate,
                    CompensationRequest(
                        order_id=request.order_id, step=step, reason_code=request.reason_code
                    ),
                )
                allocated += done.allocated_orders
        return allocated

    def validate(self, request: CancelInput, goods_left: bool, withdrawable: bool) -> None:
        """goods_left: the carrier has (some of) the goods; withdrawable: bookings the carrier
        has not picked up yet can still be withdrawn (SHIPPED is still cancellable)."""
        host = self.host
        allowed = CANCELLABLE_STATUSES | (WITHDRAWABLE_STATUSES if withdrawable else frozenset())
        if self.requested is not None:
            raise ApplicationError(
                "a cancellation of this order already awaits confirmation", type=NOT_ALLOWED_NOW
            )
        if host.status not in allowed or goods_left:
            raise ApplicationError(
                f"an order in status {host.status} can no longer be cancelled",
                type=NOT_ALLOWED_NOW,
            )

    async def on_request(self, request: CancelInput) -> bool:
        """True when the cancellation waits for confirmation; False when it goes ahead."""
        host = self.host
        costly = (
            self.accepted is None
            and self.confirm_above is not None
            and host.status in APPROVED_STATUSES
            and host.order.total > self.confirm_above
        )
        if costly:
            self.requested = request
            await host.run_activity(
                CancellationActivities.request_cancellation,
                CancellationRequest(order_id=host.order.order_id, request=request),
            )
            return True
        if self.accepted is None:
            self.accepted = request
        return False

    def decides(self, d: ApprovalDecisionInput) -> bool:
        return self.requested is not None and d.level == LEVEL

    def validate_decision(self, d: ApprovalDecisionInput) -> None:
        assert self.requested is not None
        check_confirmer(d, self.host.order, self.requested.actor, LEVEL)
        if d.decision == Decision.APPROVE and self.host.goods_with_carrier():
            raise ApplicationError(
                "the carrier has picked the goods up: refuse this cancellation, a return is "
                "the way",
                type=NOT_ALLOWED_NOW,
            )

    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState:
        host = self.host
        async with host.lock:
            if self.requested is not None:
                await host.run_activity(
                    CancellationActivities.decide_cancellation,
                    CancellationDecision(order_id=host.order.order_id, decision=d),
                )
                if d.decision == Decision.APPROVE:
                    self.accepted = self.requested
                self.requested = None
        if d.decision == Decision.APPROVE:
            # The order's own flow carries it out: wait for that.
            await workflow.wait_condition(lambda: host.status in FINAL_STATUSES)
        return request_answer(host.status, LEVEL, d)
