"""Reading and replacing the approval policy."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from api.deps import SessionDep, who
from api.errors import NotFound
from api.permissions import CanManagePolicy, CanReadPolicy
from api.policies.schemas import PolicyIn, PolicyOut
from db.audit import audit
from db.models import ApprovalPolicyVersion
from db.policies import BUILT_IN_VERSION, current_policy, save_policy
from domain.policy import DEFAULT_POLICY, PolicyDocument

router = APIRouter(tags=["policies"])


@router.get("/policies/approval")
async def get_policy(
    session: SessionDep,
    user: CanReadPolicy,
    version: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> PolicyOut:
    """The current approval policy, or an earlier version of it."""
    if version is None:
        current, document = await current_policy(session)
        row = await session.get(ApprovalPolicyVersion, current)
    elif version == BUILT_IN_VERSION:
        current, document, row = BUILT_IN_VERSION, DEFAULT_POLICY, None
    else:
        row = await session.get(ApprovalPolicyVersion, version)
        if row is None:
            raise NotFound(f"policy version {version} not found")
        current, document = row.version, PolicyDocument.model_validate(row.document)
    return PolicyOut(
        version=current,
        document=document,
        comment=row.comment if row else "built-in default",
        created_by=row.created_by if row else "system",
        created_at=row.created_at if row else None,
    )


@router.put("/policies/approval")
async def put_policy(
    body: PolicyIn,
    request: Request,
    session: SessionDep,
    user: CanManagePolicy,
) -> PolicyOut:
    """Save a new version; orders reviewed from now on are judged by it."""
    async with session.begin():
        version = await save_policy(session, body.document, user.username, body.comment)
        audit(
            session,
            who(request, user),
            "policy.update",
            "saved",
            detail=f"approval policy v{version}: {body.comment}",
        )
    row = await session.scalar(
        select(ApprovalPolicyVersion).where(ApprovalPolicyVersion.version == version)
    )
    assert row is not None
    return PolicyOut(
        version=version,
        document=body.document,
        comment=row.comment,
        created_by=row.created_by,
        created_at=row.created_at,
    )
