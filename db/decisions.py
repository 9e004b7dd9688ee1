"""A person's decision on an approval level, written once per decision id."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApprovalDecision
from domain.messages import ApprovalDecisionInput


class DecisionIdInUse(Exception):
    """The decision id was used by another person or for another order."""


async def write_decision(
    session: AsyncSession, order_id: str, d: ApprovalDecisionInput, default_role: str
) -> bool:
    """True when written now; False for a retry of the same decision."""
    inserted = await session.execute(
        insert(ApprovalDecision)
        .values(
            decision_id=d.decision_id,
            order_id=order_id,
            level=d.level,
            decision=d.decision,
            decided_by=d.decided_by,
            role=d.role or default_role,
            on_behalf_of=d.on_behalf_of,
            comment=d.comment,
        )
        .on_conflict_do_nothing(index_elements=[ApprovalDecision.decision_id])
        .returning(ApprovalDecision.decision_id)
    )
    if inserted.first() is not None:
        return True
    earlier = await session.get_one(ApprovalDecision, d.decision_id)
    if (earlier.order_id, earlier.decided_by) == (order_id, d.decided_by):
        return False
    raise DecisionIdInUse(f"decision id {d.decision_id} is already used")
