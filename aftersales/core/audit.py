"""The security audit log: who logged in, who failed, who was locked out, who was refused.

State changes are not recorded here: each lives in its own append-only event table (TicketEvent,
ClockEvent, DeliveryAttempt, EntitlementDecision; see docs/architecture.md). This module writes
``AuditEvent`` rows for the rest, from Django's auth signals, the API's exception handler and
``AuditMiddleware`` (a ``PermissionDenied`` raised by any Django view, the admin's included).
"""

from __future__ import annotations

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.dispatch import receiver
from rest_framework.throttling import BaseThrottle

from .models import AuditEvent

logger = logging.getLogger(__name__)
Action = AuditEvent.Action


def client_address(request) -> str | None:
    """The client's address as the rate limits see it (``NUM_PROXIES`` aware); None without a request."""
    if request is None:
        return None
    return BaseThrottle().get_ident(request) or None


def _channel(request) -> str:
    path = getattr(request, "path", "") or ""
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "web" if request is not None else ""


def audit_record(
    *,
    action: str,
    request=None,
    user=None,
    username: str = "",
    object_type: str = "",
    object_id: str = "",
    details: dict | None = None,
) -> AuditEvent | None:
    """Append one audit event. A failure to write is logged, never turned into the user's error."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is not None and not username:
        username = user.get_username()
    try:
        # A savepoint: a caller inside a transaction keeps it usable if this insert fails.
        with transaction.atomic():
            return AuditEvent.objects.create(
                action=action,
                actor=user,
                username=(username or "")[:150],
                ip_address=client_address(request),
                channel=_channel(request),
                path=(getattr(request, "path", "") or "")[:300],
                object_type=object_type[:100],
                object_id=str(object_id)[:100],
                details=details or {},
            )
    except DatabaseError:
        logger.exception("audit event %s for %r not recorded", action, username)
        return None


@receiver(user_logged_in, dispatch_uid="core.audit.logged_in")
def _on_logged_in(sender, request, user, **kwargs) -> None:
    audit_record(action=Action.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="core.audit.logged_out")
def _on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(action=Action.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="core.audit.login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from . import lockout

    username = str(credentials.get("username") or "")
    refused = lockout.lockout_remaining(request, username=username)
    audit_record(
        action=Action.LOGIN_FAILED,
        request=request,
        username=username,
        details={"reason": "locked_out"} if refused else {"reason": "invalid_credentials"},
    )
    lockout.lockout_register_failure(request, username=username)


class AuditMiddleware:
    """Records a ``PermissionDenied`` raised by a Django view (the admin's, the KPI pages', …).

    DRF views handle their own denials (``core.api.errors``), so nothing is counted twice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            audit_record(
                action=Action.PERMISSION_DENIED,
                request=request,
                user=getattr(request, "user", None),
                details={"method": request.method, "reason": str(exception)[:500]},
            )
        return None
