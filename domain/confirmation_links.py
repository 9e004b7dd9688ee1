"""Signed, expiring links a customer uses for an order (no login): confirm or decline it,
accept or decline a proposed substitute, or follow it on its tracking page.

The token is an HS256 JWT with its own audience, so a login token can never pass for a link
nor a link for a login; its id names its purpose, so a link answers only what it was sent for.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

AUDIENCE = "orderflow-confirmation"
ALGORITHM = "HS256"
# Purpose -> the API path that takes the answer.
CONFIRM, SUBSTITUTE, TRACK = "confirm", "substitute", "track"
PATHS = {CONFIRM: "confirmations", SUBSTITUTE: "substitutions", TRACK: "track"}
# A customer keeps the tracking link for returns and questions well after delivery.
TRACK_LIFE = timedelta(days=365)


@dataclass(frozen=True)
class LinkSigner:
    secret: str
    issuer: str
    public_url: str

    def token(self, order_id: str, expires_at: datetime, purpose: str = CONFIRM) -> str:
        claims = {
            "sub": order_id,
            "aud": AUDIENCE,
            "iss": self.issuer,
            "exp": expires_at,
            # One answer per link: the id makes a repeated click count once.
            "jti": f"{purpose}-{order_id}",
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def link(self, order_id: str, expires_at: datetime, purpose: str = CONFIRM) -> str:
        token = self.token(order_id, expires_at, purpose)
        return f"{self.public_url.rstrip('/')}/{PATHS[purpose]}/{token}"

    def verify(self, token: str, purpose: str = CONFIRM) -> tuple[str, str]:
        """(order id, link id); raises jwt.InvalidTokenError when forged, altered, expired or
        sent for another purpose."""
        claims = jwt.decode(
            token,
            self.secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=self.issuer,
            options={"require": ["exp", "sub", "jti"]},
        )
        link_id = str(claims["jti"])
        if not link_id.startswith(f"{purpose}-"):
            raise jwt.InvalidTokenError(f"not a {purpose} link")
        return str(claims["sub"]), link_id
