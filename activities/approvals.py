"""Approval decisions, written with their history row."""

from sqlalchemy import func, update
from temporalio import activity

from db.engine import SessionFactory
from db.models import Approval
from db.status import lock_order, record_event
from domain.messages import Decision, DecisionRecord


class ApprovalActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="record_decision")
    async def record_decision(self, record: DecisionRecord) -> None:
        d = record.decision
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            status = "approved" if d.decision == Decision.APPROVE else "rejected"
            # Only a pending row changes, so a retried activity writes nothing twice.
            result = await session.execute(
                update(Approval)
                .where(
                    Approval.order_id == order.id,
                    Approval.level == d.level,
                    Approval.status == "pending",
                )
                .values(
                    status=status,
                    decided_by=d.decided_by,
                    decided_role=d.role,
                    comment=d.comment,
                    decision_id=d.decision_id,
                    decided_at=func.now(),
                )
                .returning(Approval.level)
            )
            if result.first() is not None:
                note = f" ({d.comment})" if d.comment else ""
                await record_event(
                    session, order, d.decided_by, f"{d.level} approval: {status}{note}"
                )
