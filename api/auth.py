"""Bearer tokens: HS256 JWTs signed with the configured secret."""

from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from config import AuthSettings
from domain.roles import Role


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role


ALGORITHM = "HS256"


def issue_token(auth: AuthSettings, username: str, role: Role) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": username,
        "role": role.value,
        "iss": auth.issuer,
        "aud": auth.audience,
        "iat": now,
        "exp": now + auth.token_ttl,
    }
    return jwt.encode(claims, auth.jwt_secret, algorithm=ALGORITHM)


def verify_token(auth: AuthSettings, token: str) -> Principal:
    """Raises jwt.InvalidTokenError for a bad signature, algorithm, expiry, audience or issuer."""
    claims = jwt.decode(
        token,
        auth.jwt_secret,
        algorithms=[ALGORITHM],
        audience=auth.audience,
        issuer=auth.issuer,
        options={"require": ["exp", "sub", "iss", "aud"]},
    )
    try:
        role = Role(str(claims.get("role")))
    except ValueError as exc:
        raise jwt.InvalidTokenError("unknown role") from exc
    return Principal(username=str(claims["sub"]), role=role)
