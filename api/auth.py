"""Who is calling: bearer JWTs for people, hashed API keys for upstream systems.

People: HS256 JWTs signed with the configured secret (development), or RS256 JWTs from the
company's identity provider, verified against its JWKS URL (production). Both check the
signature, algorithm, expiry, audience and issuer. Systems: `X-API-Key: ofk_<id>_<secret>`;
only the SHA-256 of the key is stored, and a revoked key stops working at once.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import jwt

from config import AuthSettings
from domain.roles import Role

HS256 = "HS256"
RS256 = "RS256"
API_KEY_PREFIX = "ofk_"


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    # "jwt" for people, "api_key" for systems (their username is the key's name).
    via: str = "jwt"


def dev_password(auth: AuthSettings, username: str) -> str:
    """A seeded user's console password in development (`orderflow password USERNAME`):
    derived from the JWT secret, so nothing is stored and production (which signs people in
    through the identity provider) has none."""
    mac = hmac.new(auth.jwt_secret.encode(), f"console-password:{username}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest())[:16].decode()


def issue_token(auth: AuthSettings, username: str, role: Role) -> str:
    """A development token; production tokens come from the identity provider."""
    now = datetime.now(UTC)
    claims = {
        "sub": username,
        "role": role.value,
        "iss": auth.issuer,
        "aud": auth.audience,
        "iat": now,
        "exp": now + auth.token_ttl,
    }
    return jwt.encode(claims, auth.jwt_secret, algorithm=HS256)


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Caches the provider's keys; a token with an unknown key id refetches them once.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


def verify_token(auth: AuthSettings, token: str) -> Principal:
    """Raises jwt.InvalidTokenError for a bad signature, algorithm, expiry, audience or issuer."""
    if auth.jwks_url:
        try:
            key: object = _jwks_client(auth.jwks_url).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise jwt.InvalidTokenError(f"no signing key: {exc}") from exc
        algorithms = [RS256]
    else:
        key, algorithms = auth.jwt_secret, [HS256]
    claims = jwt.decode(
        token,
        key,  # type: ignore[arg-type]
        algorithms=algorithms,
        audience=auth.audience,
        issuer=auth.issuer,
        options={"require": ["exp", "sub", "iss", "aud"]},
    )
    try:
        role = Role(str(claims.get(auth.role_claim)))
    except ValueError as exc:
        raise jwt.InvalidTokenError("unknown role") from exc
    return Principal(username=str(claims["sub"]), role=role)


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    key: str
    key_hash: str


def new_api_key() -> NewApiKey:
    key_id = secrets.token_hex(8)
    key = f"{API_KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key_id, key, hash_api_key(key))


def hash_api_key(key: str) -> str:
    # The key carries 256 random bits: a plain SHA-256 cannot be brute-forced, unlike a
    # password, so no slow hash is needed and lookup stays one indexed equality.
    return hashlib.sha256(key.encode()).hexdigest()
