"""Secret tracking links for customers without accounts (REQUIREMENTS §9: ≥ 128-bit tokens).

Only a SHA-256 of each token is stored (``TrackingLink``), so a database leak does not open anyone's
case. A link is issued when a case is registered (shown to the customer once) and minted afresh
each time a message carrying it is delivered (``outbox.services``), so no stored text — an outbox
row, a log, a backup — ever holds a working link.
"""

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType

from . import clock
from .models import TrackingLink

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


def tracking_link_issue(*, content_type_id: int, object_id: int, purpose: str, now: datetime | None = None) -> str:
    """A new live link to one case; returns its token, which is not kept anywhere."""
    token, token_hash = tracking_token_new()
    TrackingLink.objects.create(
        token_hash=token_hash,
        content_type_id=content_type_id,
        object_id=object_id,
        purpose=purpose,
        created_at=now or clock.now(),
    )
    return token


def tracking_link_for(subject, *, purpose: str = TrackingLink.Purpose.INTAKE, now: datetime | None = None) -> str:
    """``tracking_link_issue`` for a case instance (in the caller's transaction)."""
    return tracking_link_issue(
        content_type_id=ContentType.objects.get_for_model(subject).pk, object_id=subject.pk, purpose=purpose, now=now
    )


def tracking_link_lookup(token_hash: str) -> tuple[int, int] | None:
    """(content type id, object id) of the live link with this hash, in one indexed query; else None."""
    row = (
        TrackingLink.objects.filter(token_hash=token_hash, revoked_at__isnull=True)
        .values_list("content_type_id", "object_id")
        .first()
    )
    return (row[0], row[1]) if row else None
