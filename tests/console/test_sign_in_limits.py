"""Sign-in over plain HTTP, as a password-guessing script would try it: failed sign-ins are
throttled per account (the right password too, once throttled), and finished sessions do
not pile up in the table."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from api.auth import dev_password
from api.console.sessions import COOKIE
from db.engine import SessionFactory
from db.models import ConsoleSession
from domain.sign_in_limits import PER_ACCOUNT
from tests.harness import Desk


async def attempt(console: str, username: str, password: str) -> httpx.Response:
    """One sign-in as a browser makes it: the form (its double-submit token), then the post."""
    async with httpx.AsyncClient(base_url=console) as client:
        form = await client.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        return await client.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": token[1]},
        )


async def test_failed_sign_ins_throttle_the_account_right_password_included(
    console: str, desk: Desk
) -> None:
    username = f"guessed-{uuid.uuid4().hex[:8]}"
    person = {"role": "sales", "display_name": "Guessed Person"}
    await desk.ok("admin", "PUT", f"/users/{username}", json=person)
    for _ in range(PER_ACCOUNT):
        wrong = await attempt(console, username, "hunter2")
        assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
    right = await attempt(console, username, dev_password(desk.settings.auth, username))
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.text
    assert int(right.headers["Retry-After"]) == 15 * 60
    assert COOKIE not in right.cookies
    # Someone else at the same desk is not locked out by it.
    other = await attempt(console, "supervisor", dev_password(desk.settings.auth, "supervisor"))
    assert other.status_code == 303 and COOKIE in other.cookies


async def test_a_sign_in_clears_sessions_that_ended_a_day_ago(
    console: str, desk: Desk, sessions: SessionFactory
) -> None:
    now = datetime.now(UTC)
    stale = {
        f"expired-{uuid.uuid4().hex}": {"expires_at": now - timedelta(days=2)},
        f"ended-{uuid.uuid4().hex}": {"expires_at": now + timedelta(hours=1),
                                       "ended_at": now - timedelta(days=2)},
    }  # fmt: skip
    fresh = {f"ended-now-{uuid.uuid4().hex}": {"expires_at": now + timedelta(hours=1),
                                               "ended_at": now - timedelta(minutes=5)}}  # fmt: skip
    async with sessions.begin() as session:
        for token_hash, times in {**stale, **fresh}.items():
            session.add(
                ConsoleSession(
                    token_hash=token_hash[:64],
                    username="manager",
                    csrf_token="x",
                    bearer="x",
                    **times,
                )
            )
    signed = await attempt(console, "manager", dev_password(desk.settings.auth, "manager"))
    assert signed.status_code == 303
    async with sessions() as session:
        left = set(
            await session.scalars(
                select(ConsoleSession.token_hash).where(
                    ConsoleSession.token_hash.in_([t[:64] for t in {**stale, **fresh}])
                )
            )
        )
        expired = await session.scalar(
            select(func.count()).where(ConsoleSession.expires_at < now - timedelta(days=1))
        )
    assert left == {t[:64] for t in fresh}
    assert expired == 0
