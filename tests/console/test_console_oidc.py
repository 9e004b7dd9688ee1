"""Signing in to the console through an identity provider (OpenID Connect, code flow with
PKCE). The provider here is a stand-in served on a free port (`StandInProvider`), speaking
the standard endpoints: discovery, authorize, token, JWKS; it signs RS256 tokens."""

import asyncio
import base64
import hashlib
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config import Settings
from db.engine import SessionFactory
from stack.processes import free_port
from stack.seed import seed_all
from tests import conftest

CLIENT_ID = "orderflow-console"


class StandInProvider:
    """An identity provider's standard endpoints, for one test: who signs in is `user`."""

    def __init__(self, port: int) -> None:
        self.issuer = f"http://127.0.0.1:{port}"
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user = ("supervisor", "sales_supervisor")
        self.codes: dict[str, dict[str, str]] = {}

    def sign(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "iat": now, "exp": now + 600, **claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"})

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
            }
        )

    async def authorize(self, request: web.Request) -> web.Response:
        asked = request.query
        assert asked["client_id"] == CLIENT_ID and asked["code_challenge_method"] == "S256"
        code = uuid.uuid4().hex
        self.codes[code] = {"nonce": asked["nonce"], "challenge": asked["code_challenge"]}
        back = urlencode({"code": code, "state": asked["state"]})
        raise web.HTTPFound(f"{asked['redirect_uri']}?{back}")

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = self.codes.pop(str(form["code"]), None)
        verifier = str(form["code_verifier"]).encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if grant is None or challenge.decode() != grant["challenge"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        username, role = self.user
        access = self.sign({"sub": username, "role": role, "aud": "orderflow-api"})
        id_token = self.sign({"sub": username, "aud": CLIENT_ID, "nonce": grant["nonce"]})
        return web.json_response(
            {"access_token": access, "id_token": id_token, "token_type": "Bearer"}
        )

    async def jwks(self, request: web.Request) -> web.Response:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return web.json_response({"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]})


@pytest.fixture
def provider() -> Iterator[StandInProvider]:
    """Served from its own thread and event loop, as a remote provider would be: the API
    fetches its keys with a blocking request (in a worker thread)."""
    port = free_port()
    idp = StandInProvider(port)
    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", idp.discovery)
    app.router.add_get("/authorize", idp.authorize)
    app.router.add_post("/token", idp.token)
    app.router.add_get("/jwks", idp.jwks)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    serving = threading.Thread(target=loop.run_forever, daemon=True)
    serving.start()
    yield idp
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    serving.join(timeout=10)
    loop.close()


@pytest.fixture
async def console(
    provider: StandInProvider, time_env: WorkflowEnvironment, sessions: SessionFactory
) -> AsyncIterator[httpx.AsyncClient]:
    settings: Settings = conftest.test_settings("oidc-unused")
    settings.auth.jwks_url = f"{provider.issuer}/jwks"
    settings.auth.issuer = provider.issuer
    settings.auth.oidc_issuer = provider.issuer
    settings.auth.oidc_client_id = CLIENT_ID
    settings.auth.oidc_client_secret = "console-secret"
    await seed_all(sessions, demo=False)  # the roster
    app = create_app(settings, sessions=sessions, temporal=time_env.client)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        yield client


async def through_the_provider(
    console: httpx.AsyncClient, state: str | None = None
) -> httpx.Response:
    out = await console.get("/console/oidc/start", params={"next": "/console/approvals"})
    assert out.status_code == 302
    authorize = out.headers["location"]
    if state is not None:
        parts = urlsplit(authorize)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": state}
        authorize = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(authorize)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    return await console.get(f"{back.path}?{back.query}")


async def test_a_person_signs_in_through_the_identity_provider(console: httpx.AsyncClient) -> None:
    login = await console.get("/console/login")
    assert "Sign in with the identity provider" in login.text
    signed = await through_the_provider(console)
    assert signed.status_code == 303 and signed.headers["location"] == "/console/approvals"
    inbox = await console.get("/console/approvals")
    assert inbox.status_code == 200
    assert "<h1>Approvals</h1>" in inbox.text and "(sales supervisor)" in inbox.text


async def test_an_answer_to_another_request_signs_nobody_in(console: httpx.AsyncClient) -> None:
    refused = await through_the_provider(console, state="not-the-state")
    assert refused.headers["location"] == "/console/login?failed=state"
    assert (await console.get("/console/approvals")).status_code == 303


async def test_someone_off_the_roster_is_refused(
    console: httpx.AsyncClient, provider: StandInProvider
) -> None:
    provider.user = ("nobody-here", "sales_supervisor")
    refused = await through_the_provider(console)
    assert refused.headers["location"] == "/console/login?failed=roster"
    provider.user = ("sales1", "manager")  # on the roster, but not with that role
    refused = await through_the_provider(console)
    assert refused.headers["location"] == "/console/login?failed=roster"
