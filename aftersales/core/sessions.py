"""Signed-in sessions end after a spell of inactivity and, whatever the activity, after a working day.

``SESSION_IDLE_TIMEOUT`` (default 30 minutes): a staff screen left open on a service desk stops
showing customers' data to whoever walks up. ``SESSION_ABSOLUTE_TIMEOUT`` (default 12 hours, which
``SESSION_COOKIE_AGE`` follows): a stolen session cookie is worthless by the next morning, and no
activity keeps a session alive for ever — Django alone renews the expiry on every save, so a busy
session would never end. Either way the session is flushed, the request goes on as anonymous (the
admin sends the user to its login page with a message saying why), and the audit log records it.

Activity is noted in the session at most once a minute, not on every request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

SIGNED_IN_AT = "_aftersales_signed_in_at"
SEEN_AT = "_aftersales_seen_at"
TOUCH_SECONDS = 60


@receiver(user_logged_in, dispatch_uid="core.sessions.logged_in")
def _on_logged_in(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()


def _ended_because(session, now: float) -> str | None:
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if signed_in_at is not None and now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    if seen_at is not None and now - seen_at > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    return None


class SessionTimeoutMiddleware:
    """After ``AuthenticationMiddleware`` and ``MessageMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.get(SESSION_KEY) is not None:
            now = time.time()
            reason = _ended_because(session, now)
            if reason:
                self._end(request, reason, now)
            elif now - session.get(SEEN_AT, 0) >= TOUCH_SECONDS:
                session[SEEN_AT] = now
        response = self.get_response(request)
        if session.get(SESSION_KEY) is not None and session.get(SIGNED_IN_AT) is None:
            # A session from before this check existed, or a login that sent no signal: start counting now.
            session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()
        return response

    @staticmethod
    def _end(request, reason: str, now: float) -> None:
        from .audit import Action, audit_record

        user = request.user
        idle_seconds = int(now - request.session.get(SEEN_AT, now))
        audit_record(
            action=Action.SESSION_EXPIRED,
            request=request,
            user=user,
            details={"reason": reason, "idle_seconds": idle_seconds},
        )
        request.session.flush()
        request.user = AnonymousUser()
        if not request.path.startswith("/api/"):
            if reason == "idle":
                text = _("You were signed out after %(minutes)d minutes without activity. Please sign in again.") % {
                    "minutes": max(1, settings.SESSION_IDLE_TIMEOUT // 60)
                }
            else:
                text = _("You were signed out: a session lasts at most %(hours)d hours. Please sign in again.") % {
                    "hours": max(1, settings.SESSION_ABSOLUTE_TIMEOUT // 3600)
                }
            messages.info(request, text)
