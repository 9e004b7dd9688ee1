"""The people routes: users, API keys, delegations."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import func, or_, select, update

from api.auth import new_api_key
from api.deps import SessionDep, who
from api.errors import InvalidFields, NotFound
from api.people.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    DelegationIn,
    DelegationOut,
    UserIn,
    UserOut,
)
from api.permissions import CanDelegateApproval, CanManageApiKeys, CanManageUsers
from db.audit import audit
from db.models import ApiKey, Delegation, User
from db.notify import tell_staff
from domain.roles import Action, Role, is_allowed

router = APIRouter(tags=["people and keys"])


@router.post("/api-keys", status_code=201)
async def create_api_key(
    body: ApiKeyIn, request: Request, session: SessionDep, user: CanManageApiKeys
) -> ApiKeyCreated:
    """A key for an upstream system; the key is shown only in this answer."""
    key = new_api_key()
    async with session.begin():
        taken = await session.scalar(
            select(ApiKey.id).where(ApiKey.name == body.name, ApiKey.revoked_at.is_(None))
        )
        clash = await session.get(User, body.name)
        if taken or clash is not None:
            raise InvalidFields([(("name",), f"{body.name} is already in use")])
        row = ApiKey(
            id=key.key_id,
            name=body.name,
            role=Role.UPSTREAM,
            key_hash=key.key_hash,
            created_by=user.username,
        )
        session.add(row)
        audit(session, who(request, user), "api_key.create", "created", detail=body.name)
    return ApiKeyCreated(**_key_out(row).model_dump(), key=key.key)


@router.get("/api-keys")
async def list_api_keys(session: SessionDep, user: CanManageApiKeys) -> list[ApiKeyOut]:
    """Every key, revoked ones included (never the key itself)."""
    return [_key_out(k) for k in await session.scalars(select(ApiKey).order_by(ApiKey.created_at))]


@router.delete("/api-keys/{key_id}")
async def revoke_api_key(
    key_id: str, request: Request, session: SessionDep, user: CanManageApiKeys
) -> ApiKeyOut:
    """Revoke a key: it stops working with the next request."""
    async with session.begin():
        row = await session.get(ApiKey, key_id, with_for_update=True)
        if row is None:
            raise NotFound(f"API key {key_id} not found")
        if row.revoked_at is None:
            row.revoked_at = func.now()
            audit(session, who(request, user), "api_key.revoke", "revoked", detail=row.name)
    await session.refresh(row)
    return _key_out(row)


def _key_out(k: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(k, from_attributes=True)


@router.get("/users")
async def list_users(session: SessionDep, user: CanManageUsers) -> list[UserOut]:
    """Everyone who may sign in (or could, if active)."""
    rows = await session.scalars(select(User).order_by(User.username))
    return [UserOut.model_validate(u, from_attributes=True) for u in rows]


@router.put("/users/{username}")
async def put_user(
    username: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$")],
    body: UserIn,
    request: Request,
    session: SessionDep,
    user: CanManageUsers,
) -> UserOut:
    """Create or change a person; inactive users are refused at once, tokens or not."""
    if username == user.username and (not body.active or body.role != user.role):
        raise InvalidFields([(("active",), "admins cannot lock themselves out")])
    async with session.begin():
        if await session.scalar(select(ApiKey.id).where(ApiKey.name == username)):
            raise InvalidFields([(("username",), f"{username} names an API key")])
        row = await session.get(User, username, with_for_update=True)
        before = _describe(row) if row else "new"
        if row is None:
            row = User(username=username)
            session.add(row)
        row.role, row.display_name = body.role, body.display_name
        row.active, row.approval_limit = body.active, body.approval_limit
        audit(
            session,
            who(request, user),
            "user.update",
            "saved",
            detail=f"{username}: {before} -> {_describe(row)}",
        )
    return UserOut.model_validate(row, from_attributes=True)


def _describe(u: User) -> str:
    state = "active" if u.active else "inactive"
    return f"{u.role}, {state}, limit {u.approval_limit}"


@router.post("/delegations", status_code=201)
async def delegate(
    body: DelegationIn, request: Request, session: SessionDep, user: CanDelegateApproval
) -> DelegationOut:
    """Name a stand-in who decides in this approver's name for the period."""
    if body.stand_in == user.username:
        raise InvalidFields([(("stand_in",), "an approver cannot stand in for themselves")])
    async with session.begin():
        stand_in = await session.get(User, body.stand_in)
        if stand_in is None or not stand_in.active:
            raise InvalidFields([(("stand_in",), f"{body.stand_in} is not an active user")])
        if not is_allowed(Role(stand_in.role), Action.DECIDE_APPROVAL):
            raise InvalidFields([(("stand_in",), f"a {stand_in.role} user cannot approve")])
        row = Delegation(
            delegator=user.username,
            stand_in=body.stand_in,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
        )
        session.add(row)
        await session.flush()
        audit(
            session,
            who(request, user),
            "delegation.create",
            "created",
            detail=f"{body.stand_in} from {body.starts_at} to {body.ends_at}",
        )
        await tell_staff(
            session,
            f"delegation:{row.id}",
            None,
            "delegation",
            body.stand_in,
            {
                "delegator": user.username,
                "since": f"{body.starts_at:%Y-%m-%d %H:%M}",
                "until": f"{body.ends_at:%Y-%m-%d %H:%M}",
            },
        )
    return _delegation_out(row)


@router.get("/delegations")
async def my_delegations(session: SessionDep, user: CanDelegateApproval) -> list[DelegationOut]:
    """Delegations this user gave or holds."""
    rows = await session.scalars(
        select(Delegation)
        .where(or_(Delegation.delegator == user.username, Delegation.stand_in == user.username))
        .order_by(Delegation.id)
    )
    return [_delegation_out(d) for d in rows]


@router.delete("/delegations/{delegation_id}")
async def revoke_delegation(
    delegation_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    session: SessionDep,
    user: CanDelegateApproval,
) -> DelegationOut:
    """End a delegation now (its delegator only)."""
    async with session.begin():
        row = await session.get(Delegation, delegation_id, with_for_update=True)
        if row is None or row.delegator != user.username:
            raise NotFound(f"delegation {delegation_id} not found")
        await session.execute(
            update(Delegation)
            .where(Delegation.id == delegation_id, Delegation.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )
        audit(
            session, who(request, user), "delegation.revoke", "revoked", detail=str(delegation_id)
        )
    await session.refresh(row)
    return _delegation_out(row)


def _delegation_out(d: Delegation) -> DelegationOut:
    return DelegationOut.model_validate(d, from_attributes=True)
