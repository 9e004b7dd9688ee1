"""Signing in to the console through the identity provider (production): OpenID Connect's
authorization code flow with PKCE. The provider's access token is what the console then
presents to the API for the person, verified there like any client's (JWKS, audience, issuer,
role claim); the ID token's nonce ties the answer to this browser's request.

Between the redirect out and the answer, state, nonce and the PKCE verifier wait in a short
signed cookie (HS256 with the JWT secret, ten minutes, path /console)."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from api.auth import verify_token
from api.console.sessions import COOKIE, COOKIE_PATH, cookie_options, open_session
from api.deps import SessionDep, SettingsDep
from config import AuthSettings, Settings
from db.audit import Who, audit
from db.models import User

router = APIRouter(include_in_schema=False)
PENDING = "orderflow_oidc"
PENDING_FOR = timedelta(minutes=10)
CALLBACK = "/console/oidc/callback"


class SignInFailed(Exception):
    """The provider's answer does not sign anyone in (the login page says so)."""


def configured(auth: AuthSettings) -> bool:
    return bool(auth.oidc_issuer and auth.oidc_client_id)


async def _discovery(auth: AuthSettings) -> dict[str, Any]:
    url = f"{str(auth.oidc_issuer).rstrip('/')}/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(url)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found


def _redirect_uri(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}{CALLBACK}"


@router.get("/console/oidc/start")
async def start(settings: SettingsDep, next: str = "/console/") -> Response:
    auth = settings.auth
    if not configured(auth):
        return RedirectResponse("/console/login", status_code=303)
    provider = await _discovery(auth)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    target = prepare_grant_uri(
        provider["authorization_endpoint"],
        auth.oidc_client_id,
        "code",
        redirect_uri=_redirect_uri(settings),
        scope=auth.oidc_scope,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    pending = {"state": state, "nonce": nonce, "verifier": verifier, "next": next}
    sealed = jwt.encode(
        {**pending, "exp": datetime.now(UTC) + PENDING_FOR}, auth.jwt_secret, algorithm="HS256"
    )
    response = RedirectResponse(target, status_code=302)
    response.set_cookie(PENDING, sealed, max_age=600, **cookie_options(settings))  # type: ignore[arg-type]
    return response


async def _tokens(settings: Settings, code: str, verifier: str) -> dict[str, Any]:
    auth = settings.auth
    provider = await _discovery(auth)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": _redirect_uri(settings),
        "code_verifier": verifier,
        "client_id": str(auth.oidc_client_id),
    }
    async with httpx.AsyncClient(timeout=10) as http:
        if auth.oidc_client_secret:
            basic = httpx.BasicAuth(str(auth.oidc_client_id), auth.oidc_client_secret)
            answer = await http.post(provider["token_endpoint"], data=form, auth=basic)
        else:
            answer = await http.post(provider["token_endpoint"], data=form)
        if answer.status_code != 200:
            raise SignInFailed(f"the provider refused the code ({answer.status_code})")
        tokens: dict[str, Any] = answer.json()
        # Fetched here, not by PyJWKClient, which would block the event loop on its request.
        keys = jwt.PyJWKSet.from_dict((await http.get(provider["jwks_uri"])).json())
    # The ID token: signed by the provider, for this client, answering this request.
    id_token = str(tokens.get("id_token", ""))
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
        key = next(k for k in keys.keys if k.key_id == kid).key
        claims = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=auth.oidc_client_id,
            issuer=provider["issuer"],
        )
    except (jwt.InvalidTokenError, jwt.PyJWKSetError, StopIteration) as exc:
        raise SignInFailed(f"the ID token does not hold: {exc}") from exc
    tokens["nonce"] = claims.get("nonce")
    return tokens


@router.get(CALLBACK)
async def callback(
    request: Request, settings: SettingsDep, session: SessionDep, code: str = "", state: str = ""
) -> Response:
    auth = settings.auth
    try:
        pending = jwt.decode(
            request.cookies.get(PENDING, ""), auth.jwt_secret, algorithms=["HS256"]
        )
    except jwt.InvalidTokenError:
        return RedirectResponse("/console/login?failed=expired", status_code=303)
    if not code or state != pending["state"]:
        return RedirectResponse("/console/login?failed=state", status_code=303)
    try:
        tokens = await _tokens(settings, code, pending["verifier"])
        if tokens["nonce"] != pending["nonce"]:
            raise SignInFailed("the ID token answers another request")
        bearer = str(tokens.get("access_token", ""))
        # The API's own check of the token the console will present for this person.
        principal = await asyncio.to_thread(verify_token, auth, bearer)
    except (SignInFailed, jwt.InvalidTokenError):
        return RedirectResponse("/console/login?failed=provider", status_code=303)
    expires = datetime.fromtimestamp(
        jwt.decode(bearer, options={"verify_signature": False})["exp"], UTC
    )
    async with session.begin():
        user = await session.scalar(select(User).where(User.username == principal.username))
        if user is None or not user.active or user.role != principal.role:
            return RedirectResponse("/console/login?failed=roster", status_code=303)
        token = await open_session(session, user.username, bearer, expires)
        where = request.client.host if request.client else None
        audit(session, Who(user.username, user.role, None, where), "console.sign_in", "ok")
    target = pending["next"] if str(pending["next"]).startswith("/console/") else "/console/"
    response = RedirectResponse(target, status_code=303)
    seconds = max(60, int((expires - datetime.now(UTC)).total_seconds()))
    response.set_cookie(COOKIE, token, max_age=seconds, **cookie_options(settings))  # type: ignore[arg-type]
    response.delete_cookie(PENDING, path=COOKIE_PATH)
    return response
