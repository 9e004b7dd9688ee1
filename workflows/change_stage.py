"""Changing a running order (`order-changes-v1`): one update makes a new version.

By stage:
- before the warehouse starts picking, anything may change: the new version is re-priced,
  reviewed again by the order's own flow (approvals are asked again, the changer joins
  four-eyes) and its stock adjusted by the difference;
- once picking started, only the ship-to address, and only with a sales supervisor's
  approval: a supervisor's (or a manager's) own change applies at once, anyone else's waits on
  the approval desk (level `address_change`) and the carrier is not booked meanwhile;
- once goods have left, nothing: a return is the way.

Orders started before it (no marker) refuse changes.
"""

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from activities.cancellations import CancellationActivities
from activities.changes import ChangeActivities
from domain.changes import refusal
from domain.messages import (
    ApprovalDecisionInput,
    ApprovalState,
    ChangeInput,
    ChangeRecord,
    ChangeResult,
    Decision,
    DeskRequest,
    DeskRequestDecision,
    OrderState,
)
from domain.refusals import NOT_ALLOWED_NOW
from domain.roles import DECIDERS, ApprovalLevel
from domain.status import FINAL_STATUSES
from workflows.approval_path import check_confirmer, request_answer
from workflows.host import OrderHost
from workflows.search_attributes import ORDER_TOTAL
from workflows.stock_stage import StockStage, nudge

CHANGES_PATCH = "order-changes-v1"
LEVEL = ApprovalLevel.ADDRESS_CHANGE


class Revised(Exception):
    """Raised inside the workflow when a change made a version its flow must review again."""


class Changes:
    def __init__(self, host: OrderHost, stock: StockStage) -> None:
        self.host = host
        self.stock = stock
        # Known when the order's flow starts: orders started before changes refuse them.
        self.enabled = False
        self.version = 1
        # A version the flow has to review again (set by a change, taken by the flow).
        self.revised: int | None = None
        # The last version reviewed again, and how many reservation attempts preceded it.
        self.reviewed = 1
        self._attempts_at_review = 0
        # The warehouse started picking: only the address may change now.
        self.lines_locked = False
        # An address change waiting for a supervisor.
        self.requested: ChangeInput | None = None

    def start(self) -> None:
        self.enabled = workflow.patched(CHANGES_PATCH)

    def check(self) -> None:
        if self.revised is not None:
            raise Revised()

    def take(self) -> int:
        """The version to review again (the flow caught Revised)."""
        assert self.revised is not None
        version, self.revised = self.revised, None
        return version

    def reviewed_again(self, version: int) -> None:
        self.reviewed = version
        self._attempts_at_review = self.stock.attempts

    def _settled(self, version: int) -> bool:
        """The flow reviewed this version and tried its reservation (or the order ended)."""
        tried = self.stock.attempts > self._attempts_at_review
        return self.host.status in FINAL_STATUSES or (self.reviewed >= version and tried)

    def validate(self, c: ChangeInput) -> None:
        if not self.enabled:
            raise ApplicationError("this order predates order changes", type=NOT_ALLOWED_NOW)
        host = self.host
        why = refusal(
            host.status,
            host.goods_left(),
            self.lines_locked,
            c.change,
            host.before_release(),
            host.order.order_type,
        )
        if why is None and self.requested is not None:
            why = "an address change already awaits a supervisor's confirmation"
        if why is not None:
            raise ApplicationError(why, type=NOT_ALLOWED_NOW)

    async def on_change(self, c: ChangeInput) -> OrderState:
        host = self.host
        async with host.lock:
            self.validate(c)  # again: the order may have moved on meanwhile
            if self.lines_locked and c.role not in DECIDERS[LEVEL]:
                self.requested = c
                await host.run_activity(
                    CancellationActivities.request_confirmation,
                    DeskRequest(
                        order_id=host.order.order_id,
                        level=LEVEL,
                        why=f"address change requested by {c.actor}: {c.change.reason}",
                        actor=c.actor,
                        role=c.role,
                        request_id=c.request_id,
                        client_addr=c.client_addr,
                    ),
                )
                return host.state()
            result = await self._apply(c)
            # Made after the first review: the flow reviews the new version again.
            if host.reviewed() and not self.lines_locked:
                self.revised = result.version
        for other in result.allocated_orders:
            await nudge(other)
        if self.revised is not None:
            # Answered once the flow has reviewed the version and tried its reservation.
            await workflow.wait_condition(
                lambda: (
                    host.status in FINAL_STATUSES
                    or (
                        self.reviewed >= result.version
                        and self.stock.attempts > self._attempts_at_review
                    )
                )
            )
        return host.state()

    async def _apply(self, c: ChangeInput) -> ChangeResult:
        host = self.host
        result = await host.run_activity(
            ChangeActivities.apply_change,
            ChangeRecord(order_id=host.order.order_id, change=c, version=self.version + 1),
        )
        self.version = result.version
        order = host.order
        order.total = result.total
        order.payment_method = result.payment_method
        order.shipping_method = result.shipping_method
        if c.actor not in order.changed_by:
            order.changed_by.append(c.actor)
        workflow.upsert_search_attributes([ORDER_TOTAL.value_set(float(result.total))])
        return result

    # --- the address change a supervisor confirms -----------------------------------------

    def decides(self, d: ApprovalDecisionInput) -> bool:
        return self.requested is not None and d.level == LEVEL

    def validate_decision(self, d: ApprovalDecisionInput) -> None:
        assert self.requested is not None
        check_confirmer(d, self.host.order, self.requested.actor, LEVEL)

    async def decide(self, d: ApprovalDecisionInput) -> ApprovalState:
        host = self.host
        async with host.lock:
            c = self.requested
            if c is not None:
                await host.run_activity(
                    CancellationActivities.decide_request,
                    DeskRequestDecision(order_id=host.order.order_id, level=LEVEL, decision=d),
                )
                if d.decision == Decision.APPROVE:
                    await self._apply(c)
                self.requested = None
        return request_answer(host.status, LEVEL, d)
