"""Versions of the approval policy: every save is a new version, none is changed."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApprovalPolicyVersion
from domain.policy import DEFAULT_POLICY, PolicyDocument

# Before an admin saves one, the built-in default judges orders, recorded as version 0.
BUILT_IN_VERSION = 0


async def current_policy(session: AsyncSession) -> tuple[int, PolicyDocument]:
    row = await session.scalar(
        select(ApprovalPolicyVersion).order_by(ApprovalPolicyVersion.version.desc()).limit(1)
    )
    if row is None:
        return BUILT_IN_VERSION, DEFAULT_POLICY
    return row.version, PolicyDocument.model_validate(row.document)


async def save_policy(
    session: AsyncSession, document: PolicyDocument, author: str, comment: str
) -> int:
    """A new version; the caller's transaction serialises concurrent saves by the lock."""
    await session.execute(select(func.pg_advisory_xact_lock(0x0A99_0001)))
    latest = await session.scalar(select(func.max(ApprovalPolicyVersion.version)))
    version = (latest or BUILT_IN_VERSION) + 1
    session.add(
        ApprovalPolicyVersion(
            version=version,
            document=document.model_dump(mode="json"),
            comment=comment,
            created_by=author,
        )
    )
    return version
