"""Requests that wait for a supervisor on the approval desk: a costly cancellation (level
`cancellation`) and an address change once picking started (level `address_change`). A sales
supervisor or a manager confirms or refuses it like any approval."""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.audit import Who, audit
from db.decisions import DecisionIdInUse, write_decision
from db.engine import SessionFactory
from db.models import Approval
from db.notify import approvers_of, tell_staff
from db.status import lock_order, record_event
from domain.messages import (
    ApprovalDecisionInput,
    CancellationDecision,
    CancellationRequest,
    Decision,
    DeskRequest,
    DeskRequestDecision,
)
from domain.refusals import FORBIDDEN
from domain.roles import ApprovalLevel

# What each request is called in the history, the audit and the deciders' message.
WHAT = {ApprovalLevel.CANCELLATION: "cancellation", ApprovalLevel.ADDRESS_CHANGE: "address change"}
AUDIT_ACTION = {
    ApprovalLevel.CANCELLATION: "order.cancel_request",
    ApprovalLevel.ADDRESS_CHANGE: "order.change_request",
}


class CancellationActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="request_cancellation")
    async def request_cancellation(self, record: CancellationRequest) -> None:
        r = record.request
        why = f"cancellation requested by {r.actor} ({r.reason_code}): {r.reason}"
        await self.request_confirmation(
            DeskRequest(
                order_id=record.order_id,
                level=ApprovalLevel.CANCELLATION,
                why=why,
                actor=r.actor,
                role=r.role,
                request_id=r.request_id,
                client_addr=r.client_addr,
            )
        )

    @activity.defn(name="request_confirmation")
    async def request_confirmation(self, r: DeskRequest) -> None:
        """The request on the desk (pending, open at once), in the history and the audit, and
        the deciders told."""
        level, why = r.level, r.why
        async with self.sessions.begin() as session:
            order = await lock_order(session, r.order_id)
            now = await session.scalar(select(func.now()))
            row = {
                "status": "pending",
                "reasons": [why],
                "current_level": level,
                "approvers_needed": 1,
                "approvers_given": 0,
                "mode": "parallel",
                "opened_at": now,
                "decided_by": None,
                "decided_at": None,
            }
            written = await session.execute(
                insert(Approval)
                .values(order_id=order.id, level=level, **row)
                .on_conflict_do_update(
                    index_elements=[Approval.order_id, Approval.level],
                    set_=row,
                    # A retried activity leaves a pending request as it is.
                    where=Approval.status != "pending",
                )
                .returning(Approval.level)
            )
            if written.first() is None:
                return
            await record_event(session, order, r.actor, why)
            who = Who(r.actor, r.role or "unknown", r.request_id, r.client_addr)
            audit(session, who, AUDIT_ACTION[level], "pending", order_id=order.id, detail=why)
            for person in await approvers_of(session, level):
                await tell_staff(
                    session,
                    f"{order.id}:{level}:{now.isoformat() if now else ''}:{person}",
                    order.id,
                    str(level),
                    person,
                    {
                        "order": order.id,
                        "what": WHAT[level],
                        "why": why,
                        "total": order.total,
                        "currency": order.currency,
                    },
                    "request",
                )

    @activity.defn(name="decide_cancellation")
    async def decide_cancellation(self, record: CancellationDecision) -> None:
        await self.decide_request(
            DeskRequestDecision(
                order_id=record.order_id, level=ApprovalLevel.CANCELLATION, decision=record.decision
            )
        )

    @activity.defn(name="decide_request")
    async def decide_request(self, record: DeskRequestDecision) -> None:
        """The confirmation or refusal, once per decision id, with its history and audit."""
        d: ApprovalDecisionInput = record.decision
        level = record.level
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            try:
                if not await write_decision(session, order.id, d, "unknown"):
                    return  # a retry: this decision is already written
            except DecisionIdInUse as taken:
                raise ApplicationError(str(taken), type=FORBIDDEN, non_retryable=True) from None
            confirmed = d.decision == Decision.APPROVE
            row = await session.get(Approval, (order.id, level), with_for_update=True)
            if row is not None:
                row.status = "approved" if confirmed else "rejected"
                row.decided_by, row.decided_role = d.decided_by, d.role
                row.decision_id, row.comment = d.decision_id, d.comment
                row.decided_at = await session.scalar(select(func.now()))
            note = f": {d.comment}" if d.comment else ""
            verdict = f"{WHAT[level]} {'confirmed' if confirmed else 'refused'}"
            await record_event(session, order, d.decided_by, verdict + note)
            audit(
                session,
                Who(d.decided_by, d.role or "unknown", d.request_id, d.client_addr),
                "approval.decide",
                "approved" if confirmed else "rejected",
                order_id=order.id,
                decision_id=d.decision_id,
                detail=verdict,
            )
