"""Staff API tokens: hashed, expiring, a new one per login, revocable (issue #18 item 9).

``POST /api/v1/auth/token/`` issues a token per login (CONTRACT.md §4: ``{"token"}``, then
``Authorization: Token <token>``); ``ApiTokenAuthentication`` (core/api/auth.py) accepts it until it
expires or is revoked.

Decisions:
- **Stored as a SHA-256 digest**, never in clear (as tracking links, tracking.py). The secret is 256
  random bits, so no slow hash is needed, and a lookup is one probe of a unique index.
- **Expiry**: ``API_TOKEN_TTL`` seconds after the login (default 12 hours: one long working day, so
  an agent's client is not logged out mid-shift, while a token copied from a laptop or a log is
  worthless by the next morning). No sliding renewal: a stolen token cannot be kept alive by use.
- **Rotation**: every login issues a new token. The user's other tokens stay valid — each client or
  device has its own — until they expire, are logged out, or the user holds more than
  ``API_TOKEN_MAX_PER_USER`` (default 10): then the oldest is revoked as *replaced*.
- **Revocation**: ``POST /api/v1/auth/logout/`` ends the token used; ``…/logout-all/`` every token of
  the user; an administrator can revoke tokens in the admin. Each is in the audit log.
- **Last use** (time and address) is written at most once a minute per token, not on every request.
- Ended tokens are kept ``API_TOKEN_KEEP_DAYS`` (30) for the record, then purged at the user's next login.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from . import clock
from .models import ApiToken

TOKEN_BYTES = 32  # 256 bits
PREFIX_LENGTH = 6
TOUCH_INTERVAL = timedelta(minutes=1)
Ended = ApiToken.Ended


class TokenRefused(Exception):
    """The token is unknown, revoked or expired (``reason`` says which, for the 401's code)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    key: str  # shown to the client once, never stored
    token: ApiToken


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _ttl() -> timedelta:
    return timedelta(seconds=settings.API_TOKEN_TTL)


def api_token_issue(*, user, ip: str | None = None, user_agent: str = "", now: datetime | None = None) -> IssuedToken:
    """A new token for ``user`` (one per login); the oldest of too many active ones is replaced."""
    now = now or clock.now()
    key = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        # One login at a time per user, so concurrent logins cannot both skip the cap.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        keep = timedelta(days=settings.API_TOKEN_KEEP_DAYS)
        user.api_tokens.filter(Q(expires_at__lt=now - keep) | Q(revoked_at__lt=now - keep)).delete()
        active = user.api_tokens.filter(revoked_at__isnull=True, expires_at__gt=now).order_by("-created_at", "-id")
        surplus = list(active.values_list("pk", flat=True)[max(settings.API_TOKEN_MAX_PER_USER - 1, 0) :])
        if surplus:
            ApiToken.objects.filter(pk__in=surplus).update(revoked_at=now, revoked_reason=Ended.REPLACED)
        token = ApiToken.objects.create(
            user=user,
            digest=token_digest(key),
            prefix=key[:PREFIX_LENGTH],
            created_at=now,
            expires_at=now + _ttl(),
            created_ip=ip,
            user_agent=(user_agent or "")[:200],
        )
    return IssuedToken(key=key, token=token)


def api_token_authenticate(key: str, *, ip: str | None = None, now: datetime | None = None) -> ApiToken:
    """The active token ``key`` names (its user fetched), its last use noted; ``TokenRefused`` otherwise."""
    now = now or clock.now()
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
    if token is None:
        raise TokenRefused("unknown")
    if token.revoked_at is not None:
        raise TokenRefused("revoked")
    if token.expires_at <= now:
        raise TokenRefused("expired")
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL or token.last_used_ip != ip:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token


def api_token_revoke(*, token: ApiToken, reason: str, now: datetime | None = None) -> bool:
    """End one token; False when it had ended already (a second logout changes nothing)."""
    now = now or clock.now()
    ended = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_reason=reason)
    if ended:
        token.revoked_at, token.revoked_reason = now, reason
    return bool(ended)


def api_tokens_revoke_all(*, user, reason: str, now: datetime | None = None) -> int:
    """End every active token of ``user``; how many were ended."""
    now = now or clock.now()
    return user.api_tokens.filter(revoked_at__isnull=True, expires_at__gt=now).update(
        revoked_at=now, revoked_reason=reason
    )
