"""Dependencies shared by the routers: settings, sessions, Temporal, the current user."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import API_KEY_PREFIX, Principal, hash_api_key, verify_token
from api.errors import DATABASE_DOWN, Forbidden, Unauthenticated
from api.starter import WorkflowStarter
from config import Settings
from db.audit import Who
from db.engine import SessionFactory
from db.models import ApiKey, User
from domain.roles import Action, Role, is_allowed

log = logging.getLogger(__name__)


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session_factory(request: Request) -> SessionFactory:
    sessions: SessionFactory = request.app.state.sessions
    return sessions


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    session = (await get_session_factory(request))()
    try:
        yield session
    finally:
        await close_quietly(session)


async def close_quietly(session: AsyncSession) -> None:
    """Close the request's session, whatever the database does by then. Closing runs once the
    answer has started (FastAPI ends yield dependencies after the response); a database that
    hangs or goes away just then made the close raise, and an error after the response has
    started makes the server drop the connection unanswered (the hung-database fault test).
    The pool discards the broken connection; nothing uncommitted survives it."""
    try:
        await session.close()
    except DATABASE_DOWN as exc:
        log.warning("closing a session failed: %s", type(exc).__name__)


async def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


async def get_starter(request: Request) -> WorkflowStarter:
    starter: WorkflowStarter = request.app.state.starter
    return starter


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StarterDep = Annotated[WorkflowStarter, Depends(get_starter)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
TemporalDep = Annotated[Client, Depends(get_temporal)]

_bearer = HTTPBearer(auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


async def get_current_user(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    # Its own short transaction: the handler begins the next one.
    async with session.begin():
        principal = await _authenticate(settings, session, credentials, api_key)
    request.state.principal = principal
    return principal


async def _authenticate(
    settings: Settings,
    session: AsyncSession,
    credentials: HTTPAuthorizationCredentials | None,
    api_key: str | None,
) -> Principal:
    if api_key is not None:
        return await _from_api_key(session, api_key)
    if credentials is None:
        raise Unauthenticated("a bearer token or an X-API-Key is required")
    try:
        if settings.auth.jwks_url:
            # PyJWKClient fetches the provider's keys with a blocking request (every five
            # minutes): off the event loop, so other requests go on meanwhile.
            principal = await asyncio.to_thread(
                verify_token, settings.auth, credentials.credentials
            )
        else:
            principal = verify_token(settings.auth, credentials.credentials)
    except jwt.InvalidTokenError as exc:
        # The library's words help an attacker tune a forged token: logged, not answered.
        log.info("token refused: %s", exc)
        raise Unauthenticated("invalid token") from exc
    user = await session.get(User, principal.username)
    # The users table is the roster: a person removed or switched off is refused at once.
    if user is None or not user.active or user.role != principal.role:
        raise Unauthenticated(f"user {principal.username} is not active with that role")
    return principal


async def _from_api_key(session: AsyncSession, key: str) -> Principal:
    if not key.startswith(API_KEY_PREFIX):
        raise Unauthenticated("invalid API key")
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("invalid or revoked API key")
    return Principal(username=row.name, role=Role(row.role), via="api_key")


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def allowed(action: Action) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only the roles the permission table allows."""

    # async: FastAPI runs a plain def dependency in a thread, a cost on every request.
    async def check(user: CurrentUser) -> Principal:
        if not is_allowed(user.role, action):
            raise Forbidden(f"role {user.role} may not {action.value.replace('_', ' ')}")
        return user

    # Read by the role x endpoint matrix (api/matrix.py) to know what each route needs.
    check.action = action  # type: ignore[attr-defined]
    return check


def who(request: Request, user: Principal | None = None) -> Who:
    """The audit identity of this request."""
    principal = user or getattr(request.state, "principal", None)
    return Who(
        actor=principal.username if principal else "anonymous",
        role=principal.role.value if principal else None,
        request_id=getattr(request.state, "request_id", None),
        client_addr=request.client.host if request.client else None,
    )
