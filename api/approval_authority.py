"""Whose authority a user can act with now: their own, and any delegated to them."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from db.models import Delegation, User
from domain.roles import DECIDERS, ApprovalLevel, Role


@dataclass(frozen=True)
class Authority:
    role: Role
    limit: Decimal | None
    # The approver this user stands in for; None for their own authority.
    on_behalf_of: str | None = None

    def may_decide(self, level: ApprovalLevel) -> bool:
        return self.role in DECIDERS[level]

    def within_limit(self, total: Decimal) -> bool:
        return self.limit is None or total <= self.limit


async def authorities(session: AsyncSession, user: Principal) -> list[Authority]:
    """The user's own authority first, then active delegations to them."""
    me = await session.get(User, user.username)
    own = Authority(user.role, me.approval_limit if me else None)
    rows = await session.execute(
        select(User)
        .join(Delegation, Delegation.delegator == User.username)
        .where(
            Delegation.stand_in == user.username,
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
