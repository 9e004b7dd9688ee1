"""The customer's signed links (confirmation, substitution): the link is the credential."""

import logging

import jwt

from api.errors import Forbidden
from config import Settings

log = logging.getLogger(__name__)


def verified_link(settings: Settings, token: str, purpose: str) -> tuple[str, str]:
    """(order id, link id) of a genuine, unexpired link sent for this purpose."""
    try:
        return settings.link_signer().verify(token, purpose)
    except jwt.InvalidTokenError as exc:
        # The library's words help a forger: logged, not answered.
        log.info("%s link refused: %s", purpose, exc)
        raise Forbidden(f"this {purpose} link is invalid or has expired") from exc
