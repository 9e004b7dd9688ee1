"""Dependencies shared by the routers: settings, sessions, Temporal, the current user."""

from collections.abc import AsyncIterator, Callable
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal, verify_token
from api.errors import Forbidden, Unauthenticated
from config import Settings
from db.engine import SessionFactory
from domain.roles import Action, is_allowed


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> SessionFactory:
    sessions: SessionFactory = request.app.state.sessions
    return sessions


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with get_session_factory(request)() as session:
        yield session


def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]

_bearer = HTTPBearer(auto_error=False)


def get_current_user(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated("a bearer token is required")
    try:
        return verify_token(settings.auth, credentials.credentials)
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"invalid token: {exc}") from exc


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def allowed(action: Action) -> Callable[[Principal], Principal]:
    """A dependency that lets through only the roles the permission table allows."""

    def check(user: CurrentUser) -> Principal:
        if not is_allowed(user.role, action):
            raise Forbidden(f"role {user.role} may not {action.value.replace('_', ' ')}")
        return user

    return check
