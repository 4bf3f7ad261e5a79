"""Secret tracking links for customers without accounts (REQUIREMENTS §9: ≥ 128-bit tokens).

Only a SHA-256 of the token is stored, so a database leak does not open anyone's request.
"""

import hashlib
import secrets

from django.conf import settings

TOKEN_BYTES = 24  # 192 bits


def tracking_token_new() -> tuple[str, str]:
    """A fresh token for the customer's link, and the hash to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, tracking_token_hash(token)


def tracking_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tracking_url(token: str) -> str:
    """The customer's link, as sent by SMS and email (``/track/<token>/`` serves every kind)."""
    return f"{settings.SITE_URL}/track/{token}/"
