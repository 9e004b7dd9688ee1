"""Signed, expiring links a customer uses to confirm or decline an order (no login).

The token is an HS256 JWT with its own audience, so a login token can never pass for a link
nor a link for a login.
"""

from dataclasses import dataclass
from datetime import datetime

import jwt

AUDIENCE = "orderflow-confirmation"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class LinkSigner:
    secret: str
    issuer: str
    public_url: str

    def token(self, order_id: str, expires_at: datetime) -> str:
        claims = {
            "sub": order_id,
            "aud": AUDIENCE,
            "iss": self.issuer,
            "exp": expires_at,
            # One answer per link: the id makes a repeated click count once.
            "jti": f"confirm-{order_id}",
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def link(self, order_id: str, expires_at: datetime) -> str:
        return f"{self.public_url.rstrip('/')}/confirmations/{self.token(order_id, expires_at)}"

    def verify(self, token: str) -> tuple[str, str]:
        """(order id, link id); raises jwt.InvalidTokenError when forged, altered or expired."""
        claims = jwt.decode(
            token,
            self.secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=self.issuer,
            options={"require": ["exp", "sub", "jti"]},
        )
        return str(claims["sub"]), str(claims["jti"])
