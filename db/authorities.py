"""Whose authority a person can act with now: their own, and any delegated to them."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Delegation, User
from domain.authority import Authority
from domain.roles import Role


async def authorities(session: AsyncSession, username: str, role: Role) -> list[Authority]:
    """The person's own authority first, then active delegations to them."""
    me = await session.get(User, username)
    own = Authority(role, me.approval_limit if me else None)
    rows = await session.execute(
        select(User)
        .join(Delegation, Delegation.delegator == User.username)
        .where(
            Delegation.stand_in == username,
            Delegation.revoked_at.is_(None),
            Delegation.starts_at <= func.now(),
            Delegation.ends_at > func.now(),
            User.active,
        )
        .order_by(Delegation.id)
    )
    delegated = [
        Authority(Role(d.role), d.approval_limit, on_behalf_of=d.username) for d in rows.scalars()
    ]
    return [own, *delegated]
