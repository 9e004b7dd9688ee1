"""Signing in and out. Development: the seeded users with the passwords `orderflow password
USERNAME` prints. The sign-in form itself is protected by a double-submit token (a cookie and
a field that must match), as there is no session yet to hold one."""

import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import dev_password, issue_token
from api.console.oidc import configured
from api.console.render import page
from api.console.sessions import (
    COOKIE,
    COOKIE_PATH,
    CheckedForm,
    cookie_options,
    end_session,
    open_session,
)
from api.deps import SessionDep, SettingsDep
from config import Settings
from db.audit import Who, audit
from db.models import AuditEntry, User
from domain.roles import Role
from domain.sign_in_limits import WINDOW, RecentFailures, throttled

router = APIRouter(include_in_schema=False)
SIGN_IN, REFUSED = "console.sign_in", "refused"
LOGIN_CSRF = "orderflow_login_csrf"
HOME = "/console/approvals"


async def recent_failures(
    session: AsyncSession, username: str, client: str | None
) -> RecentFailures:
    """Refused sign-ins in the window, from the audit log (read through its action index)."""
    since = func.now() - WINDOW
    counts = (
        await session.execute(
            select(
                func.count().filter(AuditEntry.actor == username[:64]),
                func.count(),
            ).where(
                AuditEntry.action == SIGN_IN,
                AuditEntry.result == REFUSED,
                AuditEntry.at > since,
                AuditEntry.client_addr.is_not_distinct_from(client),
            )
        )
    ).one()
    return RecentFailures(account=counts[0], client=counts[1])


def _safe_next(target: str | None) -> str:
    # Only back into the console: a crafted ?next= must not send people to another site.
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return HOME


def _login_page(
    request: Request, settings: Settings, next_: str, username: str = "", refusal: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        "Sign in",
        status_code=401 if refusal else 200,
        login_csrf=token,
        next=_safe_next(next_),
        username=username,
        refusal=refusal,
        password_sign_in=settings.mode == "development",
        oidc=configured(settings.auth),
    )
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, **cookie_options(settings))  # type: ignore[arg-type]
    return response


# Why the identity provider's answer signed nobody in (the callback's ?failed=).
FAILURES = {
    "expired": "The sign-in took too long: start again.",
    "state": "The answer did not match this sign-in: start again.",
    "provider": "The identity provider's answer could not be verified.",
    "roster": "You are not on the desk's roster with that role: ask an admin.",
}


@router.get("/console/login")
async def login_form(
    request: Request, settings: SettingsDep, next: str = HOME, failed: str = ""
) -> HTMLResponse:
    return _login_page(request, settings, next, refusal=FAILURES.get(failed, ""))


@router.post("/console/login")
async def sign_in(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _login_page(request, settings, next, username, "The form expired: sign in again.")
    if settings.mode != "development":
        return _login_page(request, settings, next, username, "Password sign-in is off here.")
    where = request.client.host if request.client else None
    async with session.begin():
        if throttled(await recent_failures(session, username, where)):
            audit(session, Who(username, None, None, where), SIGN_IN, "throttled")
            minutes = int(WINDOW.total_seconds() // 60)
            refused = _login_page(
                request,
                settings,
                next,
                username,
                f"Too many failed sign-ins: try again in {minutes} minutes.",
            )
            refused.status_code = 429
            refused.headers["Retry-After"] = str(int(WINDOW.total_seconds()))
            return refused
    async with session.begin():
        user = await session.scalar(select(User).where(User.username == username))
        right = secrets.compare_digest(password, dev_password(settings.auth, username))
        if user is None or not user.active or not right:
            audit(session, Who(username, None, None, where), SIGN_IN, REFUSED)
            # One answer for every failure: the page does not tell which usernames exist.
            return _login_page(request, settings, next, username, "Wrong username or password.")
        role = Role(user.role)
        expires = datetime.now(UTC) + settings.auth.token_ttl
        token = await open_session(
            session, username, issue_token(settings.auth, username, role), expires
        )
        audit(session, Who(username, role.value, None, where), SIGN_IN, "ok")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.auth.token_ttl.total_seconds()),
        **cookie_options(settings),  # type: ignore[arg-type]
    )
    response.delete_cookie(LOGIN_CSRF, path=COOKIE_PATH)
    return response


@router.post("/console/logout")
async def sign_out(request: Request, session: SessionDep, form: CheckedForm) -> Response:
    async with session.begin():
        await end_session(session, request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response
