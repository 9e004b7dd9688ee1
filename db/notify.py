"""The notification outbox: messages written in the transaction of the change behind them.

A sender (e-mail, chat) reads unsent rows and marks them sent; until one is configured,
`GET /notifications` shows them to operations.
"""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification, User
from domain.roles import DECIDERS, ApprovalLevel, Role


async def notify(
    session: AsyncSession,
    dedupe_key: str,
    order_id: str | None,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
) -> None:
    """The dedupe key makes a retried activity write one message, not two."""
    await session.execute(
        insert(Notification)
        .values(
            dedupe_key=dedupe_key[:200],
            order_id=order_id,
            kind=kind,
            recipient=recipient,
            subject=subject[:300],
            body=body[:4000],
        )
        .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
    )


async def approvers_of(session: AsyncSession, level: ApprovalLevel) -> list[str]:
    """Active users whose role decides this level."""
    roles = [r.value for r in DECIDERS[level]]
    rows = await session.scalars(
        select(User.username).where(User.role.in_(roles), User.active).order_by(User.username)
    )
    return list(rows)


async def finance_people(session: AsyncSession) -> list[str]:
    """Active finance users: told of what moves a customer's credit."""
    rows = await session.scalars(
        select(User.username).where(User.role == Role.FINANCE, User.active).order_by(User.username)
    )
    return list(rows)
