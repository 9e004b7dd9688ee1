"""Who is signed in to the console: a random cookie token naming a row of console_sessions,
and the CSRF token every form of that session carries.

The cookie is HttpOnly (no script reads it), SameSite=Lax (another site's form posts go
without it), Secure outside development, and scoped to /console. A page asked for without a
live session sends the person to the sign-in page and back.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import SessionDep
from config import Settings
from db.models import ConsoleSession, User
from domain.roles import Role

COOKIE = "orderflow_console"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf_token"
KEPT_AFTER_END = timedelta(days=1)


class NeedsSignIn(Exception):
    """No live session: the console answers with the sign-in page (htmx: a redirect header)."""

    def __init__(self, back_to: str) -> None:
        self.back_to = back_to


class BadCsrfToken(Exception):
    """A form posted without this session's token: refused, nothing done."""


@dataclass(frozen=True)
class Signed:
    """The person behind a console request: who, the token the API is called with, and the
    session's CSRF token for the forms it renders."""

    principal: Principal
    display_name: str
    bearer: str
    csrf_token: str

    @property
    def role(self) -> Role:
        return self.principal.role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession, username: str, bearer: str, expires_at: datetime
) -> str:
    """A new session for a person already authenticated; returns the cookie's token. Sessions
    that ended or expired a day ago go at the same time (the day keeps a just-ended one
    around to look at): the table holds about the people signed in, never every sign-in."""
    await session.execute(
        delete(ConsoleSession).where(
            or_(
                ConsoleSession.expires_at < func.now() - KEPT_AFTER_END,
                ConsoleSession.ended_at < func.now() - KEPT_AFTER_END,
            )
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_hash(token),
            username=username,
            csrf_token=secrets.token_urlsafe(32),
            bearer=bearer,
            expires_at=expires_at,
        )
    )
    return token


async def end_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == _hash(token), ConsoleSession.ended_at.is_(None))
            .values(ended_at=datetime.now(UTC))
        )


def cookie_options(settings: Settings) -> dict[str, object]:
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": settings.mode == "production",
        "path": COOKIE_PATH,
    }


async def signed_in(request: Request, session: SessionDep) -> Signed:
    token = request.cookies.get(COOKIE)
    back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise NeedsSignIn(back_to)
    async with session.begin():
        row = await session.execute(
            select(ConsoleSession, User)
            .join(User, User.username == ConsoleSession.username)
            .where(
                ConsoleSession.token_hash == _hash(token),
                ConsoleSession.ended_at.is_(None),
                ConsoleSession.expires_at > datetime.now(UTC),
            )
        )
        found = row.first()
    # The roster decides, as for the API: a person switched off is signed out at once.
    if found is None or not found[1].active:
        raise NeedsSignIn(back_to)
    live, user = found
    principal = Principal(username=user.username, role=Role(user.role))
    return Signed(principal, user.display_name, live.bearer, live.csrf_token)


SignedIn = Annotated[Signed, Depends(signed_in)]


async def checked_form(request: Request, who: SignedIn) -> dict[str, str]:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent, who.csrf_token):
        raise BadCsrfToken
    return {k: v for k, v in form.items() if isinstance(v, str)}


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


def sign_in_url(back_to: str) -> str:
    return f"/console/login?next={quote(back_to, safe='')}"
