"""A costly cancellation's confirmation: the request waits on the approval desk's cancellation
level (a sales supervisor or a manager), who confirms or refuses it like any approval."""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.audit import Who, audit
from db.decisions import DecisionIdInUse, write_decision
from db.engine import SessionFactory
from db.models import Approval
from db.notify import approvers_of, notify
from db.status import lock_order, record_event
from domain.messages import CancellationDecision, CancellationRequest, Decision
from domain.refusals import FORBIDDEN
from domain.roles import ApprovalLevel

LEVEL = ApprovalLevel.CANCELLATION


class CancellationActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="request_cancellation")
    async def request_cancellation(self, record: CancellationRequest) -> None:
        """The request on the desk (pending, open at once), in the history and the audit, and
        the deciders told."""
        r = record.request
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            now = await session.scalar(select(func.now()))
            why = f"cancellation requested by {r.actor} ({r.reason_code}): {r.reason}"
            row = {
                "status": "pending",
                "reasons": [why],
                "current_level": LEVEL,
                "approvers_needed": 1,
                "approvers_given": 0,
                "mode": "parallel",
                "opened_at": now,
                "decided_by": None,
                "decided_at": None,
            }
            written = await session.execute(
                insert(Approval)
                .values(order_id=order.id, level=LEVEL, **row)
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
            audit(session, who, "order.cancel_request", "pending", order_id=order.id, detail=why)
            for person in await approvers_of(session, LEVEL):
                await notify(
                    session,
                    f"{order.id}:cancellation:{now.isoformat() if now else ''}:{person}",
                    order.id,
                    "cancellation",
                    person,
                    f"Order {order.id}: cancellation to confirm",
                    f"{why}. Order total {order.total} {order.currency}.",
                )

    @activity.defn(name="decide_cancellation")
    async def decide_cancellation(self, record: CancellationDecision) -> None:
        """The confirmation or refusal, once per decision id, with its history and audit."""
        d = record.decision
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            try:
                if not await write_decision(session, order.id, d, "unknown"):
                    return  # a retry: this decision is already written
            except DecisionIdInUse as taken:
                raise ApplicationError(str(taken), type=FORBIDDEN, non_retryable=True) from None
            confirmed = d.decision == Decision.APPROVE
            row = await session.get(Approval, (order.id, LEVEL), with_for_update=True)
            if row is not None:
                row.status = "approved" if confirmed else "rejected"
                row.decided_by, row.decided_role = d.decided_by, d.role
                row.decision_id, row.comment = d.decision_id, d.comment
                row.decided_at = await session.scalar(select(func.now()))
            note = f": {d.comment}" if d.comment else ""
            verdict = "cancellation confirmed" if confirmed else "cancellation refused"
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
